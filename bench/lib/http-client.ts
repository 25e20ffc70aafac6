import net from 'node:net';

/**
 * A minimal HTTP/1.1 keep-alive client: one socket, one request in flight at a time. It is what one simulated
 * agent needs and costs a fraction of `http.request` per call, so the load generator stays cheap next to the
 * server it measures. Bodies are JSON or SSE text; responses are framed by Content-Length or chunked encoding.
 */

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

export class HttpError extends Error {
  override name = 'HttpError';
}

interface Pending {
  resolve: (res: HttpResponse) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const EMPTY = Buffer.alloc(0);
const CRLFCRLF = Buffer.from('\r\n\r\n');

export class HttpConnection {
  private socket: net.Socket | null = null;
  private buf: Buffer = EMPTY;
  private pending: Pending | null = null;
  private closedByUs = false;
  private untilClose: { status: number; headers: Record<string, string>; start: number } | null = null;
  /** Sockets opened over the connection's life (1 unless the server closed it). */
  connects = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpResponse> {
    if (this.pending)
      return Promise.reject(new HttpError('a request is already in flight on this connection'));
    const bodyLen = body === undefined ? 0 : Buffer.byteLength(body);
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nConnection: keep-alive\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    if (body !== undefined || method === 'POST') head += `Content-Length: ${bodyLen}\r\n`;
    head += '\r\n';
    return new Promise<HttpResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new HttpError(`no answer within ${this.timeoutMs} ms`));
        this.destroy();
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
      const socket = this.ensureSocket();
      socket.write(body === undefined ? head : head + body);
    });
  }

  close(): void {
    this.closedByUs = true;
    this.destroy();
  }

  private destroy(): void {
    const s = this.socket;
    this.socket = null;
    this.buf = EMPTY;
    s?.destroy();
  }

  private ensureSocket(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.closedByUs = false;
    this.untilClose = null;
    this.connects++;
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.buf = EMPTY;
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    socket.on('error', (err) => {
      if (socket === this.socket) this.fail(new HttpError(`socket error: ${err.message}`));
    });
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.socket = null;
      const u = this.untilClose;
      this.untilClose = null;
      if (u && this.pending) {
        const p = this.pending;
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve({ status: u.status, headers: u.headers, body: this.buf.toString('utf8', u.start) });
        this.buf = EMPTY;
        return;
      }
      if (!this.closedByUs) this.fail(new HttpError('the server closed the connection before answering'));
    });
    return socket;
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
  }

  private parse(): void {
    if (this.untilClose) return;
    const buf = this.buf;
    const headerEnd = buf.indexOf(CRLFCRLF);
    if (headerEnd < 0) return;
    const head = buf.toString('latin1', 0, headerEnd);
    const lines = head.split('\r\n');
    const statusLine = lines[0] ?? '';
    const status = Number(statusLine.slice(9, 12));
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = headerEnd + 4;
    let body: string;
    let end: number;
    const cl = headers['content-length'];
    if (cl !== undefined) {
      const len = Number(cl);
      if (buf.length - start < len) return;
      body = buf.toString('utf8', start, start + len);
      end = start + len;
    } else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      let pos = start;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', pos);
        if (lineEnd < 0) return;
        const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
        if (Number.isNaN(size)) {
          this.fail(new HttpError('malformed chunked response'));
          this.destroy();
          return;
        }
        if (size === 0) {
          // The last chunk is followed by optional trailers and an empty line.
          const last = buf.indexOf(CRLFCRLF, lineEnd);
          if (last < 0) return;
          end = last + 4;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) return;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString('utf8');
    } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = '';
      end = start;
    } else {
      // No framing: the body runs to the end of the connection (the server closes it).
      this.untilClose = { status, headers, start };
      return;
    }
    this.buf = end >= buf.length ? EMPTY : buf.subarray(end);
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    if ((headers.connection ?? '').toLowerCase() === 'close') this.destroy();
    p.resolve({ status, headers, body });
  }
}
