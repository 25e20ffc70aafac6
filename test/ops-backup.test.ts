import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, ensureBuilt, isStartLine, ROOT, runCli } from './cli-harness.js';

// The documented backup and restore procedure, end to end against the built server: agents write through MCP
// Streamable HTTP while scripts/backup.sh takes the backup; scripts/restore.sh puts it into an empty data
// directory; a server started on it serves every task acknowledged before the backup began.

const run = promisify(execFile);
const DAY_MS = 24 * 3600 * 1000;

let dir: string;
const servers: CliProcess[] = [];
const clients: Client[] = [];

async function startServer(dbPath: string): Promise<{ url: URL; proc: CliProcess }> {
  const proc = runCli([], {
    TINYTASK_MODE: 'http',
    TINYTASK_HOST: '127.0.0.1',
    TINYTASK_PORT: '0',
    TINYTASK_DB_PATH: dbPath,
    TINYTASK_LOG_LEVEL: 'info',
  });
  servers.push(proc);
  const started = await proc.waitForLog(isStartLine);
  return { url: new URL(`http://127.0.0.1:${String(started.port)}/mcp`), proc };
}

async function stopServer(proc: CliProcess): Promise<void> {
  proc.child.kill('SIGTERM');
  const { code } = await proc.exited;
  expect(code).toBe(0);
}

async function connect(url: URL, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url));
  clients.push(client);
  return client;
}

interface TaskResult {
  id: number;
  title: string;
}

async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<TaskResult> {
  const res = await client.callTool({ name, arguments: args });
  if (res.isError) throw new Error(`${name} failed: ${JSON.stringify(res.structuredContent ?? res.content)}`);
  return res.structuredContent as unknown as TaskResult;
}

