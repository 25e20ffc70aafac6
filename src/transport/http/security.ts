import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type Config } from '../../config.js';
import type { McpSessionContext } from '../../mcp/types.js';
import type { HeaderList } from './adapter.js';

/**
 * Request checks that do not depend on the route's work: Host and Origin validation (DNS-rebinding protection),
 * bearer-token authentication and CORS headers.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith('.localhost');
}

/** `example.com:8080` → `example.com`, `[::1]:3000` → `[::1]`, `[::1]` → `[::1]`. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

function hasPort(entry: string): boolean {
  return /^\[.*\]:\d+$/.test(entry) || /^[^:[\]]+:\d+$/.test(entry);
}

function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? undefined : url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export interface RequestPolicy {
  /** True when the `Host` header is acceptable. */
  hostAllowed(host: string | undefined): boolean;
  /** True when the `Origin` header (if any) is acceptable. */
  originAllowed(origin: string | undefined): boolean;
  /** CORS headers for a request from `origin`, or none when CORS is off or the origin is not listed. */
  corsHeaders(origin: string | undefined): HeaderList;
  readonly corsEnabled: boolean;
}

export const CORS_ALLOW_HEADERS =
  'Content-Type, Accept, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, Idempotency-Key';
export const CORS_EXPOSE_HEADERS = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate';

export function createRequestPolicy(config: Config): RequestPolicy {
  const loopback = isLoopbackHost(config.host);
  const allowedHosts = config.allowedHosts.map((h) => h.trim().toLowerCase());
  const anyOrigin = config.allowedOrigins.includes('*') || config.corsOrigins.includes('*');
  const allowedOrigins = new Set(
    [...config.allowedOrigins, ...config.corsOrigins].map(normalizeOrigin).filter((o): o is string => !!o),
  );
  const corsAny = config.corsOrigins.includes('*');
  const corsOrigins = new Set(config.corsOrigins.map(normalizeOrigin).filter((o): o is string => !!o));
  const corsEnabled = config.corsOrigins.length > 0;

  return {
    corsEnabled,
    hostAllowed(host) {
      if (allowedHosts.length === 0) {
        if (!loopback) return true;
        return host !== undefined && LOOPBACK_NAMES.has(hostnameOf(host));
      }
      if (host === undefined) return false;
      const full = host.trim().toLowerCase();
      const name = hostnameOf(full);
      return allowedHosts.some((entry) => (hasPort(entry) ? entry === full : entry === name));
    },
    originAllowed(origin) {
      if (origin === undefined || origin === '') return true;
      if (anyOrigin) return true;
      const normalized = normalizeOrigin(origin);
      if (normalized === undefined) return false;
      if (allowedOrigins.has(normalized)) return true;
      return loopback && isLoopbackHost(new URL(normalized).hostname);
    },
    corsHeaders(origin) {
      if (!corsEnabled || !origin) return [];
      const normalized = normalizeOrigin(origin);
      if (!corsAny && (normalized === undefined || !corsOrigins.has(normalized))) return [];
      return [
        ['Access-Control-Allow-Origin', origin],
        ['Access-Control-Expose-Headers', CORS_EXPOSE_HEADERS],
        ['Vary', 'Origin'],
      ];
    },
  };
}

/** Who a request is, once its bearer token is accepted. */
export interface Credential {
  /** SHA-256 of the token (hex): identifies the credential without keeping the token around. */
  id: string;
  /** The agent this token is bound to (tokens file), if any. */
  agent?: string;
  /** An operator token (tokens file, `"role": "operator"`): may change any task, comment or link. */
  operator?: boolean;
}

/** What the MCP server of a session learns from the credential that opened it. */
export function sessionContextOf(credential: Credential | undefined): McpSessionContext {
  if (!credential?.agent) return {};
  return { agent: credential.agent, ...(credential.operator ? { operator: true } : {}) };
}

export interface TokenStore {
  readonly enabled: boolean;
  /** The credential for an `Authorization` header value, or undefined when missing or wrong. Constant time per token. */
  authenticate(authorization: string | undefined): Credential | undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const TOKEN_ROLES = ['agent', 'operator'] as const;

/** One entry of the tokens file: `"<agent>"` or `{"agent": "<agent>", "role": "agent" | "operator"}`. */
const tokenEntry = z.union([
  z.string().trim().min(1),
  z.strictObject({ agent: z.string().trim().min(1), role: z.enum(TOKEN_ROLES).optional() }),
]);

const TOKENS_FILE_SHAPE =
  '{"<token>": "<agent name>"} or {"<token>": {"agent": "<agent name>", "role": "agent" | "operator"}}';

/**
 * Builds the token store from `TINYTASK_AUTH_TOKEN` and `TINYTASK_AUTH_TOKENS_FILE`. A tokens file that cannot be
 * read or does not map every non-empty token to an agent is a configuration error (exit code 2 at start-up).
 */
export function loadTokenStore(config: Config): TokenStore {
  const entries: Array<{ hash: Buffer; credential: Credential }> = [];
  const add = (token: string, agent?: string, operator = false): void => {
    const hash = digest(token);
    entries.push({
      hash,
      credential: {
        id: hash.toString('hex'),
        ...(agent ? { agent } : {}),
        ...(operator ? { operator } : {}),
      },
    });
  };
  if (config.authToken) add(config.authToken);
  if (config.authTokensFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(config.authTokensFile, 'utf8'));
    } catch (err) {
      throw new ConfigError([
        `TINYTASK_AUTH_TOKENS_FILE must name a readable JSON file ${TOKENS_FILE_SHAPE} (${(err as Error).message})`,
      ]);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError([`TINYTASK_AUTH_TOKENS_FILE must contain a JSON object ${TOKENS_FILE_SHAPE}`]);
    }
    for (const [token, value] of Object.entries(parsed)) {
      const entry = tokenEntry.safeParse(value);
      if (token.length === 0 || !entry.success) {
        throw new ConfigError([
          'TINYTASK_AUTH_TOKENS_FILE must map each non-empty token to a non-empty agent name string or to ' +
            `{"agent": "<agent name>", "role": "agent" | "operator"} (the entry ${JSON.stringify(token.slice(0, 8))}… is not)`,
        ]);
      }
      const { agent, role } =
        typeof entry.data === 'string' ? { agent: entry.data, role: 'agent' } : entry.data;
      add(token, agent, role === 'operator');
    }
    if (entries.length === 0) {
      throw new ConfigError(['TINYTASK_AUTH_TOKENS_FILE contains no tokens']);
    }
  }
  return {
    enabled: entries.length > 0,
    authenticate(authorization) {
      if (!authorization) return undefined;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (!match) return undefined;
      const hash = digest(match[1]!);
      let found: Credential | undefined;
      // Every entry is compared, so the time taken does not depend on which token (if any) matched.
      for (const entry of entries) if (timingSafeEqual(entry.hash, hash) && !found) found = entry.credential;
      return found;
    },
  };
}
