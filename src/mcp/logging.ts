import { LoggingLevelSchema, SetLevelRequestSchema } from '@modelcontextprotocol/core';
import { LOG_LEVEL_META_KEY, type LoggingLevel, type Server } from '@modelcontextprotocol/server';
import { handleRequest, type RequestContext } from './requests.js';

/**
 * Log notifications (`notifications/message`) to one connected client. On 2025-11-25 the client chooses the level
 * for its session with `logging/setLevel` (until it does, only warnings and worse are sent); on 2026-07-28 each
 * request carries its own level in its `_meta` envelope and a request without one gets no log notifications.
 * One instance per server.
 */

const SEVERITY: ReadonlyMap<LoggingLevel, number> = new Map(
  LoggingLevelSchema.options.map((level, i) => [level, i]),
);

export const DEFAULT_CLIENT_LOG_LEVEL: LoggingLevel = 'warning';

export interface ClientLog {
  readonly level: LoggingLevel;
  enabled(level: LoggingLevel): boolean;
  /** Sends about the request `ctx` if its level admits it; never throws (a closed transport just drops it). */
  send(level: LoggingLevel, data: Record<string, unknown>, ctx: RequestContext): void;
}

function atLeast(level: LoggingLevel, threshold: LoggingLevel): boolean {
  return (SEVERITY.get(level) ?? 0) >= (SEVERITY.get(threshold) ?? 0);
}

export function installClientLog(server: Server): ClientLog {
  let current: LoggingLevel = DEFAULT_CLIENT_LOG_LEVEL;
  const log: ClientLog = {
    get level() {
      return current;
    },
    enabled: (level) => atLeast(level, current),
    send(level, data, ctx) {
      const envelope = ctx.mcpReq.envelope;
      // A 2026-07-28 request (it carries the envelope) names its own level, or asks for no log notifications.
      const threshold =
        envelope === undefined
          ? current
          : (envelope as Record<string, LoggingLevel | undefined>)[LOG_LEVEL_META_KEY];
      if (threshold === undefined || !atLeast(level, threshold)) return;
      ctx.mcpReq
        .notify({ method: 'notifications/message', params: { level, logger: 'tinytask', data } })
        .catch(() => undefined);
    },
  };
  // Replaces the SDK's default handler, which keeps levels in a map keyed by session id. (2025-11-25 only: the
  // SDK answers it with "Method not found" on 2026-07-28, where the level comes with each request.)
  handleRequest(server, SetLevelRequestSchema, async (request) => {
    current = request.params.level;
    return {};
  });
  return log;
}
