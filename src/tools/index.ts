import { commentTools } from './comments.js';
import { historyTools } from './history.js';
import { leaseTools } from './leases.js';
import { linkTools } from './links.js';
import { queueTools } from './queues.js';
import { subtaskTools } from './subtasks.js';
import { taskTools } from './tasks.js';
import type { ToolDef } from './types.js';

/** Every tool in the order tools/list shows them: TinyTask's 30, get_task_history, then the coordination tools. */
export const allTools: readonly ToolDef[] = [
  ...taskTools,
  ...subtaskTools,
  ...queueTools,
  ...commentTools,
  ...linkTools,
  ...historyTools,
  ...leaseTools,
];

/** The tools a server offers: history tools only when the board records history. */
export function toolsFor(historyEnabled: boolean): readonly ToolDef[] {
  return allTools.filter((t) => historyEnabled || !t.requiresHistory);
}

export type { ToolDef, ToolAnswer } from './types.js';
