// Micro bench of one MCP tool over Streamable HTTP against a running server (bench/perf, perf helper's scratch tool).
// usage: node bench/perf/call.mjs <port> <tool> [connections=100] [seconds=10]
// Each request gets a unique JSON-RPC id (the server refuses a duplicate id in flight in one session).
import autocannon from 'autocannon';

const [port, tool = 'get_task', conns = '100', secs = '10'] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}/mcp`;
const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function post(body, sid) {
  const r = await fetch(base, {
    method: 'POST',
    headers: { ...H, ...(sid ? { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } : {}) },
    body: JSON.stringify(body),
  });
  return { sid: r.headers.get('mcp-session-id'), text: await r.text(), status: r.status };
}
const init = await post({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'perf', version: '1' } },
});
const sid = init.sid;
await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid);
const mk = await post(
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'create_task', arguments: { title: 'seed', created_by: 'a', assigned_to: 'a' } },
  },
  sid,
);
if (!mk.text.includes('"id"')) {
  console.error(mk);
  process.exit(1);
}
let next = 10;
const args = {
  get_task: () => ({ id: 1 }),
  create_task: () => ({ title: 'bench task', created_by: 'a', assigned_to: 'b' }),
  signup_for_task: () => ({ agent_name: 'b' }),
};
const res = await autocannon({
  url: base,
  connections: Number(conns),
  duration: Number(secs),
  method: 'POST',
  headers: { ...H, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
  requests: [
    {
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: next++,
          method: 'tools/call',
          params: { name: tool, arguments: args[tool]() },
        }),
      }),
    },
  ],
});
console.log(
  JSON.stringify({
    tool,
    total: res.requests.total,
    rps: res.requests.average,
    p50: res.latency.p50,
    p99: res.latency.p99,
    non2xx: res.non2xx,
    errors: res.errors,
  }),
);
