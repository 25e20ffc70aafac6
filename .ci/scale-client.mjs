// MCP and board clients for the container checks of the compose `scale` profile (.ci/container-checks.sh): they talk
// to the load balancer only, with the SDK's Streamable HTTP client (MCP 2025-11-25 sessions) and a WebSocket client.
// Each command prints one JSON line on stdout and exits 0, or exits 1 with the reason on stderr.
//   node .ci/scale-client.mjs affinity <mcp url> <calls>          one session, <calls> tool calls through the LB
//   node .ci/scale-client.mjs race <mcp url> <agents> <tasks>     <agents> sessions race claim_next_task
//   node .ci/scale-client.mjs board <base url> <creates>          board WebSocket sees creates made via other sessions
//   node .ci/scale-client.mjs wait <mcp url>                      wait_for_task in one session, woken by another
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import WebSocket from 'ws';

const [command, url, ...rest] = process.argv.slice(2);
const LIMIT_MS = 120_000;
const timer = setTimeout(() => {
  console.error(`scale-client ${command}: not done within ${LIMIT_MS / 1000} s`);
  process.exit(1);
}, LIMIT_MS);

async function connect(name) {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, sessionId: transport.sessionId, protocol: transport.protocolVersion };
}

async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  const data = res.structuredContent ?? JSON.parse(res.content?.[0]?.text ?? 'null');
  if (res.isError) throw new Error(`${name}: ${JSON.stringify(data)}`);
  return data;
}

/** Runs fn over items, at most width at a time. */
async function inWaves(items, width, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += width)
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

const stamp = `${Date.now().toString(36)}-${process.pid}`;

