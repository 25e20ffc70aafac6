import { describe, expect, it } from 'vitest';
import { runAgents } from '../bench/agents/run.js';
import { TOOLS } from '../bench/agents/workflow.js';
import { agentsMarkdown } from '../bench/lib/report.js';

// The agent workflow bench against the real built server (dist/cli.js, started by the bench on port 0 with a temp
// database): a short run must complete every step of the loop without errors and pass its board verification.
// No timing assertions: speed is measured by `npm run bench:*`, not tested.
describe('bench: agent workflow', () => {
  it('runs 3 agents for 2 s against a real server and verifies the board', async () => {
    const result = await runAgents({ agents: 3, durationS: 2, warmupS: 0.5, workers: 1 });

    expect(result.errors.samples).toEqual([]);
    expect(result.errors).toMatchObject({ http: 0, rpc: 0, tool: 0, init: 0, crashedAgents: 0 });
    expect(result.verification?.problems).toEqual([]);
    expect(result.verification?.ok).toBe(true);
    expect(result.ok).toBe(true);

    // Every step of the loop ran inside the window.
    for (const tool of ['create_task', 'signup_for_task', 'add_comment', 'get_my_queue', 'update_task']) {
      expect(result.perTool[tool]?.count, tool).toBeGreaterThan(0);
    }
    expect(result.calls).toBe(TOOLS.reduce((n, t) => n + (result.perTool[t]?.count ?? 0), 0));
    const v = result.verification!;
    expect(v.created).toBeGreaterThan(0);
    expect(v.listed).toBe(v.created);
    expect(v.duplicateClaims).toBe(0);
    expect(v.completedNotComplete).toBe(0);

    // The server was sampled from /proc and exited cleanly on SIGTERM.
    expect(result.server?.pid).toBeGreaterThan(0);
    expect(result.server?.peakRssBytes).toBeGreaterThan(0);
    expect(result.server?.exitCode).toBe(0);
    expect(result.generator.processes).toBe(1);
    // The server's own counters were read from /metrics around the window.
    expect(result.counters?.writes).toBeGreaterThan(0);
    expect(result.counters?.batches).toBeGreaterThan(0);

    const md = agentsMarkdown(result, 'npm run bench:agents -- --agents 3 --duration 2');
    expect(md).toContain('## Board verification');
    expect(md).toContain('**Passed.**');
  });
});
