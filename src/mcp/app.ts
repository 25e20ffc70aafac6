import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Resource } from '@modelcontextprotocol/server';
import { WEB_DIR } from '../assets.js';

/**
 * The live board as an MCP App (`@modelcontextprotocol/ext-apps`, the MCP Apps extension): one `ui://` HTML resource
 * that hosts supporting MCP Apps render inline, linked from the read tools through `_meta.ui.resourceUri`.
 *
 * The resource is the board page itself (src/web: the same board.js and styles as `/`), made self-contained for the
 * host's sandboxed iframe: styles and scripts are inlined, together with ext-apps' `App` (its dependency-free
 * browser bundle), which talks to the host over postMessage. Inside the host the page reads through the server's
 * own tools (`list_tasks`, `get_task`, ...) via `App.callServerTool`, so it needs no network access of its own.
 */

export const BOARD_APP_URI = 'ui://tinytask/board.html';

/**
 * The MCP Apps extension's resource MIME type and deprecated flat `_meta` key, as
 * `@modelcontextprotocol/ext-apps/server` exports them (test/board-app.test.ts checks they stay equal). They are
 * written here because importing that module at run time loads SDK v1 and its schemas: ~3.5 MB of main-thread heap
 * for two strings.
 */
export const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
export const RESOURCE_URI_META_KEY = 'ui/resourceUri';

/** The read tools whose results the host may show with the board. */
export const BOARD_APP_TOOLS: ReadonlySet<string> = new Set([
  'list_tasks',
  'get_task',
  'get_my_queue',
  'get_queue_tasks',
  'list_queues',
  'get_queue_stats',
  'get_task_with_subtasks',
]);

/** `_meta` of a tool linked to the board: the current key and the deprecated flat one older hosts read. */
export const BOARD_APP_TOOL_META = {
  ui: { resourceUri: BOARD_APP_URI },
  [RESOURCE_URI_META_KEY]: BOARD_APP_URI,
} as const;

/** `_meta.ui` of the resource: no network access needed (every read goes through the host), a border please. */
const RESOURCE_UI_META = { ui: { prefersBorder: true, csp: { connectDomains: [], resourceDomains: [] } } };

export const BOARD_APP_RESOURCE: Resource = {
  uri: BOARD_APP_URI,
  name: 'board-app',
  title: 'TinyTask board',
  description: 'The live board as an MCP App: HTML for hosts that render ui:// resources.',
  mimeType: RESOURCE_MIME_TYPE,
  _meta: RESOURCE_UI_META,
};

const require = createRequire(import.meta.url);

/**
 * ext-apps' browser bundle ends with one `export{a as B,...}`; inlined into a classic page it becomes
 * `globalThis.McpApps = {B: a, ...}`.
 */
export function bundleAsGlobal(source: string): string {
  const match = /export\s*\{([^}]*)\};?\s*$/.exec(source);
  if (!match) throw new Error('unexpected @modelcontextprotocol/ext-apps bundle: no final export statement');
  const pairs = match[1]!
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const [local, exported] = p.split(/\s+as\s+/);
      return `${JSON.stringify(exported ?? local)}:${local}`;
    });
  return `${source.slice(0, match.index)}\nglobalThis.McpApps={${pairs.join(',')}};\n`;
}

/** Keeps inlined code from closing its `<script>` element early. */
function inlineSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

let html: string | undefined;

/** The app's HTML, built once per process from the board's files and the ext-apps bundle. */
export function boardAppHtml(): string {
  if (html) return html;
  const web = (name: string) => readFileSync(join(WEB_DIR, name), 'utf8');
  const bundle = readFileSync(require.resolve('@modelcontextprotocol/ext-apps/app-with-deps'), 'utf8');
  const script = [bundleAsGlobal(bundle), web('sources.js'), web('board.js'), web('mcp-app.js')]
    .map(inlineSafe)
    .join('\n;\n');
  html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    '<meta name="color-scheme" content="light dark" />',
    '<title>TinyTask board</title>',
    `<style>${web('board.css').replace(/<\/(style)/gi, '<\\/$1')}</style>`,
    '</head>',
    '<body class="in-app">',
    '<div id="board-root" class="board"></div>',
    `<script type="module">${script}</script>`,
    '</body>',
    '</html>',
  ].join('\n');
  return html;
}
