/**
 * `npm run bench:agents -- --agents 100 --duration 30`: the agent workflow against a server it starts (built
 * dist, temp database, port 0, pinned) or against `--url`. Exits non-zero when a call failed or the board
 * verification found a violation.
 */
import { defineFlags } from './lib/args.js';
import {
  checkBuild,
  cliMain,
  commandLine,
  endProgress,
  OUT_FLAG,
  parseEnvList,
  PIN_FLAGS,
  progressPrinter,
  setupPinning,
  stamp,
  warn,
  writeResult,
} from './lib/cli.js';
import { agentsMarkdown, headline } from './lib/report.js';
import { runAgents } from './agents/run.js';
import { PRODUCT_NODE_ARGS } from './lib/server.js';

const flags = defineFlags({
  agents: {
    type: 'number',
    default: 100,
    help: 'Simulated agents, each with its own session and connection',
  },
  duration: { type: 'number', default: 30, help: 'Measured seconds' },
  warmup: { type: 'number', default: 3, help: 'Seconds of load before the measurement starts' },
  workers: {
    type: 'number',
    default: undefined,
    help: 'Load-generator processes (default: one per generator CPU)',
  },
  thinkMs: { type: 'number', default: 0, help: 'Mean pause of an agent between calls (0 = back to back)' },
  url: {
    type: 'string',
    default: undefined,
    help: 'Target a running server (its /mcp URL) instead of starting one',
  },
  token: { type: 'string', default: undefined, help: 'Bearer token for --url (TINYTASK_AUTH_TOKEN)' },
  serverPid: {
    type: 'number',
    default: undefined,
    help: 'With --url: pid of the server on this machine, to sample CPU/RSS',
  },
  variant: {
    type: 'string',
    default: 'real',
    help: 'Server to start: real (dist/cli.js) or inline (all DB work on the main thread)',
  },
  readThreads: { type: 'number', default: 1, help: 'TINYTASK_READ_THREADS of the started server' },
  serverEntry: {
    type: 'string',
    default: undefined,
    help: "Start another build's cli.js (an old commit checked out beside) to compare in one run",
  },
  nodeArgs: {
    type: 'string',
    default: undefined,
    help: `Node flags of the started server, space-separated ('' for none; default: ${PRODUCT_NODE_ARGS.join(' ')})`,
  },
  serverEnv: {
    type: 'string',
    default: undefined,
    help: 'Extra settings of the started server, e.g. TINYTASK_THREAD_YOUNG_GEN_MB=16,TINYTASK_READ_THREADS=2',
  },
  runId: {
    type: 'string',
    default: undefined,
    help: "Name the agents <id>-agent-N: an earlier run's id (its result's runId) drives the same agents again",
  },
  verify: { type: 'boolean', default: true, help: 'Verify the board after the run (--no-verify to skip)' },
  json: { type: 'boolean', default: false, help: 'Print the full result as JSON on stdout' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

cliMain(
  'npm run bench:agents --',
  'Runs N simulated agents through the create → claim → comment → queue → complete loop.',
  flags,
  async (f) => {
    if (f.variant !== 'real' && f.variant !== 'inline') throw new Error('--variant must be real or inline');
    if (!f.url) checkBuild();
    const pin = setupPinning(f);
    process.stderr.write(
      `bench:agents — ${f.agents} agents, ${f.duration} s (+${f.warmup} s warm-up), ${pin.note}\n`,
    );
    const result = await runAgents({
      agents: f.agents,
      durationS: f.duration,
      warmupS: f.warmup,
      workers: f.workers,
      thinkMs: f.thinkMs,
      url: f.url,
      headers: f.token ? { Authorization: `Bearer ${f.token}` } : {},
      serverPid: f.serverPid,
      server: {
        variant: f.variant,
        cpus: pin.serverCpus,
        readThreads: f.readThreads,
        entry: f.serverEntry,
        nodeArgs: f.nodeArgs === undefined ? undefined : f.nodeArgs.split(' ').filter(Boolean),
        env: parseEnvList(f.serverEnv),
      },
      verify: f.verify,
      runId: f.runId,
      onProgress: progressPrinter(`[${f.agents} agents]`),
    });
    endProgress();
    const md = agentsMarkdown(result, commandLine('bench:agents'));
    const base = `agents-${f.agents}-${stamp()}`;
    const mdFile = writeResult(f.out, `${base}.md`, md);
    writeResult(f.out, `${base}.json`, JSON.stringify(result, null, 2));
    if (f.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`\n${md}\n`);
    for (const w of result.warnings) warn(w);
    process.stderr.write(`\n${headline(result)}\nReport: ${mdFile}\n`);
    return result.ok ? 0 : 1;
  },
);
