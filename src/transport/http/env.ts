import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { McpDeps } from '../../mcp/types.js';
import { type HttpContext, sendJsonRpcError } from './adapter.js';
import type { SessionRegistry } from './sessions.js';

/** What the HTTP route handlers share for the life of one server. */
export interface HttpEnv {
  deps: McpDeps;
  config: Config;
  logger: Logger;
  sessions: SessionRegistry;
  /** True once shutdown began: readiness fails and no new session is created. */
  shuttingDown(): boolean;
}

/**
 * Admits a new session (Streamable HTTP `initialize` or legacy `GET /sse`) by reserving a place under the cap.
 * Answers 503 with `Retry-After` and returns false while shutting down or when every place is taken.
 */
export function admitNewSession(ctx: HttpContext, env: HttpEnv): boolean {
  if (env.shuttingDown()) {
    sendJsonRpcError(ctx, 503, -32000, 'Service Unavailable: the server is shutting down', [
      ['Retry-After', '5'],
    ]);
    return false;
  }
  if (!env.sessions.reserve()) {
    sendJsonRpcError(
      ctx,
      503,
      -32000,
      `Service Unavailable: too many open sessions (limit ${env.config.maxSessions}); retry later`,
      [['Retry-After', '5']],
    );
    return false;
  }
  return true;
}
