// A minimal MCP agent for the container checks, using the SDK's Streamable HTTP client from the repository's
// node_modules. Prints one JSON line on stdout; exits non-zero with the reason on stderr. An attempt that gets no
// answer within MCP_CLIENT_TIMEOUT_S (default 45) seconds fails naming the step it was waiting on and how long each
// earlier step took, so a slow or stuck server can be told apart from a slow machine.
//   node .ci/mcp-client.mjs http://127.0.0.1:3000/mcp create-and-claim <agent>   → {"id":..,"status":"working"}
//   node .ci/mcp-client.mjs http://127.0.0.1:3000/mcp get <task id>              → {"id":..,"status":..,"title":..}
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, command, arg] = process.argv.slice(2);
if (!url || !command || !arg) {
  console.error('usage: mcp-client.mjs <url> create-and-claim <agent> | get <task id>');
  process.exit(2);
}

async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  const data = res.structuredContent ?? JSON.parse(res.content?.[0]?.text ?? 'null');
  if (res.isError) throw new Error(`${name}: ${JSON.stringify(data)}`);
  return data;
}

const timeoutS = Number(process.env.MCP_CLIENT_TIMEOUT_S ?? 45);
const t0 = Date.now();
let step = 'connect (initialize)';
let stepStart = t0;
const done = [];
function next(name) {
  const now = Date.now();
  done.push(`${step} ${now - stepStart} ms`);
  step = name;
  stepStart = now;
}
const client = new Client({ name: 'tinytask-ci', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url));
const timer = setTimeout(() => {
  console.error(
    `mcp-client: no answer within ${timeoutS} s while waiting on ${step} (for ${Date.now() - stepStart} ms; ` +
      `before: ${done.join(', ') || 'nothing'})`,
  );
  process.exit(1);
}, timeoutS * 1000);
try {
  await client.connect(transport);
  if (command === 'create-and-claim') {
    next('create_task');
    const created = await call(client, 'create_task', {
      title: `container check ${new Date().toISOString()}`,
      description: 'written by .ci/mcp-client.mjs through the published port',
      created_by: arg,
      assigned_to: arg,
      priority: 5,
    });
    next('signup_for_task');
    const claim = await call(client, 'signup_for_task', { agent_name: arg });
    if (!claim.claimed || claim.task?.id !== created.id)
      throw new Error(`claim failed: ${JSON.stringify(claim)}`);
    console.log(JSON.stringify({ id: created.id, status: claim.task.status }));
  } else if (command === 'get') {
    next('get_task');
    const task = await call(client, 'get_task', { id: Number(arg) });
    console.log(JSON.stringify({ id: task.id, status: task.status, title: task.title }));
  } else {
    throw new Error(`unknown command ${command}`);
  }
  next('close');
  await client.close();
  clearTimeout(timer);
} catch (err) {
  console.error(`mcp-client: ${err?.message ?? err}`);
  process.exit(1);
}
