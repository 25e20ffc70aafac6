import type { Config } from './config.js';
import { createBoard } from './core/board.js';
import type { Logger } from './logger.js';
import type { McpDeps } from './mcp/types.js';
import { createServerMetrics } from './metrics.js';
import { loadTokenStore, type TokenStore } from './transport/http/security.js';

/** Everything the transports need, built but not yet listening. */
export interface App {
  deps: McpDeps;
  /** Bearer tokens for the HTTP front (empty store when auth is off). */
  tokens: TokenStore;
  /** Drains the writer, checkpoints the WAL (TRUNCATE) and stops the threads. Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds the application: metrics registry, the board (writer thread + read pool, migrations applied) and the
 * auth token store. Configuration problems found here (an unreadable tokens file) throw `ConfigError` before any
 * database file is touched.
 */
export async function buildApp(config: Config, logger: Logger): Promise<App> {
  const tokens = loadTokenStore(config);
  const metrics = createServerMetrics();
  const board = await createBoard({ config, logger, metrics });
  return {
    deps: { board, config, logger, metrics },
    tokens,
    close: () => board.close(),
  };
}
