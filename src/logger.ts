import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/**
 * JSON logs go to stderr (fd 2) in every mode: stdout belongs to the MCP stdio protocol. The destination is
 * synchronous so that a crash or a signal cannot lose the last lines.
 */
export function createLogger(level: LogLevel, destination: number = 2): Logger {
  return pino(
    {
      name: 'tinytask-mcp',
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: destination, sync: true }),
  );
}

/** A logger that drops everything, for tests and embedding. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
