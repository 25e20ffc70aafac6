import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MCP_ACCEPT,
  initializeBody,
  raw,
  rawSession,
  startTestServer,
  type TestServer,
} from './http-harness.js';

const json = { 'content-type': 'application/json', accept: MCP_ACCEPT };

describe('HTTP security: Host, Origin, bearer auth, CORS', () => {
  let server: TestServer | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('rejects a foreign Host while bound to loopback (DNS rebinding), but not on health probes', async () => {
    server = await startTestServer();
    const port = new URL(server.url).port;
    const evil = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, host: `evil.example:${port}` },
      body: initializeBody(),
    });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.message).toMatch(/Host "evil.example:\d+" is not allowed/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const ok = await raw(server.url, {
        method: 'POST',
        path: '/mcp',
        headers: { ...json, host },
        body: initializeBody(),
      });
      expect(ok.status, host).toBe(200);
    }
    const metrics = await raw(server.url, { path: '/metrics', headers: { host: 'evil.example' } });
    expect(metrics.status).toBe(403);
    const health = await raw(server.url, { path: '/healthz', headers: { host: 'evil.example' } });
    expect(health.status).toBe(200);
  });

  it('accepts only the configured hosts when TINYTASK_ALLOWED_HOSTS is set', async () => {
    server = await startTestServer({ allowedHosts: ['tasks.example.com', 'other.example:8443'] });
    const get = (host: string) => raw(server!.url, { path: '/api/metrics', headers: { host } });
    expect((await get('tasks.example.com')).status).toBe(200);
    expect((await get('tasks.example.com:3000')).status).toBe(200);
    expect((await get('other.example:8443')).status).toBe(200);
    expect((await get('other.example:9999')).status).toBe(403);
    expect((await get('localhost')).status).toBe(403);
  });

  it('rejects foreign Origins with 403; no Origin and loopback origins pass', async () => {
    server = await startTestServer({ allowedOrigins: ['https://app.example.com'] });
    const post = (origin?: string) =>
      raw(server!.url, {
        method: 'POST',
        path: '/mcp',
        headers: { ...json, ...(origin ? { origin } : {}) },
        body: initializeBody(),
      });
    expect((await post()).status).toBe(200);
    expect((await post('http://localhost:5173')).status).toBe(200);
    expect((await post('https://app.example.com')).status).toBe(200);
    const evil = await post('https://evil.example');
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.message).toMatch(/Origin "https:\/\/evil.example" is not allowed/);
    expect((await post('null')).status).toBe(403);
  });

  it('requires the bearer token on MCP, metrics and API routes when TINYTASK_AUTH_TOKEN is set; health stays open', async () => {
    server = await startTestServer({ authToken: 's3cret-token' });
    const missing = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: json,
      body: initializeBody(),
    });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="tinytask-mcp"');
    const wrong = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, authorization: 'Bearer nope' },
      body: initializeBody(),
    });
    expect(wrong.status).toBe(401);
    for (const path of ['/metrics', '/api/metrics'])
      expect((await raw(server.url, { path })).status, path).toBe(401);
    for (const path of ['/health', '/healthz', '/ready'])
      expect((await raw(server.url, { path })).status, path).toBe(200);

    const client = await server.client('authed', { authorization: 'Bearer s3cret-token' });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const metrics = await raw(server.url, {
      path: '/metrics',
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(metrics.status).toBe(200);
  });

  it('serves without auth when no token is configured', async () => {
    server = await startTestServer();
    expect((await raw(server.url, { path: '/api/metrics' })).status).toBe(200);
  });

  it('binds each token of the tokens file to its agent, and each session to the token that created it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinytask-tokens-'));
    dirs.push(dir);
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify({ 'token-alice': 'alice', 'token-bob': 'bob' }));
    server = await startTestServer({ authTokensFile: file });
    const alice = await server.client('alice', { authorization: 'Bearer token-alice' });

    const own = await alice.callTool({
      name: 'create_task',
      arguments: { title: 'mine', created_by: 'alice' },
    });
    expect(own.isError).toBeFalsy();
    const impersonation = await alice.callTool({ name: 'signup_for_task', arguments: { agent_name: 'bob' } });
    expect(impersonation.isError).toBe(true);
    expect(JSON.stringify(impersonation.content)).toContain('FORBIDDEN');

    const session = await rawSession(server.url, { authorization: 'Bearer token-alice' });
    const stolen = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, authorization: 'Bearer token-bob', 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });
    expect(stolen.status).toBe(403);
    expect(JSON.parse(stolen.body).error.message).toMatch(/another credential/);
  });

  it('answers CORS preflights and exposes Mcp-Session-Id for configured origins only', async () => {
    server = await startTestServer({ corsOrigins: ['https://ui.example.com'] });
    const preflight = await raw(server.url, {
      method: 'OPTIONS',
      path: '/mcp',
      headers: {
        origin: 'https://ui.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, mcp-session-id',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/Mcp-Session-Id/);

    const init = await raw(server.url, {
      method: 'POST',
      path: '/mcp',
      headers: { ...json, origin: 'https://ui.example.com' },
      body: initializeBody(),
    });
    expect(init.status).toBe(200);
    expect(init.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    expect(String(init.headers['access-control-expose-headers'])).toMatch(/Mcp-Session-Id/);

    const other = await raw(server.url, {
      method: 'OPTIONS',
      path: '/mcp',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.status).toBe(403);
  });

  it('sends no CORS headers when CORS is off', async () => {
    server = await startTestServer();
    const res = await raw(server.url, {
      method: 'OPTIONS',
      path: '/mcp',
      headers: { origin: 'http://localhost:8080' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, POST, DELETE, OPTIONS');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
