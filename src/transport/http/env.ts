import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { McpDeps } from '../../mcp/types.js';
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
