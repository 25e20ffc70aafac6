import {
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  type TransportSendOptions,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';

/**
 * Where the messages of one directly dispatched request go (see `McpHttpTransport.dispatch`): the messages the
 * server sends about it (progress, logs, server-to-client requests), then its answer — or `closed` when the
 * transport closes before the answer.
 */
export interface DirectSink {
  message(message: JSONRPCMessage): void;
  answer(message: JSONRPCMessage): void;
  closed(): void;
}

/** A JSON-RPC response (result or error), by shape: the server's own messages are well-formed. */
export function isResponse(message: JSONRPCMessage): boolean {
  return 'id' in message && ('result' in message || 'error' in message) && !('method' in message);
}

/**
 * The SDK's Streamable HTTP transport with one shortcut. The common POST — one JSON-RPC request in an initialized
 * session — can be handed straight to the MCP server (`dispatch`) with a sink for whatever the server sends about
 * it, instead of going through `handleRequest`, which builds a web `Request`, a `ReadableStream` and SSE text that
 * the HTTP layer would only parse back into the JSON answer. Profiling showed that round trip (undici Request and
 * Headers, web streams, SSE encoding and decoding, and the garbage they leave) costing more per tool call than the
 * tool itself. Everything else (initialize, notifications, batches, GET, DELETE, SSE-only clients, anything the
 * SDK must reject) still goes through `handleRequest`.
 */
export class McpHttpTransport extends WebStandardStreamableHTTPServerTransport {
  private readonly direct = new Map<RequestId, DirectSink>();
  /** Set when close() starts: a closed transport's requests go through handleRequest, which answers 404. */
  closing = false;

  /**
   * Hands one request to the connected server. The caller has done the checks `handleRequest` would do (session,
   * protocol version, JSON-RPC shape); its sink receives the server's messages for this request id until the answer.
   * Returns a function that detaches the sink (the client went away). A request still unanswered then is
   * cancelled as if the client had sent `notifications/cancelled`: its handler's signal fires (a held
   * `wait_for_task` ends at once instead of at its timeout) and the SDK sends no answer.
   */
  dispatch(
    message: JSONRPCMessage & { id: RequestId },
    extra: MessageExtraInfo,
    sink: DirectSink,
  ): () => void {
    const id = message.id;
    this.direct.set(id, sink);
    try {
      this.onmessage?.(message, extra);
    } catch (err) {
      this.direct.delete(id);
      throw err;
    }
    return () => {
      if (this.direct.get(id) !== sink) return;
      this.direct.delete(id);
      this.cancelAbandoned(id, extra);
    };
  }

  /** Tells the server that the client of request `id` is gone, in the client's own words. */
  cancelAbandoned(id: RequestId, extra?: MessageExtraInfo): void {
    if (this.closing) return;
    try {
      this.onmessage?.(
        {
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'The HTTP client disconnected before the answer.' },
        },
        extra,
      );
    } catch {
      // The server is closing: its handlers are being aborted anyway.
    }
  }

  override async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.direct.size > 0) {
      const response = isResponse(message);
      const id = response ? (message as { id: RequestId }).id : options?.relatedRequestId;
      const sink = id === undefined ? undefined : this.direct.get(id);
      if (sink) {
        if (response) {
          this.direct.delete(id!);
          sink.answer(message);
        } else sink.message(message);
        return;
      }
    }
    return super.send(message, options);
  }

  override async close(): Promise<void> {
    this.closing = true;
    const sinks = [...this.direct.values()];
    this.direct.clear();
    for (const sink of sinks) sink.closed();
    await super.close();
  }
}