beforeAll(async () => {
  await ensureBuilt();
});

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  for (const s of servers.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

describe('backup under write load and restore into an empty data directory', () => {
  it('keeps every write acknowledged before the backup began, passes integrity_check, and prunes old backups', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-ops-backup-'));
    const dbPath = join(dir, 'data', 'tinytask.db');
    const backups = join(dir, 'backups');
    mkdirSync(backups);
    // Two earlier backups: one past the 7-day retention, one within it.
    const stale = join(backups, 'tinytask-20000101-000000.db.gz');
    const recent = join(backups, 'tinytask-20000102-000000.db.gz');
    writeFileSync(stale, '');
    writeFileSync(recent, '');
    const now = Date.now();
    utimesSync(stale, new Date(now - 8 * DAY_MS), new Date(now - 8 * DAY_MS));
    utimesSync(recent, new Date(now - 6 * DAY_MS), new Date(now - 6 * DAY_MS));

    const { url, proc } = await startServer(dbPath);

    // Four agents create tasks as fast as the server acknowledges them, until told to stop.
    const acknowledged: Array<{ id: number; title: string }> = [];
    let stop = false;
    let backupRunning = false;
    let ackedDuringBackup = 0;
    const waiters: Array<{ count: number; resolve: () => void }> = [];
    const acksReach = (count: number) =>
      new Promise<void>((resolve) =>
        acknowledged.length >= count ? resolve() : waiters.push({ count, resolve }),
      );
    const agents = await Promise.all([0, 1, 2, 3].map((i) => connect(url, `agent-${i}`)));
    const loops = agents.map(async (client, i) => {
      for (let n = 0; !stop; n++) {
        const title = `agent-${i} task ${n}`;
        const task = await callTool(client, 'create_task', {
          title,
          created_by: `agent-${i}`,
          assigned_to: `agent-${(i + 1) % 4}`,
        });
        acknowledged.push({ id: task.id, title });
        if (backupRunning) ackedDuringBackup++;
        for (const w of waiters.filter((w) => acknowledged.length >= w.count)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });

    // Let some writes land, then take the backup while the agents keep writing.
    await acksReach(200);
    const before = [...acknowledged];
    backupRunning = true;
    const { stdout } = await run(
      'bash',
      [join(ROOT, 'scripts/backup.sh'), '--db', dbPath, '--dir', backups, '--keep-days', '7'],
      {
        cwd: ROOT,
      },
    );
    backupRunning = false;
    // Keep writing a little after the backup, then stop the agents.
    await acksReach(acknowledged.length + 50);
    stop = true;
    await Promise.all(loops);
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopServer(proc);

    const backupFile = stdout.trim();
    expect(backupFile).toMatch(/\/tinytask-\d{8}-\d{6}\.db\.gz$/);
    expect(existsSync(backupFile)).toBe(true);
    expect(ackedDuringBackup).toBeGreaterThan(0); // the backup really ran under write load
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(readdirSync(backups).filter((f) => f.endsWith('.partial') || f.startsWith('.backup-'))).toEqual(
      [],
    );

    // Restore into an empty data directory and serve it.
    const restoredDir = join(dir, 'restored');
    mkdirSync(restoredDir);
    await run('bash', [join(ROOT, 'scripts/restore.sh'), '--data-dir', restoredDir, '--yes', backupFile], {
      cwd: ROOT,
    });
    const restoredDb = join(restoredDir, 'tinytask.db');
    expect(readdirSync(restoredDir).filter((f) => !f.startsWith('.'))).toEqual(['tinytask.db']);

    const restored = await startServer(restoredDb);
    const reader = await connect(restored.url, 'reader');
    for (const { id, title } of before) {
      const task = await callTool(reader, 'get_task', { id });
      expect({ id: task.id, title: task.title }).toEqual({ id, title });
    }
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopServer(restored.proc);

    const db = new Database(restoredDb, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = (db.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n;
      expect(count).toBeGreaterThanOrEqual(before.length);
      expect(count).toBeLessThanOrEqual(acknowledged.length);
    } finally {
      db.close();
    }
  }, 120_000);

  it('restore moves the current database and a stale WAL aside instead of mixing them with the backup', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-ops-restore-'));
    const dataDir = join(dir, 'data');
    const dbPath = join(dataDir, 'tinytask.db');
    const backups = join(dir, 'backups');

    // A database with one task, backed up while no server runs.
    const first = await startServer(dbPath);
    const client = await connect(first.url, 'writer');
    const kept = await callTool(client, 'create_task', { title: 'in the backup', created_by: 'writer' });
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopServer(first.proc);
    const { stdout } = await run(
      'bash',
      [join(ROOT, 'scripts/backup.sh'), '--db', dbPath, '--dir', backups],
      { cwd: ROOT },
    );

    // Later changes, and a leftover WAL that must not be replayed into the restored file.
    const later = new Database(dbPath);
    later.prepare("UPDATE tasks SET title = 'changed after the backup'").run();
    later.close();
    writeFileSync(`${dbPath}-wal`, 'stale write-ahead log');

    await run('bash', [join(ROOT, 'scripts/restore.sh'), '--data-dir', dataDir, '--yes', stdout.trim()], {
      cwd: ROOT,
    });
    const entries = readdirSync(dataDir);
    expect(entries).toContain('tinytask.db');
    expect(entries).not.toContain('tinytask.db-wal');
    const aside = entries.filter((e) => e.startsWith('pre-restore-'));
    expect(aside).toHaveLength(1);
    expect(readdirSync(join(dataDir, aside[0]!)).sort()).toEqual(['tinytask.db', 'tinytask.db-wal']);

    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT id, title FROM tasks').all()).toEqual([
        { id: kept.id, title: 'in the backup' },
      ]);
    } finally {
      db.close();
    }
  }, 60_000);

  it('refuses a corrupt backup and leaves the data directory untouched', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tinytask-ops-corrupt-'));
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'tinytask.db'), 'current');
    const bad = join(dir, 'tinytask-20260101-000000.db');
    writeFileSync(bad, 'this is not a database');
    const result = await run(
      'bash',
      [join(ROOT, 'scripts/restore.sh'), '--data-dir', dataDir, '--yes', bad],
      { cwd: ROOT },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/nothing was changed/);
    expect(readdirSync(dataDir)).toEqual(['tinytask.db']);
  });
});
