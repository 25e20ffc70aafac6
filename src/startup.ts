/**
 * Start-up failures that are the operator's to fix (an unusable database path, a step that never finishes): the
 * CLI prints the message and exits with code 2, like a configuration error, instead of hanging or crashing.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Runs one start-up step with a deadline. When `work` does not settle within `timeoutMs`, `onTimeout` runs (to
 * stop what the step started) and the step fails with a StartupError naming it, so start-up never hangs.
 */
export async function startupStep<T>(
  name: string,
  timeoutMs: number,
  work: Promise<T>,
  onTimeout?: () => Promise<unknown> | void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([work.then((value) => ({ value })), deadline]);
    if (outcome !== 'timeout') return outcome.value;
  } finally {
    clearTimeout(timer);
  }
  work.catch(() => undefined);
  await Promise.resolve(onTimeout?.()).catch(() => undefined);
  throw new StartupError(
    `start-up step "${name}" did not finish within ${timeoutMs} ms (TINYTASK_STARTUP_TIMEOUT); the server was not started`,
  );
}