const commands = {
  // A session lives in the memory of the front that created it: any request routed elsewhere gets 404 and the SDK
  // client fails the call. So every call succeeding proves the balancer kept the session on its front.
  async affinity(calls) {
    const { client, sessionId, protocol } = await connect('scale-affinity');
    if (!sessionId) throw new Error('the server gave no Mcp-Session-Id');
    const agent = `affinity-${stamp}`;
    const task = await call(client, 'create_task', { title: `affinity ${stamp}`, created_by: agent });
    for (let i = 0; i < Number(calls); i++) {
      const got = await call(client, 'get_task', { id: task.id });
      if (got.id !== task.id) throw new Error(`call ${i}: got task ${got.id}`);
    }
    await client.close();
    return { sessionId, protocol, calls: Number(calls) + 1 };
  },

  async race(agentCount, taskCount) {
    const queue = `race-${stamp}`;
    const { client: ops } = await connect('scale-race-ops');
    const ids = new Set();
    await inWaves([...Array(Number(taskCount)).keys()], 25, async (i) => {
      const t = await call(ops, 'create_task', { title: `race ${i}`, created_by: 'ops', queue_name: queue });
      ids.add(t.id);
    });
    const names = Array.from({ length: Number(agentCount) }, (_, i) => `racer-${i}-${stamp}`);
    const agents = await inWaves(names, 20, async (name) => ({ name, ...(await connect(name)) }));
    // Every agent claims until nothing is left; all fire at once.
    const claims = [];
    await Promise.all(
      agents.map(async ({ name, client }) => {
        for (;;) {
          const c = await call(client, 'claim_next_task', { agent_name: name, queue_name: queue });
          if (!c.claimed) return;
          claims.push({ id: c.task.id, agent: name, assigned: c.task.assigned_to, lease: c.lease_id });
        }
      }),
    );
    const seen = new Map();
    const doubles = [];
    for (const c of claims) {
      if (seen.has(c.id)) doubles.push([c.id, seen.get(c.id), c.agent]);
      seen.set(c.id, c.agent);
    }
    const wrongOwner = claims.filter((c) => c.assigned !== c.agent || !c.lease);
    const missing = [...ids].filter((id) => !seen.has(id));
    // Read back through the balancer: every task working, owned by the agent that claimed it.
    const listed = await call(ops, 'list_tasks', { queue_name: queue, limit: 1000 });
    const notWorking = (listed.tasks ?? []).filter(
      (t) => t.status !== 'working' || t.assigned_to !== seen.get(t.id),
    );
    for (const a of agents) await a.client.close();
    await ops.close();
    if (doubles.length || wrongOwner.length || missing.length || notWorking.length)
      throw new Error(
        `double claims ${JSON.stringify(doubles.slice(0, 5))}, wrong owner ${wrongOwner.length}, ` +
          `unclaimed ${missing.length}, not working after ${notWorking.length}`,
      );
    return {
      agents: agents.length,
      tasks: ids.size,
      claims: claims.length,
      sessions: new Set(agents.map((a) => a.sessionId)).size,
    };
  },

  // The board page's socket through the balancer: the hello, then a change message for each task created through
  // other MCP sessions (spread over the fronts by round-robin; the events cross fronts through PostgreSQL).
  async board(creates) {
    const base = new URL(url);
    const wsUrl = `${base.protocol === 'https:' ? 'wss' : 'ws'}://${base.host}/board/ws`;
    const ws = new WebSocket(wsUrl, ['tinytask.board.v1']);
    const messages = [];
    const waiters = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      messages.push(m);
      for (const w of [...waiters])
        if (w.test(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
    });
    const waitFor = (test, what) =>
      new Promise((resolve, reject) => {
        const found = messages.find(test);
        if (found) return resolve(found);
        const w = { test, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`board socket: no ${what} within 30 s`)), 30_000).unref();
      });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    });
    const hello = await waitFor((m) => m.type === 'hello', 'hello');
    const mcpUrl = new URL('/mcp', base).href;
    const latencies = [];
    for (let i = 0; i < Number(creates); i++) {
      const client = new Client({ name: `scale-board-${i}`, version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
      const t0 = Date.now();
      const task = await call(client, 'create_task', {
        title: `board ${i} ${stamp}`,
        created_by: 'board-check',
      });
      await waitFor(
        (m) => m.type === 'change' && (m.reload || m.tasks.includes(task.id)),
        `change for task ${task.id}`,
      );
      latencies.push(Date.now() - t0);
      await client.close();
    }
    ws.close();
    return { protocol: ws.protocol, server: hello.server, changes: latencies.length, latencyMs: latencies };
  },

  // A blocked wait_for_task (a long request, answered on its own stream) through the balancer, woken by a task
  // created in another session, which round-robin put on another front.
  async wait() {
    // The wait must reach its front before the write (a wait that starts after the create answers at once, which
    // proves nothing). No signal says it has, so a wait that did not block is tried again with more head start.
    for (const headStartMs of [500, 2000, 5000]) {
      const agent = `waiter-${headStartMs}-${stamp}`;
      const { client: waiter, sessionId: a } = await connect('scale-waiter');
      const { client: writer, sessionId: b } = await connect('scale-writer');
      const pending = call(waiter, 'wait_for_task', { agent_name: agent, timeout_seconds: 30 });
      await new Promise((r) => setTimeout(r, headStartMs));
      const t0 = Date.now();
      const task = await call(writer, 'create_task', {
        title: `wake ${stamp}`,
        created_by: 'ops',
        assigned_to: agent,
      });
      const woke = await pending;
      const wakeMs = Date.now() - t0;
      await waiter.close();
      await writer.close();
      if (woke.outcome !== 'ready' || woke.task?.id !== task.id)
        throw new Error(`wait answered ${JSON.stringify(woke)}`);
      if (woke.waited_ms >= headStartMs / 2) return { waitedMs: woke.waited_ms, wakeMs, sessions: [a, b] };
    }
    throw new Error('wait_for_task never blocked: it answered before the task was created each time');
  },
};

try {
  if (!commands[command] || !url)
    throw new Error('usage: scale-client.mjs affinity|race|board|wait <url> [args]');
  console.log(JSON.stringify(await commands[command](...rest)));
  clearTimeout(timer);
  process.exit(0);
} catch (err) {
  console.error(`scale-client ${command}: ${err?.message ?? err}`);
  process.exit(1);
}
