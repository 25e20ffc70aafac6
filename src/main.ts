import type { Readable, Writable } from 'node:stream';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { startHttpServer, type HttpServer } from './transport/http/server.js';
import { startupStep } from './startup.js';
import { serveStdio } from './transport/stdio.js';

export interface RunOptions {
  /** stdio streams for the MCP stdio transport (default: the process's). */
  io?: { stdin: Readable; stdout: Writable };
  /** Install SIGTERM/SIGINT and crash handlers (default true; embedding callers may handle them). */
  handleSignals?: boolean;
}

export interface RunningServer {
  http: HttpServer | undefined;
  /** Starts the graceful shutdown (idempotent) and resolves with the exit code once everything is closed. */
  shutdown(code: number, reason: string): Promise<number>;
  /** Resolves with the process exit code when the server has stopped. */
  stopped: Promise<number>;
}

/**
 * Starts the transports the mode asks for over one board and logs one start-up line. Shutdown (signal, EOF on stdin
 * in `stdio` mode, or a crash) runs in this order: stop accepting HTTP connections (readiness turns 503), let
 * in-flight calls finish within `shutdownTimeoutMs`, close sessions and streams, close stdio, close the board
 * (writer drained, WAL checkpointed with TRUNCATE, threads stopped).
 */
export async function startServer(
  config: Config,
  logger: Logger,
  opts: RunOptions = {},
): Promise<RunningServer> {
  for (const warning of config.warnings) logger.warn(warning);
  // Handlers go in before anything opens: a signal during start-up must not kill the process half-way (the default
  // action); it is honoured as soon as start-up completes.
  let requested: { code: number; reason: string } | undefined;
  let onRequest = (code: number, reason: string): Promise<number> => {
    requested ??= { code, reason };
    return stopped;
  };
  let removeHandlers = (): void => undefined;
  let resolveStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => (resolveStopped = resolve));
  if (opts.handleSignals !== false) {
    removeHandlers = installProcessHandlers(logger, (code, reason) => onRequest(code, reason), config);
  }
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config, logger);
  } catch (err) {
    removeHandlers();
    throw err;
  }
  let http: HttpServer | undefined;
  let stdio: Awaited<ReturnType<typeof serveStdio>> | undefined;
  let shutdownRun: Promise<number> | undefined;

  const shutdown = (code: number, reason: string): Promise<number> => {
    shutdownRun ??= (async () => {
      logger.info({ reason }, 'shutting down');
      // Held waits answer now (outcome `shutdown`), so they do not hold the drain of in-flight calls.
      app.deps.board.endWaits();
      let exitCode = code;
      const steps: Array<[string, () => Promise<void>]> = [
        ['http', async () => http?.close({ timeoutMs: config.shutdownTimeoutMs })],
        ['stdio', async () => stdio?.close()],
        ['board', () => app.close()],
      ];
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.error({ err, step: name }, 'shutdown step failed');
          if (exitCode === 0) exitCode = 1;
        }
      }
      removeHandlers();
      logger.info({ code: exitCode }, 'stopped');
      resolveStopped(exitCode);
      return exitCode;
    })();
    return shutdownRun;
  };

  try {
    if (config.http) {
      http = await startupStep(
        'bind the HTTP port',
        config.startupTimeoutMs,
        startHttpServer(app.deps, { tokens: app.tokens }),
      );
    }
    if (config.stdio) {
      stdio = await serveStdio(app.deps, opts.io);
      void stdio.closed.then(() => {
        if (config.mode === 'stdio') void shutdown(0, 'stdin closed');
        else logger.info('stdio client disconnected; HTTP keeps serving');
      });
    }
  } catch (err) {
    await http?.close({ timeoutMs: 0 }).catch(() => undefined);
    await app.close().catch(() => undefined);
    removeHandlers();
    throw err;
  }

  // By now the writer has opened the database and every reader thread has answered (createBoard waits for both
  // before anything listens), so the first request after this line is served at once.
  const mcpUrl = http ? `${http.url}/mcp` : undefined;
  const readers = config.databaseUrl ? config.databasePoolSize : config.readThreads;
  const threads = `writer and ${readers} reader thread${readers === 1 ? '' : 's'} ready${config.databaseUrl ? ', PostgreSQL' : ''}`;
  logger.info(
    {
      mode: config.mode,
      ...(http
        ? { address: http.url, mcpUrl, port: http.port, uws: http.native ? 'native' : 'fallback' }
        : {}),
      ...(config.stdio ? { stdio: true } : {}),
      ...(config.databaseUrl ? { database: 'postgres' } : { dbPath: config.dbPath }),
      readThreads: readers,
      threadsReady: true,
      sse: config.enableSse,
      stateless: config.stateless,
      auth: app.tokens.enabled,
    },
    `tinytask-mcp started (${config.mode}${http ? ` on ${mcpUrl}, uws ${http.native ? 'native' : 'fallback'}` : ''}; ${threads})`,
  );

  onRequest = shutdown;
  if (requested) void shutdown(requested.code, requested.reason);
  return { http, shutdown, stopped };
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function installProcessHandlers(
  logger: Logger,
  shutdown: (code: number, reason: string) => Promise<number>,
  config: Config,
): () => void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }
    signalled = true;
    // A shutdown that hangs (a stuck thread) must not keep the process alive forever.
    setTimeout(() => {
      logger.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    void shutdown(0, signal);
  };
  const onCrash = (kind: string) => (err: unknown) => {
    logger.fatal({ err }, kind);
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 15_000).unref();
    void shutdown(1, kind);
  };
  const onException = onCrash('uncaught exception');
  const onRejection = onCrash('unhandled rejection');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
