/**
 * The container's health probe (`node dist/healthcheck.js`, used by the image's HEALTHCHECK and the compose
 * file): GET /health on the running server and exit 0 on HTTP 200, 1 otherwise. It needs no curl or wget in the
 * image and reads the same settings as the server, so a changed TINYTASK_PORT or host allow-list is followed.
 */
import { request } from 'node:http';
import { loadConfig, type Config } from './config.js';

const TIMEOUT_MS = 4000;

/** The address to probe: the server's own bind address, or loopback when it listens on every interface. */
function probeHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}

/** A Host header the server accepts: the first allowed host when an allow-list is set. */
function hostHeader(config: Config, address: string): string {
  const allowed = config.allowedHosts[0];
  if (allowed) return allowed;
  return address.includes(':') ? `[${address}]:${config.port}` : `${address}:${config.port}`;
}

function probe(config: Config): Promise<string | undefined> {
  const address = probeHost(config.host);
  return new Promise((resolve) => {
    const req = request(
      {
        host: address,
        port: config.port,
        path: '/health',
        method: 'GET',
        headers: { host: hostHeader(config, address), accept: 'application/json' },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve(res.statusCode === 200 ? undefined : `/health answered HTTP ${res.statusCode}`),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve(`/health on ${address}:${config.port}: ${err.message}`));
    req.end();
  });
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`healthcheck: ${(err as Error).message}\n`);
    return 1;
  }
  if (!config.http) {
    // stdio-only containers have no HTTP endpoint; their liveness is the process itself.
    return 0;
  }
  const problem = await probe(config);
  if (problem) {
    process.stderr.write(`healthcheck: ${problem}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
