import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configWith, loadConfig, SETTINGS } from '../src/config.js';
import { ROOT } from './cli-harness.js';

/** Rows of the settings table in docs/configuration.md: name → default as written ('—' for none). */
function documentedSettings(): Map<string, string> {
  const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`(TINYTASK_[A-Z_]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1]!), `${m[1]} documented twice`).toBe(false);
    rows.set(m[1]!, m[2]!.trim().replace(/^`|`$/g, ''));
  }
  return rows;
}

describe('configuration', () => {
  it('docs/configuration.md lists every setting with its default, and nothing else', () => {
    const documented = documentedSettings();
    expect([...documented.keys()].sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(documented.get(name), name).toBe(setting.default === '' ? '—' : setting.default);
    }
  });

  it('every TINYTASK_ variable named in the docs exists', () => {
    const docs = ['configuration.md', 'architecture.md'].map((f) =>
      readFileSync(join(ROOT, 'docs', f), 'utf8'),
    );
    const named = new Set(docs.flatMap((d) => [...d.matchAll(/TINYTASK_[A-Z_]+/g)].map((m) => m[0])));
    for (const name of named) expect(Object.keys(SETTINGS), name).toContain(name);
  });

  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      mode: 'http',
      http: true,
      stdio: false,
      enableSse: false,
      port: 3000,
      host: '127.0.0.1',
      allowedHosts: [],
      allowedOrigins: [],
      corsOrigins: [],
      authToken: undefined,
      authTokensFile: undefined,
      sessionIdleTimeoutMs: 1_800_000,
      maxBodyBytes: 1_048_576,
      warnings: [],
    });
    expect(c.readThreads).toBeGreaterThanOrEqual(1);
  });

  it('parses lists, booleans and modes', () => {
    const c = loadConfig({
      TINYTASK_MODE: 'both',
      TINYTASK_ENABLE_SSE: 'yes',
      TINYTASK_ALLOWED_HOSTS: ' a.example , b.example:8443 ,',
      TINYTASK_CORS_ORIGINS: '*',
      TINYTASK_SESSION_IDLE_TIMEOUT: '60',
    });
    expect(c).toMatchObject({
      mode: 'both',
      http: true,
      stdio: true,
      enableSse: true,
      allowedHosts: ['a.example', 'b.example:8443'],
      corsOrigins: ['*'],
      sessionIdleTimeoutMs: 60_000,
    });
  });

  it('maps the legacy sse mode to http + SSE with a warning', () => {
    const c = loadConfig({ TINYTASK_MODE: 'sse' });
    expect(c).toMatchObject({ mode: 'http', http: true, stdio: false, enableSse: true });
    expect(c.warnings.join()).toMatch(/deprecated/);
  });

  it('names every bad variable and its allowed values', () => {
    let error: unknown;
    try {
      loadConfig({ TINYTASK_PORT: '-1', TINYTASK_MAX_SESSIONS: 'lots', TINYTASK_MODE: 'tcp' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/TINYTASK_PORT must be a whole number from 0 to 65535 \(got "-1"\)/);
    expect(message).toMatch(/TINYTASK_MAX_SESSIONS must be a whole number/);
    expect(message).toMatch(/TINYTASK_MODE must be one of stdio, http, both/);
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('configWith overrides single fields', () => {
    expect(configWith({ port: 0, stateless: true })).toMatchObject({
      port: 0,
      stateless: true,
      host: '127.0.0.1',
    });
  });
});
