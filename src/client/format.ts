import type { Comment, HistoryEntry, Link, QueueSummary, Task, TaskDetail } from '../domain/types.js';

/** Plain-text rendering of API answers for people: aligned tables and a task sheet. No colours, no dependencies. */

export interface Column<T> {
  title: string;
  value(row: T): string;
  /** Right-aligned (numbers). */
  right?: boolean;
  /** The column that shrinks (and is cut with …) to fit the terminal width. */
  flexible?: boolean;
}

function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** One line per row, columns separated by two spaces; the flexible column is cut to fit `width` characters. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], width = 120): string {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const flex = columns.findIndex((c) => c.flexible);
  if (flex !== -1) {
    const others = widths.reduce((sum, w, i) => (i === flex ? sum : sum + w), 0) + 2 * (columns.length - 1);
    widths[flex] = Math.max(columns[flex]!.title.length, Math.min(widths[flex]!, width - others, 200));
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => {
        const w = widths[i]!;
        const text = clip(v, w);
        return columns[i]!.right ? text.padStart(w) : i === values.length - 1 ? text : text.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const dash = (v: string | number | null | undefined) =>
  v === null || v === undefined || v === '' ? '-' : String(v);

/** `2026-12-02T08:36:55.086Z` → `2026-12-02 08:36`. */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '-';
}

export const TASK_COLUMNS: readonly Column<Task>[] = [
  { title: 'ID', value: (t) => String(t.id), right: true },
  { title: 'STATUS', value: (t) => (t.archived_at ? `${t.status}*` : t.status) },
  { title: 'PRI', value: (t) => String(t.priority), right: true },
  { title: 'ASSIGNEE', value: (t) => dash(t.assigned_to) },
  { title: 'QUEUE', value: (t) => dash(t.queue_name) },
  { title: 'UPDATED', value: (t) => when(t.updated_at) },
  { title: 'TITLE', value: (t) => t.title, flexible: true },
];

export function taskTable(tasks: readonly Task[], width?: number, footer?: string): string {
  if (tasks.length === 0) return footer ?? 'No tasks.';
  return `${table(tasks, TASK_COLUMNS, width)}${footer ? `\n${footer}` : ''}`;
}

export function queueTable(queues: readonly QueueSummary[], width?: number): string {
  if (queues.length === 0) return 'No queues.';
  return table(
    queues,
    [
      { title: 'QUEUE', value: (q) => q.queue_name, flexible: true },
      { title: 'TOTAL', value: (q) => String(q.total), right: true },
      { title: 'IDLE', value: (q) => String(q.idle), right: true },
      { title: 'WORKING', value: (q) => String(q.working), right: true },
      { title: 'COMPLETE', value: (q) => String(q.complete), right: true },
    ],
    width,
  );
}

/** A task with its description, comments, links and (when given) history, as a readable sheet. */
export function taskSheet(task: TaskDetail, history?: readonly HistoryEntry[]): string {
  const t = task as TaskDetail & Record<string, unknown>;
  const fields: Array<[string, string]> = [
    ['Status', `${t.status}${t.archived_at ? ` (archived ${when(t.archived_at)})` : ''}`],
    ['Assignee', dash(t.assigned_to)],
    ['Queue', dash(t.queue_name)],
    ['Priority', String(t.priority)],
    ['Tags', t.tags.length > 0 ? t.tags.join(', ') : '-'],
    ['Created', `${when(t.created_at)} by ${dash(t.created_by)}`],
    ['Updated', when(t.updated_at)],
  ];
  if (t.parent_task_id !== null) fields.push(['Parent', `#${t.parent_task_id}`]);
  if (t.subtask_count > 0) fields.push(['Subtasks', String(t.subtask_count)]);
  if (t.blocked_by_task_id !== null) {
    fields.push(['Blocked by', `#${t.blocked_by_task_id}${t.is_currently_blocked ? '' : ' (done)'}`]);
  }
  if (t.previous_assigned_to) fields.push(['Previous', t.previous_assigned_to]);
  // Fields other servers add (leases, attempts, ...) are shown as they come.
  for (const key of ['lease_expires_at', 'attempts', 'dead_lettered_at']) {
    if (t[key] !== undefined && t[key] !== null) fields.push([key, String(t[key])]);
  }
  const label = Math.max(...fields.map(([k]) => k.length));
  const out = [`#${t.id} ${t.title}`, ...fields.map(([k, v]) => `  ${`${k}:`.padEnd(label + 1)} ${v}`)];
  if (t.description) out.push('', ...t.description.split('\n').map((l) => `  ${l}`));
  out.push('', `Comments (${t.comments.length})`);
  for (const c of t.comments as Comment[]) {
    out.push(`  ${when(c.created_at)} ${dash(c.created_by)}: ${c.content.split('\n').join('\n    ')}`);
  }
  out.push('', `Links (${t.links.length})`);
  for (const l of t.links as Link[]) out.push(`  ${l.url}${l.description ? ` — ${l.description}` : ''}`);
  if (history) {
    out.push('', `History (${history.length})`);
    for (const h of history) {
      out.push(
        `  ${when(h.changed_at)} ${h.field_name}: ${dash(h.old_value)} → ${dash(h.new_value)}${h.changed_by ? ` (${h.changed_by})` : ''}`,
      );
    }
  }
  return out.join('\n');
}
