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

/** Node options a worker thread accepts and that matter to our threads; those marked take a separate value. */
const WORKER_SAFE_FLAGS: Record<string, boolean> = {
  '--enable-source-maps': false,
  '--no-warnings': false,
  '--no-deprecation': false,
  '--trace-warnings': false,
  '--trace-uncaught': false,
  '--pending-deprecation': false,
  '--throw-deprecation': false,
  '--unhandled-rejections': false,
  '--conditions': true,
  '-C': true,
  '--import': true,
  '--require': true,
  '-r': true,
  '--loader': true,
  '--experimental-loader': true,
  // Profiling (bench:profile): every thread writes its own profile.
  '--cpu-prof': false,
  '--cpu-prof-dir': true,
  '--cpu-prof-interval': true,
};

/**
 * The Node options our threads start with: those of the process that a worker thread accepts (source maps,
 * warnings, loaders). V8 and process-wide options — `--max-old-space-size`, `--max-semi-space-size`, `--title`,
 * `--input-type`, ... — are left out: Node refuses to start a worker that is given them, so an operator's
 * `node --max-old-space-size=256 dist/cli.js` would otherwise fail at start-up. They apply to the main thread.
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    const takesValue = WORKER_SAFE_FLAGS[name];
    if (takesValue === undefined) continue;
    out.push(arg);
    if (takesValue && !arg.includes('=') && i + 1 < argv.length) out.push(argv[++i] as string);
  }
  return out;
}

/**
 * The V8 limits of our worker threads. Only the young generation is bounded: V8 grows it for allocation
 * throughput (16 MB semi-spaces), but the writer and the readers keep little alive between messages, so a small
 * one costs a few more, cheaper scavenges and saves tens of MB per thread (docs/performance.md, memory).
 */
export function threadResourceLimits(youngGenerationMb: number | undefined): {
  maxYoungGenerationSizeMb?: number;
} {
  return youngGenerationMb === undefined ? {} : { maxYoungGenerationSizeMb: youngGenerationMb };
}
