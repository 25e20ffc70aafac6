import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../../config.js';
import { parseToolsetList, type ToolsetName } from '../../tools/toolsets.js';
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
  'Content-Type, Accept, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';
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
  /** The toolsets this token may use (tokens file), if it names any. */
  toolsets?: ToolsetName[];
}

export interface TokenStore {
  readonly enabled: boolean;
  /** The credential for an `Authorization` header value, or undefined when missing or wrong. Constant time per token. */
  authenticate(authorization: string | undefined): Credential | undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const TOKEN_ENTRY_FORMS =
  '"<token>": "<agent name>" or "<token>": {"agent": "<agent name>", "toolsets": ["worker", ...]} (both keys optional)';

/** One value of the tokens file: an agent name, or `{agent?, toolsets?}`. */
function tokenEntry(token: string, entry: unknown): { agent?: string; toolsets?: ToolsetName[] } {
  const bad = (why: string) =>
    new ConfigError([`TINYTASK_AUTH_TOKENS_FILE: ${why}. Each entry is ${TOKEN_ENTRY_FORMS}.`]);
  if (token.length === 0) throw bad('a token is empty');
  const name = (value: unknown): string => {
    if (typeof value !== 'string' || value.trim().length === 0)
      throw bad('an agent name is not a non-empty string');
    return value.trim();
  };
  if (typeof entry === 'string') return { agent: name(entry) };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    throw bad('an entry is neither a string nor an object');
  const { agent, toolsets, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw bad(`unknown key ${JSON.stringify(extra[0])}`);
  let sets: ToolsetName[] | undefined;
  if (toolsets !== undefined) {
    const list = Array.isArray(toolsets) ? toolsets.join(',') : typeof toolsets === 'string' ? toolsets : '';
    const parsed = parseToolsetList(list);
    if ('error' in parsed) throw bad(`toolsets: ${parsed.error}`);
    sets = parsed.toolsets;
  }
  return { ...(agent !== undefined ? { agent: name(agent) } : {}), ...(sets ? { toolsets: sets } : {}) };
}

/**
 * Builds the token store from `TINYTASK_AUTH_TOKEN` and `TINYTASK_AUTH_TOKENS_FILE`. A tokens file that cannot be
 * read or is not a JSON object of non-empty strings is a configuration error (exit code 2 at start-up).
 */
export function loadTokenStore(config: Config): TokenStore {
  const entries: Array<{ hash: Buffer; credential: Credential }> = [];
  const add = (token: string, agent?: string, toolsets?: ToolsetName[]): void => {
    const hash = digest(token);
    entries.push({
      hash,
      credential: {
        id: hash.toString('hex'),
        ...(agent ? { agent } : {}),
        ...(toolsets ? { toolsets } : {}),
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
        `TINYTASK_AUTH_TOKENS_FILE must name a readable JSON file {"<token>": "<agent name>"} (${(err as Error).message})`,
      ]);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigError([
        'TINYTASK_AUTH_TOKENS_FILE must contain a JSON object {"<token>": "<agent name>"}',
      ]);
    }
    for (const [token, entry] of Object.entries(parsed)) {
      const { agent, toolsets } = tokenEntry(token, entry);
      add(token, agent, toolsets);
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
