import type { Config } from '../config.js';
import type { Board } from '../core/types.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';

/** What every MCP server instance needs; one set per process, shared by all sessions. */
export interface McpDeps {
  board: Board;
  config: Config;
  logger: Logger;
  metrics: ServerMetrics;
}

/** Per-session facts the transport knows. */
export interface McpSessionContext {
  /**
   * Agent bound by the auth token, if any: agent-identity arguments must name it, and the board's writes run on
   * its behalf (ownership checks, idempotency keys scoped to it).
   */
  agent?: string;
  /** The token is an operator token: it may act as any agent and change anything. */
  operator?: boolean;
}
