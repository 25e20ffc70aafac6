import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, RequestId, Transport } from '@modelcontextprotocol/server';
import { unreadableMessage } from '../mcp/errors.js';
import { parseJsonRpcMessage } from '../mcp/messages.js';

/** A line longer than this (no newline within it) is refused and the connection closed: memory stays bounded. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Newline-delimited JSON-RPC over a pair of streams, for serving MCP on stdio. Each line is parsed and validated
 * once; a line that is not JSON answers Parse error (-32700) and one that is not a JSON-RPC message Invalid Request
 * (-32600), both without an id, and the connection keeps serving (the SDK's own stdio transport skips such lines
 * silently). stdin ending does not close the transport: the owner closes it once the requests already read are
 * answered (`pending`).
 */
export class StdioLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Ids of the requests read and not yet answered (a cancelled request gets no answer and is dropped). */
  readonly pending = new Set<RequestId>();
  /** Called when `pending` becomes empty. */
  onidle?: () => void;
  private buffer = '';
  private closed = false;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
  ) {}

  private readonly ondata = (chunk: Buffer | string) => {
    this.buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let index: number;
    while ((index = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, index).replace(/\r$/, '');
      this.buffer = this.buffer.slice(index + 1);
      if (line.trim() !== '') this.receive(line);
      if (this.closed) return;
    }
    if (this.buffer.length > MAX_LINE_BYTES) {
      this.onerror?.(new Error(`a stdio line exceeded ${MAX_LINE_BYTES} bytes`));
      void this.close();
    }
  };

  private receive(line: string): void {
    let message: JSONRPCMessage;
    try {
      const parsed = parseJsonRpcMessage(JSON.parse(line));
      if (!parsed.success) throw parsed.error;
      message = parsed.data as JSONRPCMessage;
    } catch (err) {
      const fault = unreadableMessage(err);
      if (fault) void this.send({ jsonrpc: '2.0', error: fault } as unknown as JSONRPCMessage);
      this.onerror?.(err as Error);
      return;
    }
    if ('method' in message) {
      // A subscriptions/listen stream is answered only when it ends: it is not a request to drain before closing.
      if ('id' in message) {
        if (message.method !== 'subscriptions/listen') this.pending.add(message.id);
      } else if (message.method === 'notifications/cancelled') {
        const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) this.settle(id);
      }
    }
    this.onmessage?.(message);
  }

  private settle(id: RequestId): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.onidle?.();
  }

  async start(): Promise<void> {
    this.stdin.on('data', this.ondata);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const text = `${JSON.stringify(message)}\n`;
    // Resolves once written or failed: a broken stdout is reported by the owner's 'error' listener.
    await new Promise<void>((resolve) => this.stdout.write(text, () => resolve()));
    if (('result' in message || 'error' in message) && 'id' in message && message.id !== undefined) {
      this.settle(message.id);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.ondata);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.buffer = '';
    this.onclose?.();
  }
}
