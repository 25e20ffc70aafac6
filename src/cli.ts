#!/usr/bin/env node
import { createRequire } from 'node:module';
import { ConfigError, loadConfig } from './config.js';
import { applyHeapFlags } from './heap.js';
import { StartupError } from './startup.js';

/** Commands of the HTTP client (src/client/cli.ts). */
const CLIENT_COMMANDS = ['task', 'queue', 'agent'];

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

const USAGE = `Usage: tinytask-mcp [command]

Commands:
  serve            Serve MCP (the default). TINYTASK_MODE picks stdio, http or both.
  backup <file>    Write a consistent copy of the database (TINYTASK_DB_PATH) to <file>,
                   safe while the server runs. Never overwrites an existing file.
  migrate-to-postgres --from <sqlite file> --to <postgres url>
                   Copy a SQLite board into an empty PostgreSQL database; prints every table's
                   row count and checksum on both sides; exit 0 only when they all match.
  task|queue|agent Board commands over HTTP; see below, or tinytask-mcp task list --help.

Options:
  -h, --help       Show this help.
  -v, --version    Show the version.

Every setting is an environment variable (TINYTASK_MODE, TINYTASK_PORT, TINYTASK_HOST, TINYTASK_DB_PATH, ...);
see docs/configuration.md. Logs are JSON on stderr; stdout carries only the MCP stdio protocol.
`;

/** `--name value` pairs, exactly the given names once each; null when the arguments are anything else. */
function parseFlags<N extends string>(args: string[], names: N[]): Record<N, string> | null {
  const out: Partial<Record<N, string>> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i] as N;
    const value = args[i + 1];
    if (!names.includes(name) || value === undefined || out[name] !== undefined) return null;
    out[name] = value;
  }
  return names.every((n) => out[n] !== undefined) ? (out as Record<N, string>) : null;
}

/** Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, or a start-up that cannot complete. */
async function cli(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    const { CLIENT_USAGE } = await import('./client/cli.js');
    process.stdout.write(`${USAGE}\n${CLIENT_USAGE}`);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (CLIENT_COMMANDS.includes(command)) {
    // Loaded on demand: a board command talks HTTP and needs none of the server's modules.
    const { runClientCommand } = await import('./client/cli.js');
    return runClientCommand(argv, process.env, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    });
  }
  if (command === 'serve' && rest.length === 0) {
    const config = loadConfig(process.env);
    applyHeapFlags();
    // The server's modules are loaded only to serve, so the board commands start fast.
    const [{ createLogger }, { startServer }] = await Promise.all([
      import('./logger.js'),
      import('./main.js'),
    ]);
    const logger = createLogger(config.logLevel);
    // Whatever stops start-up (a database that cannot be opened, a port in use) is the operator's to fix: exit 2.
    const running = await startServer(config, logger).catch((err: unknown) => {
      throw err instanceof StartupError
        ? err
        : new StartupError(`start-up failed: ${(err as Error)?.message ?? String(err)}`);
    });
    return running.stopped;
  }
  if (command === 'backup' && rest.length === 1) {
    const config = loadConfig(process.env);
    if (config.databaseUrl) {
      process.stderr.write(
        'tinytask-mcp: the board lives in PostgreSQL (TINYTASK_DATABASE_URL): back it up with pg_dump.\n',
      );
      return 2;
    }
    const { backupDatabase } = await import('./db/backup.js');
    const dest = rest[0]!;
    await backupDatabase(config.dbPath, dest);
    process.stderr.write(`Backup of ${config.dbPath} written to ${dest}\n`);
    return 0;
  }
  if (command === 'migrate-to-postgres') {
    const args = parseFlags(rest, ['--from', '--to']);
    if (args) {
      const { copySqliteToPostgres, formatCopyReport } = await import('./db/pg/copy.js');
      const report = await copySqliteToPostgres(args['--from'], args['--to']);
      process.stdout.write(formatCopyReport(report));
      return report.verified ? 0 : 1;
    }
  }
  process.stderr.write(`tinytask-mcp: unknown command or arguments: ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof StartupError) {
      process.stderr.write(`tinytask-mcp: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`tinytask-mcp: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
