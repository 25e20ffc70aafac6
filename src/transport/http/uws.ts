import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';

/** The parts of the uWebSockets.js module the server uses. */
export interface UwsModule {
  App(): TemplatedApp;
  us_listen_socket_close(socket: us_listen_socket): void;
  us_socket_local_port(socket: us_listen_socket): number;
}

export interface LoadedUws {
  uws: UwsModule;
  /** True when the native binary loaded; false for the slow pure-JS fallback. */
  native: boolean;
}

let loaded: Promise<LoadedUws> | undefined;

/**
 * Loads uWebSockets.js once. The package falls back to a pure-JS implementation when its binary cannot load, and
 * on that path writes with `console.log` — to stdout, which belongs to the stdio protocol in `stdio`/`both` modes.
 * While the module loads, `console.log`/`console.info` are sent to stderr instead.
 *
 * The native module exports `getParts` and `H3App`; the fallback does not, which is how the two are told apart.
 */
export function loadUws(): Promise<LoadedUws> {
  loaded ??= (async () => {
    /* eslint-disable no-console -- the stdout console methods are swapped out, not called */
    const { log, info } = console;
    const toStderr = (...args: unknown[]): void => console.error(...args);
    console.log = toStderr;
    console.info = toStderr;
    /* eslint-enable no-console */
    try {
      const mod = (await import('uWebSockets.js')) as unknown as { default: Record<string, unknown> };
      const uws = mod.default;
      const native = typeof uws.getParts === 'function' && typeof uws.H3App === 'function';
      return { uws: uws as unknown as UwsModule, native };
    } finally {
      /* eslint-disable no-console -- restoring the methods swapped out above */
      console.log = log;
      console.info = info;
      /* eslint-enable no-console */
    }
  })();
  return loaded;
}
