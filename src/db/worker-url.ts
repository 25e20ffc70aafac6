/**
 * Where a worker-thread entry module lives. Built (`dist/`), it is the compiled `.js`. Running from the
 * TypeScript sources (vitest, `npm run dev`), it is the `<name>.dev.mjs` next to the `.ts` entry: it registers
 * the tsx loader inside the new thread (Node 20 does not pass `--import` hooks on to worker threads) and then
 * loads the `.ts` entry.
 */
export interface WorkerModule {
  url: URL;
}

export function workerModule(relativeWithoutExtension: string, base: string): WorkerModule {
  const fromSource = base.endsWith('.ts');
  return { url: new URL(`${relativeWithoutExtension}${fromSource ? '.dev.mjs' : '.js'}`, base) };
}

/**
 * The Node options our threads start with: the process's own (source maps, memory flags, ...), minus those that
 * only make sense for the main entry (`--input-type` applies to `-e` code and would make the thread fail).
 */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith('--input-type'));
}
