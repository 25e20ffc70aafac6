import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as extApps from '@modelcontextprotocol/ext-apps/server';
import {
  BOARD_APP_TOOLS,
  BOARD_APP_URI,
  bundleAsGlobal,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
} from '../src/mcp/app.js';
import { chromiumAvailable, launchChromium } from './browser-harness.js';
import { startTestServer, type TestServer } from './http-harness.js';

// Browser globals inside page.evaluate callbacks (the test program has no DOM types).
declare const window: unknown;
declare const document: {
  createElement(tag: string): {
    srcdoc: string;
    setAttribute(k: string, v: string): void;
    style: Record<string, string>;
    contentWindow: unknown;
  };
  body: { appendChild(n: unknown): void };
  querySelector(s: string): { contentWindow: unknown; contentDocument: unknown } | null;
};

describe('the board as an MCP App (ui:// resource, @modelcontextprotocol/ext-apps) with SDK v1', () => {
  let server: TestServer;
  let client: Client;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ enableHistory: true });
    client = await server.client('board-app-test');
    if (!chromiumAvailable()) throw new Error('chromium is not installed (apt-get install chromium)');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('links the read tools to the ui:// resource through _meta', async () => {
    const { tools } = await client.listTools();
    for (const name of BOARD_APP_TOOLS) {
      const tool = tools.find((t) => t.name === name);
      if (!tool) continue; // get_task_history is only offered with history on
      expect(tool._meta, name).toEqual({
        ui: { resourceUri: BOARD_APP_URI },
        'ui/resourceUri': BOARD_APP_URI,
      });
    }
    expect(tools.find((t) => t.name === 'list_tasks')?._meta).toBeDefined();
    expect(tools.find((t) => t.name === 'create_task')?._meta).toBeUndefined();
  });

  it('lists and reads the ui:// resource as text/html;profile=mcp-app', async () => {
    const listed = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      listed.push(...page.resources);
      cursor = page.nextCursor;
    } while (cursor);
    const entry = listed.find((r) => r.uri === BOARD_APP_URI);
    expect(entry?.mimeType).toBe('text/html;profile=mcp-app');
    const read = await client.readResource({ uri: BOARD_APP_URI });
    const content = read.contents[0] as { uri: string; mimeType: string; text: string; _meta?: unknown };
    expect(content.mimeType).toBe('text/html;profile=mcp-app');
    expect(content._meta).toMatchObject({ ui: { prefersBorder: true } });
    expect(content.text.startsWith('<!doctype html>')).toBe(true);
    // One script element, closed once: nothing inlined ends it early.
    expect(content.text.match(/<\/script/gi)).toHaveLength(1);
  });

  it('renders inside a host iframe and reads the board through the server tools', async () => {
    const created = await client.callTool({
      name: 'create_task',
      arguments: { title: 'Shown in the chat client', created_by: 'alice', assigned_to: 'bob' },
    });
    expect(created.isError).toBeFalsy();
    const html = ((await client.readResource({ uri: BOARD_APP_URI })).contents[0] as { text: string }).text;

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    const calls: string[] = [];
    // The host side of the MCP Apps protocol: answer ui/initialize, forward tools/call to the server over MCP.
    await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown>) => {
      calls.push(name);
      return client.callTool({ name, arguments: args });
    });
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.evaluate((srcdoc) => {
      const w = window as {
        addEventListener(t: string, f: (e: { source: unknown; data: Record<string, unknown> }) => void): void;
        hostCallTool(name: string, args: unknown): Promise<unknown>;
      };
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.style.width = '1000px';
      frame.style.height = '700px';
      frame.srcdoc = srcdoc;
      document.body.appendChild(frame);
      const reply = (msg: unknown) =>
        (frame.contentWindow as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*');
      w.addEventListener('message', (event) => {
        if (event.source !== frame.contentWindow) return;
        const msg = event.data as {
          id?: number;
          method?: string;
          params?: { name: string; arguments: unknown };
        };
        if (msg.id === undefined || !msg.method) return;
        if (msg.method === 'ui/initialize') {
          reply({
            jsonrpc: '2.0',
            id: msg.id,
            result: {
              protocolVersion: '2025-11-21',
              hostInfo: { name: 'test-host', version: '1.0.0' },
              hostCapabilities: { serverTools: {} },
              hostContext: { theme: 'light' },
            },
          });
        } else if (msg.method === 'tools/call') {
          void w
            .hostCallTool(msg.params!.name, msg.params!.arguments ?? {})
            .then((result) => reply({ jsonrpc: '2.0', id: msg.id, result }));
        } else {
          reply({ jsonrpc: '2.0', id: msg.id, result: {} });
        }
      });
    }, html);

    const frameHandle = await page.waitForSelector('iframe');
    const frame = await frameHandle!.contentFrame();
    const card = await frame.waitForSelector('[data-testid="column-idle"] .card', { timeout: 10_000 });
    expect(await card!.evaluate((n) => (n as unknown as { textContent: string }).textContent)).toContain(
      'Shown in the chat client',
    );
    expect(calls).toContain('list_tasks');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("uses ext-apps' own MIME type and _meta key (written out to keep SDK v1 out of the server's heap)", () => {
    expect(RESOURCE_MIME_TYPE).toBe(extApps.RESOURCE_MIME_TYPE);
    expect(RESOURCE_URI_META_KEY).toBe(extApps.RESOURCE_URI_META_KEY);
  });

  it('turns the ext-apps bundle export into a global', () => {
    expect(bundleAsGlobal('var a=1,b=2;export{a as A,b};')).toBe(
      'var a=1,b=2;\nglobalThis.McpApps={"A":a,"b":b};\n',
    );
    expect(() => bundleAsGlobal('var a=1;')).toThrow(/no final export/);
  });
});
