import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBoard } from '../bench/agents/verify.js';
import { McpHttpSession, taskOf } from '../bench/lib/mcp-session.js';
import { startServer, type RunningServer } from '../bench/lib/server.js';

// The board verification must catch what it is there to catch: a task claimed twice, a completed task that does not
// read back complete, a created task missing from the listing. Real built server, real MCP session.
describe('bench: board verification', () => {
  let server: RunningServer;
  let session: McpHttpSession;
  const agents = new Set(['v-agent-1', 'v-agent-2']);
  const created: number[] = [];
  let claimedId = 0;

  beforeAll(async () => {
    server = await startServer();
    session = new McpHttpSession({ url: server.url });
    await session.initialize();
    for (let i = 0; i < 3; i++) {
      const out = await session.callTool('create_task', {
        title: `v ${i}`,
        created_by: 'v-agent-1',
        assigned_to: 'v-agent-2',
      });
      if (!out.ok) throw new Error(out.message);
      created.push(taskOf(out.value)!.id);
    }
    // A task from someone else must not count.
    await session.callTool('create_task', { title: 'other', created_by: 'someone-else' });
  });

  afterAll(async () => {
    await session?.close();
    await server?.stop();
  });

  it('passes a consistent board', async () => {
    const claim = await session.callTool('signup_for_task', { agent_name: 'v-agent-2' });
    const claimed = taskOf(claim.ok ? claim.value : null);
    expect(claimed).not.toBeNull();
    claimedId = claimed!.id;
    const done = await session.callTool('update_task', { id: claimed!.id, status: 'complete' });
    expect(done.ok).toBe(true);
    const v = await verifyBoard(session, {
      agents,
      created,
      claims: [[claimed!.id, 'v-agent-2']],
      completed: [claimed!.id],
    });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.listed).toBe(3);
  });

  it('flags a task claimed twice', async () => {
    const id = created[0]!;
    const v = await verifyBoard(session, {
      agents,
      created,
      claims: [
        [id, 'v-agent-2'],
        [id, 'v-agent-1'],
      ],
      completed: [],
    });
    expect(v.ok).toBe(false);
    expect(v.duplicateClaims).toBe(1);
    expect(v.problems.join('\n')).toMatch(/claimed twice/);
  });

  it('flags a completed task that does not read back complete', async () => {
    const idle = created.find((id) => id !== claimedId)!;
    const v = await verifyBoard(session, { agents, created, claims: [], completed: [idle] });
    expect(v.ok).toBe(false);
    expect(v.completedNotComplete).toBe(1);
  });

  it('flags created tasks missing from the listing and listed tasks nobody created', async () => {
    const v = await verifyBoard(session, {
      agents,
      created: [...created.slice(1), 999_999],
      claims: [],
      completed: [],
    });
    expect(v.ok).toBe(false);
    expect(v.missing).toBe(1);
    expect(v.extra).toBe(1);
  });
});
