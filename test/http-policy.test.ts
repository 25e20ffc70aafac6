import { describe, expect, it } from 'vitest';
import { configWith } from '../src/config.js';
import { createRequestPolicy, isLoopbackHost, loadTokenStore } from '../src/transport/http/security.js';
import { acceptable, mediaType } from '../src/transport/http/streamable.js';

describe('HTTP request policy', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'app.localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', 'example.com', '::']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('accepts any Host when bound beyond loopback and no list is set', () => {
    const policy = createRequestPolicy(configWith({ host: '0.0.0.0' }));
    expect(policy.hostAllowed('whatever.example:3000')).toBe(true);
    expect(policy.originAllowed('https://site.example')).toBe(false);
    expect(policy.originAllowed('http://localhost:3000')).toBe(false);
    expect(policy.originAllowed(undefined)).toBe(true);
  });

  it('matches origins by scheme, host and port', () => {
    const policy = createRequestPolicy(configWith({ allowedOrigins: ['https://app.example.com'] }));
    expect(policy.originAllowed('https://app.example.com')).toBe(true);
    expect(policy.originAllowed('https://APP.example.com')).toBe(true);
    expect(policy.originAllowed('http://app.example.com')).toBe(false);
    expect(policy.originAllowed('https://app.example.com:8443')).toBe(false);
    expect(policy.originAllowed('not a url')).toBe(false);
  });

  it('accepts any origin with *', () => {
    expect(
      createRequestPolicy(configWith({ allowedOrigins: ['*'] })).originAllowed('https://x.example'),
    ).toBe(true);
  });

  it('gives CORS headers only to configured origins', () => {
    const off = createRequestPolicy(configWith({}));
    expect(off.corsHeaders('http://localhost:1')).toEqual([]);
    const on = createRequestPolicy(configWith({ corsOrigins: ['https://ui.example'] }));
    expect(on.corsHeaders('https://ui.example')).toContainEqual([
      'Access-Control-Allow-Origin',
      'https://ui.example',
    ]);
    expect(on.corsHeaders('https://other.example')).toEqual([]);
    expect(on.originAllowed('https://ui.example')).toBe(true);
  });

  it('authenticates bearer tokens', () => {
    const store = loadTokenStore(configWith({ authToken: 'abc' }));
    expect(store.enabled).toBe(true);
    expect(store.authenticate('Bearer abc')?.agent).toBeUndefined();
    expect(store.authenticate('bearer abc')).toBeDefined();
    expect(store.authenticate('Bearer abcd')).toBeUndefined();
    expect(store.authenticate('Basic abc')).toBeUndefined();
    expect(store.authenticate(undefined)).toBeUndefined();
    expect(loadTokenStore(configWith({})).enabled).toBe(false);
  });

  it('reads Accept headers with wildcards and q=0', () => {
    expect(acceptable(undefined)).toEqual({ json: true, sse: true });
    expect(acceptable('application/json, text/event-stream')).toEqual({ json: true, sse: true });
    expect(acceptable('text/event-stream')).toEqual({ json: false, sse: true });
    expect(acceptable('application/json;q=0.9')).toEqual({ json: true, sse: false });
    expect(acceptable('*/*')).toEqual({ json: true, sse: true });
    expect(acceptable('text/*, application/json;q=0')).toEqual({ json: false, sse: true });
    expect(acceptable('text/html')).toEqual({ json: false, sse: false });
    expect(mediaType('Application/JSON; charset=utf-8')).toBe('application/json');
  });
});
