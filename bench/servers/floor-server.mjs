// The raw uWebSockets.js floor: the same kind of request the MCP front gets (POST /mcp with a JSON body, read in
// full), answered with a constant JSON-RPC tool result of a get_task-like size. No parsing, no MCP, no database:
// the difference to a real tool call is what the MCP layer and the board cost. Logs its port on stderr as JSON.
import process from 'node:process';
import uWS from 'uWebSockets.js';

const native = typeof uWS.getParts === 'function' && typeof uWS.H3App === 'function';
const task = {
  id: 1,
  title: 'Benchmark task: implement the thing',
  description: 'Benchmark task: implement the thing, then hand it back with a short report.',
  status: 'working',
  assigned_to: 'agent-1',
  previous_assigned_to: null,
  created_by: 'agent-2',
  priority: 3,
  tags: ['bench'],
  parent_task_id: null,
  queue_name: null,
  blocked_by_task_id: null,
  auto_promote: true,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  archived_at: null,
  comments: [],
  links: [],
  is_currently_blocked: false,
  subtask_count: 0,
};
const REPLY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: JSON.stringify(task) }], structuredContent: task },
});

const app = uWS.App();
app.post('/mcp', (res) => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  res.onData((_chunk, isLast) => {
    if (!isLast || aborted) return;
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(REPLY);
    });
  });
});
app.get('/healthz', (res) => {
  res.cork(() => res.writeHeader('Content-Type', 'application/json').end('{"status":"ok"}'));
});

let listenSocket;
app.listen('127.0.0.1', Number(process.env.TINYTASK_PORT ?? 0), (token) => {
  if (!token) {
    process.stderr.write('{"level":"error","msg":"floor server could not listen"}\n');
    process.exit(1);
  }
  listenSocket = token;
  const port = uWS.us_socket_local_port(token);
  process.stderr.write(
    `${JSON.stringify({ level: 'info', msg: 'bench floor server listening', port, native, variant: 'floor' })}\n`,
  );
});

function stop() {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  listenSocket = undefined;
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
