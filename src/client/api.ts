import { isErrorCode, type ErrorCode } from '../domain/errors.js';

/**
 * A small client of the REST API (/api/v1) for the command line. Answers are the API's JSON; failures become
 * `ApiError` with the server's stable code, or `UNREACHABLE` when no answer came at all.
 */

export type ClientErrorCode = ErrorCode | 'UNREACHABLE' | 'NO_SEARCH';

export class ApiError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Server root, e.g. `http://127.0.0.1:3000`. */
  url: string;
  token?: string;
  timeoutMs?: number;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  private readonly base: string;

  constructor(private readonly opts: ApiClientOptions) {
    this.base = `${opts.url.replace(/\/+$/, '')}/api/v1`;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', `${path}${queryString(query)}`);
  }

  post<T>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  patch<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  async request<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ApiError(
        'UNREACHABLE',
        `Cannot reach the server at ${this.opts.url} (${why}). Is it running? Check --url.`,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        'INTERNAL',
        `The server answered ${res.status} with a body that is not JSON.`,
        res.status,
      );
    }
    if (res.ok) return parsed as T;
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (error && isErrorCode(error.code) && typeof error.message === 'string') {
      throw new ApiError(error.code, error.message, res.status);
    }
    throw new ApiError('INTERNAL', `The server answered ${res.status} ${res.statusText}.`, res.status);
  }
}
