import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { sessionToolsetChoices, toolCatalogue } from '../../mcp/tools.js';
import type { McpDeps, McpSessionContext } from '../../mcp/types.js';
import { parseToolsetList } from '../../tools/toolsets.js';
import type { HttpContext } from './adapter.js';
import { sessionContextOf, type Credential } from './security.js';
import type { ModernHttp } from './modern.js';
import type { SessionRegistry } from './sessions.js';
import { refuse } from './transport-errors.js';

/** What the HTTP route handlers share for the life of one server. */
export interface HttpEnv {
  deps: McpDeps;
  config: Config;
  logger: Logger;
  sessions: SessionRegistry;
  /** MCP 2026-07-28 (no sessions: every request stands alone). */
  modern: ModernHttp;
  /** True once shutdown began: readiness fails and no new session is created. */
  shuttingDown(): boolean;
}

/**
 * Admits a new session (Streamable HTTP `initialize` or legacy `GET /sse`) by reserving a place under the cap.
 * Answers 503 with `Retry-After` and returns false while shutting down or when every place is taken.
 */
export function admitNewSession(ctx: HttpContext, env: HttpEnv): boolean {
  if (env.shuttingDown()) {
    refuse(ctx, 'shuttingDown');
    return false;
  }
  if (!env.sessions.reserve()) {
    refuse(ctx, 'tooManySessions', String(env.config.maxSessions));
    return false;
  }
  return true;
}

/**
 * What a new MCP server for this request is bound to: the token's agent, role and toolsets, and the toolsets the
 * connection asked for (`?toolsets=worker,planner`). Answers 400 (-32602) and returns undefined when the query
 * names an unknown toolset or leaves no tool at all.
 */
export function sessionFor(
  ctx: HttpContext,
  env: HttpEnv,
  credential: Credential | undefined,
): McpSessionContext | undefined {
  const context: McpSessionContext = sessionContextOf(credential);
  const asked = new URLSearchParams(ctx.query).getAll('toolsets');
  if (asked.length > 0) {
    const parsed = parseToolsetList(asked.join(','));
    if ('error' in parsed) {
      refuse(ctx, 'invalidToolsets', `Invalid toolsets query parameter: ${parsed.error}`);
      return undefined;
    }
    context.connectionToolsets = parsed.toolsets;
  }
  const choices = sessionToolsetChoices(env.config.toolsets, context);
  if (toolCatalogue(env.deps.board.historyEnabled, choices).descriptors.length === 0) {
    const described = choices.map((c) => `${c.source}: ${c.toolsets.join(',')}`).join('; ');
    refuse(
      ctx,
      'invalidToolsets',
      `The toolsets in force (${described}) have no tool in common; ask for toolsets the server and your token allow.`,
    );
    return undefined;
  }
  return context;
}
