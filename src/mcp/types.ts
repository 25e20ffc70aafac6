import type { Config } from '../config.js';
import type { Board } from '../core/types.js';
import type { Logger } from '../logger.js';
import type { ServerMetrics } from '../metrics.js';
import type { ToolsetName } from '../tools/toolsets.js';

/** What every MCP server instance needs; one set per process, shared by all sessions. */
export interface McpDeps {
  board: Board;
  config: Config;
  logger: Logger;
  metrics: ServerMetrics;
}

/** Per-session facts the transport knows. */
export interface McpSessionContext {
  /** Agent bound by the auth token, if any: agent-identity arguments must name it. */
  agent?: string;
  /** Toolsets the token allows (tokens file), if it names any. */
  tokenToolsets?: readonly ToolsetName[];
  /** Toolsets the connection asked for (`/mcp?toolsets=…`), if any. */
  connectionToolsets?: readonly ToolsetName[];
}
