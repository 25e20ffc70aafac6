import type { McpHttpSession } from '../lib/mcp-session.js';

/**
 * After a run, the board must hold exactly what the agents did:
 *  - no task was claimed twice (every claim returned a different task id),
 *  - every claimed task is still assigned to the agent that claimed it and is no longer idle,
 *  - every task an agent marked complete reads back complete,
 *  - the tasks listed (list_tasks, all pages, archived included) are exactly the tasks created, each once,
 *    and the listing's `total` matches the rows paged through.
 * Only tasks created by this run's agents are considered, so a shared server's other tasks do not matter.
 */

export interface VerifyInput {
  agents: Set<string>;
  created: number[];
  claims: Array<[number, string]>;
  completed: number[];
}

export interface Verification {
  ok: boolean;
  created: number;
  listed: number;
  claims: number;
  duplicateClaims: number;
  completed: number;
  completedNotComplete: number;
  missing: number;
  extra: number;
  problems: string[];
}

interface ListedTask {
  id: number;
  status: string;
  assigned_to: string | null;
  created_by: string | null;
}

const PAGE = 1000;

export async function listAllTasks(
  session: McpHttpSession,
): Promise<{ tasks: ListedTask[]; total: number; pages: number }> {
  const tasks: ListedTask[] = [];
  let total = -1;
  let pages = 0;
  for (let offset = 0; ; offset += PAGE) {
    const out = await session.callTool('list_tasks', { include_archived: true, limit: PAGE, offset });
    if (!out.ok) throw new Error(`list_tasks failed while verifying (offset ${offset}): ${out.message}`);
    const page = out.value as { tasks?: ListedTask[]; total?: number };
    if (!Array.isArray(page.tasks))
      throw new Error(
        `list_tasks answered without a tasks array: ${JSON.stringify(out.value).slice(0, 200)}`,
      );
    pages++;
    if (total < 0 && typeof page.total === 'number') total = page.total;
    tasks.push(...page.tasks);
    if (page.tasks.length < PAGE) break;
  }
  return { tasks, total, pages };
}

export async function verifyBoard(session: McpHttpSession, input: VerifyInput): Promise<Verification> {
  const problems: string[] = [];
  const note = (p: string): void => {
    if (problems.length < 50) problems.push(p);
  };

  // Claims are unique.
  const claimedBy = new Map<number, string>();
  let duplicateClaims = 0;
  for (const [id, agent] of input.claims) {
    const prev = claimedBy.get(id);
    if (prev !== undefined) {
      duplicateClaims++;
      note(`task ${id} was claimed twice (by ${prev} and by ${agent})`);
    } else claimedBy.set(id, agent);
  }

  const { tasks, total, pages } = await listAllTasks(session);
  if (total >= 0 && total !== tasks.length) {
    note(
      `list_tasks reported total ${total} but ${tasks.length} tasks were paged through in ${pages} page(s)`,
    );
  }
  const byId = new Map<number, ListedTask>();
  for (const t of tasks) {
    if (byId.has(t.id)) note(`task ${t.id} appeared twice in the listing`);
    byId.set(t.id, t);
  }
  const mine = tasks.filter((t) => t.created_by !== null && input.agents.has(t.created_by));

  // Listed == created.
  const created = new Set(input.created);
  if (created.size !== input.created.length) note(`create_task returned the same id twice`);
  const listedIds = new Set(mine.map((t) => t.id));
  let missing = 0;
  for (const id of created) {
    if (!listedIds.has(id)) {
      missing++;
      note(`task ${id} was created but is not listed`);
    }
  }
  let extra = 0;
  for (const id of listedIds) {
    if (!created.has(id)) {
      extra++;
      note(`task ${id} is listed but no create_task answered with it (a write whose answer was lost?)`);
    }
  }

  // Claimed tasks belong to their claimer; completed ones read back complete.
  for (const [id, agent] of claimedBy) {
    const t = byId.get(id);
    if (!t) {
      note(`claimed task ${id} is not listed`);
      continue;
    }
    if (t.assigned_to !== agent)
      note(`task ${id} was claimed by ${agent} but is assigned to ${t.assigned_to}`);
    if (t.status === 'idle') note(`task ${id} was claimed by ${agent} but reads back idle`);
  }
  let completedNotComplete = 0;
  for (const id of input.completed) {
    const t = byId.get(id);
    if (!t || t.status !== 'complete') {
      completedNotComplete++;
      note(`task ${id} was marked complete but reads back ${t ? t.status : 'missing'}`);
    }
  }

  return {
    ok: problems.length === 0,
    created: created.size,
    listed: mine.length,
    claims: input.claims.length,
    duplicateClaims,
    completed: input.completed.length,
    completedNotComplete,
    missing,
    extra,
    problems,
  };
}
