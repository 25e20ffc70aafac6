import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type CliProcess, ensureBuilt, isStartLine, ROOT, runCli } from './cli-harness.js';

/**
 * The board commands of the CLI end to end: the built `tinytask-mcp` binary against a running built server over
 * HTTP, checking output, `--json` answers and exit codes.
 */

const TOKEN = 'cli-secret';
const BOB_TOKEN = 'bob-secret';

/** A local port nobody listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('tinytask-mcp task|queue|agent against a running server', () => {
  let server: CliProcess;
  let dir: string;
  let url: string;

  /** Runs the CLI with the server's URL and token in the environment (plus `env`). */
  function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', TINYTASK_URL: url, TINYTASK_TOKEN: TOKEN, ...env },
        },
        (err, stdout, stderr) => {
          const code = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
        },
      );
    });
  }

  async function json<T>(args: string[], env?: Record<string, string>): Promise<T> {
    const run = await cli([...args, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as T;
  }

  beforeAll(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'tinytask-cli-client-'));
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ [BOB_TOKEN]: 'bob' }));
    server = runCli(['serve'], {
      TINYTASK_MODE: 'http',
      TINYTASK_PORT: '0',
      TINYTASK_DB_PATH: join(dir, 'tasks.db'),
      TINYTASK_AUTH_TOKEN: TOKEN,
      TINYTASK_AUTH_TOKENS_FILE: tokensFile,
      TINYTASK_ENABLE_HISTORY: 'true',
      TINYTASK_READ_THREADS: '1',
    });
    const line = await server.waitForLog(isStartLine);
    url = `http://127.0.0.1:${line.port as number}`;
  }, 120_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('creates, lists, claims, comments, completes and shows tasks', async () => {
    const asAlice = (more: string) => `--agent alice --assign carol --queue dev ${more}`.trim().split(' ');
    const created = await cli([
      ...['task', 'create', 'Write', 'the', 'docs'],
      ...asAlice('--priority 5 --tag docs,api'),
      ...['--description', 'All of them'],
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const id = Number(/^Created task #(\d+): Write the docs\n$/.exec(created.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    await cli(['task', 'create', 'Lower priority', ...asAlice('')]);

    const list = await cli(['task', 'list', '--queue', 'dev']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*ID\s+STATUS\s+PRI\s+ASSIGNEE\s+QUEUE\s+UPDATED\s+TITLE$/);
    expect(lines[1]).toMatch(
      new RegExp(`^\\s*${id}\\s+idle\\s+5\\s+carol\\s+dev\\s+\\S+ \\S+\\s+Write the docs$`),
    );
    expect(lines).toHaveLength(3);

    const claim = await cli(['task', 'claim'], { TINYTASK_AGENT: 'carol' });
    expect(claim).toMatchObject({ code: 0, stdout: `Claimed task #${id}: Write the docs\n` });

    const comment = await cli(['task', 'comment', String(id), 'Half', 'done', '--agent', 'carol']);
    expect(comment.code).toBe(0);
    expect(comment.stdout).toMatch(new RegExp(`^Added comment #\\d+ to task #${id}\\n$`));

    const complete = await cli(['task', 'complete', String(id), '--comment', 'All done', '--agent', 'carol']);
    expect(complete).toMatchObject({ code: 0, stdout: `Completed task #${id}: Write the docs\n` });

    const show = await cli(['task', 'show', String(id), '--history']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`#${id} Write the docs`);
    expect(show.stdout).toMatch(/Status:\s+complete/);
    expect(show.stdout).toMatch(/Tags:\s+docs, api/);
    expect(show.stdout).toContain('All of them');
    expect(show.stdout).toMatch(/Comments \(2\)\n.*carol: Half done\n.*carol: All done/);
    expect(show.stdout).toMatch(/History \(\d+\)/);
    expect(show.stdout).toMatch(/status: working → complete \(carol\)/);

    const detail = await json<{ id: number; status: string; comments: unknown[]; history: unknown[] }>([
      'task',
      'show',
      String(id),
      '--history',
    ]);
    expect(detail).toMatchObject({ id, status: 'complete' });
    expect(detail.comments).toHaveLength(2);
    expect(detail.history.length).toBeGreaterThan(0);
  }, 120_000);

  it('lists queues and an agent’s queue, as tables and as JSON', async () => {
    await cli(['task', 'create', 'Queue work', '--agent', 'alice', '--assign', 'dave', '--queue', 'qa']);
    const queues = await cli(['queue', 'list']);
    expect(queues.code).toBe(0);
    expect(queues.stdout).toMatch(/^QUEUE\s+TOTAL\s+IDLE\s+WORKING\s+COMPLETE\n/);
    expect(queues.stdout).toMatch(/^qa\s+1\s+1\s+0\s+0$/m);
    const asJson = await json<{ queues: Array<{ queue_name: string }> }>(['queue', 'list']);
    expect(asJson.queues.map((q) => q.queue_name)).toContain('qa');

    const mine = await cli(['agent', 'queue', 'dave']);
    expect(mine.code).toBe(0);
    expect(mine.stdout).toMatch(/Queue work/);
    const none = await cli(['agent', 'queue', 'nobody']);
    expect(none).toMatchObject({ code: 0, stdout: 'No open tasks for nobody.\n' });
    const page = await json<{ agent: string; tasks: unknown[] }>(['agent', 'queue', 'dave']);
    expect(page).toMatchObject({ agent: 'dave' });
    expect(page.tasks).toHaveLength(1);
  }, 120_000);

  it('acts as the agent of a bound token without --agent', async () => {
    const created = await json<{ id: number; created_by: string }>(['task', 'create', 'Bob’s own'], {
      TINYTASK_TOKEN: BOB_TOKEN,
    });
    expect(created.created_by).toBe('bob');
    const refused = await cli(['task', 'create', 'Not bob', '--agent', 'alice'], {
      TINYTASK_TOKEN: BOB_TOKEN,
    });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^tinytask-mcp: FORBIDDEN: .*belongs to agent "bob"/);
  }, 120_000);

  it('exits with a code a script can branch on', async () => {
    const notFound = await cli(['task', 'show', '999999']);
    expect(notFound).toMatchObject({ code: 3, stdout: '' });
    expect(notFound.stderr).toMatch(/^tinytask-mcp: NOT_FOUND: Task 999999 does not exist/);

    const errJson = await cli(['task', 'show', '999999', '--json']);
    expect(errJson.code).toBe(3);
    expect(JSON.parse(errJson.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });

    expect((await cli(['task', 'list'], { TINYTASK_TOKEN: 'wrong' })).code).toBe(4);
    expect((await cli(['task', 'list', '--token', 'wrong'])).code).toBe(4);
    expect((await cli(['task', 'claim', '--agent', 'idle-agent'])).code).toBe(6);

    const badArgs = await cli(['task', 'create', 'x', '--agent', 'alice', '--priority', '99999999']);
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toMatch(/INVALID_ARGUMENT: .*priority must be an integer/);
    expect((await cli(['task', 'show', 'abc'])).code).toBe(2);
    expect((await cli(['task', 'list', '--bogus'])).code).toBe(2);
    expect((await cli(['task', 'frobnicate'])).code).toBe(2);
    expect((await cli(['task', 'claim'])).stderr).toMatch(/--agent NAME or set TINYTASK_AGENT/);

    const closed = await closedPort();
    const unreachable = await cli(['task', 'list', '--url', `http://127.0.0.1:${closed}`]);
    expect(unreachable.code).toBe(7);
    expect(unreachable.stderr).toMatch(/UNREACHABLE: Cannot reach the server at .*ECONNREFUSED/);
  }, 120_000);

  it('searches where the server has search_tasks, and says so where it has not', async () => {
    await cli(['task', 'create', 'Calibrate the flux capacitor', '--agent', 'alice']);
    const doc = (await (
      await fetch(`${url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { paths: Record<string, unknown> };
    const search = await cli(['task', 'search', 'flux']);
    if ('/api/v1/search' in doc.paths) {
      expect(search.code, search.stderr).toBe(0);
      expect(search.stdout).toMatch(/Calibrate the flux capacitor/);
    } else {
      expect(search.code).toBe(8);
      expect(search.stderr).toMatch(/NO_SEARCH: This server has no search/);
    }
  }, 120_000);

  it('keeps the server commands: --help lists both, --version prints the version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve\s+Serve MCP/);
    expect(help.stdout).toMatch(/task list \[--status/);
    expect(help.stdout).toMatch(/Exit codes: 0 ok/);
    const sub = await cli(['task', 'list', '--help']);
    expect(sub).toMatchObject({ code: 0 });
    expect(sub.stdout).toMatch(/^Usage: tinytask-mcp task list/);
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  }, 120_000);
});
