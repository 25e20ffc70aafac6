// Bench variant of the server: the real HTTP front and MCP layer over a board that does every database call on
// the main thread (createBoard({ inline: true }): no writer thread, no read pool). Used by bench:threading to
// show what the threads buy. Runs the built code in dist/ (run `npm run build` first). Configured like the real
// server through TINYTASK_* variables; logs the bound port on stderr like the real server.
import process from 'node:process';
import { loadConfig } from '../../dist/config.js';
import { createBoard } from '../../dist/core/board.js';
import { createLogger } from '../../dist/logger.js';
import { createServerMetrics } from '../../dist/metrics.js';
import { startHttpServer } from '../../dist/transport/http/server.js';
import { loadTokenStore } from '../../dist/transport/http/security.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const metrics = createServerMetrics();
const tokens = loadTokenStore(config);
const board = await createBoard({ config, logger, metrics, inline: true });
const server = await startHttpServer({ board, config, logger, metrics }, { tokens });
logger.info(
  { port: server.port, native: server.native, url: server.url, variant: 'inline' },
  'bench inline-board server listening',
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.close({ timeoutMs: config.shutdownTimeoutMs });
  await board.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
