import type { Readable, Writable } from 'node:stream';
import type { Server } from '@modelcontextprotocol/server';
import { serveStdio as serveBothRevisions } from '@modelcontextprotocol/server/stdio';
import { createMcpServer, endSessionWaits, feedResourceUpdates, type McpDeps } from '../mcp/server.js';
import { StdioLineTransport } from './stdio-lines.js';

export interface StdioHandle {
  /** Closes the MCP session (idempotent). Does not close the board: the caller owns it. */
  close(): Promise<void>;
  /** Resolves once the session is over: stdin ended, stdout broke, or close() was called. */
  closed: Promise<void>;
}

/**
 * Serves MCP over stdin/stdout (newline-delimited JSON-RPC), both revisions: the SDK's `serveStdio` picks the
 * revision from the connection's opening exchange (`initialize` → 2025-11-25 with a session; a request carrying the
 * 2026-07-28 envelope, `server/discover` included, → 2026-07-28, where `subscriptions/listen` carries the resource
 * updates) and pins one server object for the connection. stdout carries only protocol messages; logs go to stderr.
 * The session is local, so it is bound to no agent.
 */
export async function serveStdio(
  deps: McpDeps,
  io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<StdioHandle> {
  const { logger } = deps;
  const transport = new StdioLineTransport(io.stdin, io.stdout);
  /** Every server the factory built (a discarded `server/discover` probe, then the pinned one). */
  const servers = new Set<Server>();
  const stopFeeds: Array<() => void> = [];

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const sdk = serveBothRevisions(
    ({ era }) => {
      const server = createMcpServer(deps);
      servers.add(server);
      // On 2026-07-28 the SDK's listen router sends on each open subscription the updates it asked for.
      if (era === 'modern') stopFeeds.push(feedResourceUpdates(server, deps));
      return server;
    },
    {
      transport,
      onerror: (err) => {
        if (err.name === 'SyntaxError' || err.name === 'ZodError')
          logger.warn({ err: err.message }, 'stdio: unreadable message');
        else logger.warn({ err }, 'stdio transport error');
      },
    },
  );
  const sdkOnClose = transport.onclose;
  transport.onclose = () => {
    sdkOnClose?.();
    for (const stop of stopFeeds) stop();
    io.stdin.off('end', onEnd);
    io.stdout.off('error', onStdoutError);
    logger.info('stdio session closed');
    resolveClosed();
  };

  let closing: Promise<void> | undefined;
  // A client may write its last requests and close stdin at once (`… | tinytask-mcp`): requests already read
  // get their answers before the session closes, within the shutdown timeout.
  const close = () =>
    (closing ??= (async () => {
      for (const server of servers) endSessionWaits(server);
      await drained(transport, deps.config.shutdownTimeoutMs);
      await sdk.close();
      await transport.close();
    })());
  const onEnd = () => {
    logger.info('stdin ended; closing the stdio session once pending requests are answered');
    void close();
  };
  // A reader that went away (EPIPE) must end the session, not crash the process.
  const onStdoutError = (err: Error) => {
    logger.warn({ err }, 'stdout failed; closing the stdio session');
    void close();
  };
  io.stdin.once('end', onEnd);
  io.stdout.on('error', onStdoutError);
  if (io.stdin.readableEnded) onEnd();
  logger.info('serving MCP on stdio');
  return {
    close: async () => {
      await close();
      await closed;
    },
    closed,
  };
}

/** Resolves once every request read has been answered, or after `timeoutMs`. */
function drained(transport: StdioLineTransport, timeoutMs: number): Promise<void> {
  if (transport.pending.size === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      transport.onidle = undefined;
      resolve();
    }
    transport.onidle = done;
  });
}
