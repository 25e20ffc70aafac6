import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  LoggingLevelSchema,
  SetLevelRequestSchema,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import { handleRequest } from './requests.js';

/**
 * Log notifications (`notifications/message`) to one connected client, honouring the level it chose with
 * `logging/setLevel`. Until it chooses, only warnings and worse are sent. One instance per server (per session).
 */

const SEVERITY: ReadonlyMap<LoggingLevel, number> = new Map(
  LoggingLevelSchema.options.map((level, i) => [level, i]),
);

export const DEFAULT_CLIENT_LOG_LEVEL: LoggingLevel = 'warning';

export interface ClientLog {
  readonly level: LoggingLevel;
  enabled(level: LoggingLevel): boolean;
  /** Sends if enabled; never throws (a closed transport just drops it). */
  send(level: LoggingLevel, data: Record<string, unknown>, relatedRequestId?: string | number): void;
}

export function installClientLog(server: Server): ClientLog {
  let current: LoggingLevel = DEFAULT_CLIENT_LOG_LEVEL;
  const log: ClientLog = {
    get level() {
      return current;
    },
    enabled: (level) => (SEVERITY.get(level) ?? 0) >= (SEVERITY.get(current) ?? 0),
    send(level, data, relatedRequestId) {
      if (!log.enabled(level)) return;
      server
        .notification(
          { method: 'notifications/message', params: { level, logger: 'tinytask', data } },
          relatedRequestId === undefined ? undefined : { relatedRequestId },
        )
        .catch(() => undefined);
    },
  };
  // Replaces the SDK's default handler, which keeps levels in a map keyed by session id.
  handleRequest(server, SetLevelRequestSchema, async (request) => {
    current = request.params.level;
    return {};
  });
  return log;
}
