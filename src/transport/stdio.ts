import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { unreadableMessage } from '../mcp/errors.js';
import { createMcpServer, endSessionWaits, type McpDeps } from '../mcp/server.js';

export interface StdioHandle {
  /** Closes the MCP session (idempotent). Does not close the board: the caller owns it. */
  close(): Promise<void>;
  /** Resolves once the session is over: stdin ended, stdout broke, or close() was called. */
  closed: Promise<void>;
}

/**
 * Serves MCP over stdin/stdout with the SDK's stdio transport (newline-delimited JSON-RPC). stdout carries only
 * protocol messages; logs go to stderr. The session is local, so it is bound to no agent.
 */
export async function serveStdio(
  deps: McpDeps,
  io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<StdioHandle> {
  const { logger } = deps;
  const server = createMcpServer(deps);
  const transport = new StdioServerTransport(io.stdin, io.stdout);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  server.onclose = () => {
    io.stdin.off('end', onEnd);
    io.stdout.off('error', onStdoutError);
    logger.info('stdio session closed');
    resolveClosed();
  };
  server.onerror = (err) => {
    const fault = unreadableMessage(err);
    if (fault) {
      logger.warn({ err: fault.message }, 'stdio: unreadable message');
      const reply = { jsonrpc: '2.0', error: fault } as unknown as JSONRPCMessage;
      transport.send(reply).catch(() => undefined);
      return;
    }
    logger.warn({ err }, 'stdio transport error');
  };

  const inflight = inflightTracker();
  let closing: Promise<void> | undefined;
  // A client may write its last requests and close stdin at once (`… | tinytask-mcp`): requests already read
  // get their answers before the session closes, within the shutdown timeout.
  const close = () =>
    (closing ??= (async () => {
      endSessionWaits(server);
      await inflight.drained(deps.config.shutdownTimeoutMs);
      await server.close();
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

  await server.connect(transport);
  inflight.attach(transport);
  logger.info('serving MCP on stdio');
  return {
    close: async () => {
      await close();
      await closed;
    },
    closed,
  };
}

/** Counts requests read from stdin and not yet answered, once attached to the connected transport. */
function inflightTracker() {
  const pending = new Set<RequestId>();
  let onIdle: (() => void) | undefined;
  const settle = (id: RequestId) => {
    if (pending.delete(id) && pending.size === 0) onIdle?.();
  };
  return {
    /** Wraps the callbacks the server installed on `connect`. */
    attach(transport: StdioServerTransport) {
      const receive = transport.onmessage;
      transport.onmessage = (message: JSONRPCMessage) => {
        if ('method' in message) {
          if ('id' in message) pending.add(message.id);
          // A cancelled request gets no answer.
          else if (message.method === 'notifications/cancelled') {
            const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
            if (id !== undefined) settle(id);
          }
        }
        receive?.(message);
      };
      const send = transport.send.bind(transport);
      transport.send = async (message: JSONRPCMessage) => {
        await send(message);
        if (('result' in message || 'error' in message) && 'id' in message && message.id !== undefined) {
          settle(message.id);
        }
      };
    },
    drained(timeoutMs: number): Promise<void> {
      if (pending.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          onIdle = undefined;
          resolve();
        }
        onIdle = done;
      });
    },
  };
}
