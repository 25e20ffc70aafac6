import { z } from 'zod';
import { WRITE_COMMAND_NAMES, WRITE_COMMANDS } from '../db/commands.js';
import type { WriteCommandName, WriteCommands } from '../db/protocol.js';
import { errors } from '../domain/errors.js';
import {
  argumentNames,
  assertWellFormedText,
  describeIssues,
  parsedWith,
  schemas,
  type Schemas,
} from '../domain/schemas.js';

export const IDEMPOTENCY_KEY_MAX = 200;

const keyError = () => `idempotency_key must be a string of 1 to ${IDEMPOTENCY_KEY_MAX} characters`;

export const idempotencyKey = z
  .string({ error: keyError })
  .min(1, { error: keyError })
  .max(IDEMPOTENCY_KEY_MAX, { error: keyError })
  .describe(
    `Makes the call safe to retry (at most ${IDEMPOTENCY_KEY_MAX} characters, e.g. a UUID): a repeat with the same ` +
      'key and the same arguments answers the first result and changes nothing; the same key with other arguments ' +
      'fails with IDEMPOTENCY_CONFLICT. Use a new key for every new change.',
  );

type WithKey<S> =
  S extends z.ZodObject<infer Shape, infer Config>
    ? z.ZodObject<Shape & { idempotency_key: z.ZodOptional<typeof idempotencyKey> }, Config>
    : never;

export type WriteInputs = {
  [K in WriteCommandName]: WithKey<Schemas[(typeof WRITE_COMMANDS)[K]['input']]>;
};

/**
 * The input schema of every write (tool input and board validation): its command's schema plus the optional
 * `idempotency_key`, derived from the command table so that no write can lack it.
 */
export const writeInputs = Object.fromEntries(
  WRITE_COMMAND_NAMES.map((name) => [
    name,
    // safeExtend keeps the schema's refinements (e.g. one spelling of the blockers).
    schemas[WRITE_COMMANDS[name].input].safeExtend({ idempotency_key: idempotencyKey.optional() }),
  ]),
) as unknown as WriteInputs;

/** Validates a write's input; splits the idempotency key (not an argument of the command) from its arguments. */
export function parseWriteInput<K extends WriteCommandName>(
  type: K,
  input: unknown,
): { args: WriteCommands[K]['args']; idempotencyKey: string | undefined } {
  const schema = writeInputs[type] as z.ZodType;
  assertWellFormedText(input);
  let data: unknown = input;
  if (!parsedWith(schema, input)) {
    const result = schema.safeParse(input ?? {}, { reportInput: true });
    if (!result.success)
      throw errors.invalidArgument(describeIssues(result.error.issues, argumentNames(schema)));
    data = result.data;
  }
  const { idempotency_key, ...args } = data as Record<string, unknown> & { idempotency_key?: string };
  return { args: args as WriteCommands[K]['args'], idempotencyKey: idempotency_key };
}
