/**
 * The size limits of every input and the one normalization of agent names, without zod: the writer and reader
 * threads need them, and loading zod and the input schemas there would cost each thread ~4 MB of heap for
 * nothing (validation happens on the main thread). src/domain/schemas.ts re-exports both.
 */

export const LIMITS = {
  title: 500,
  description: 20_000,
  agentName: 200,
  queueName: 100,
  tag: 100,
  tags: 50,
  comment: 20_000,
  url: 2_048,
  linkDescription: 2_000,
  priority: 1_000_000,
  listLimit: 1_000,
  listLimitDefault: 100,
  offset: 1_000_000_000,
  searchQuery: 500,
  searchLimit: 100,
  searchLimitDefault: 20,
  waitSecondsMin: 1,
  waitSecondsMax: 60,
  waitSecondsDefault: 25,
  /** Longest lease a call may ask for: one week. */
  leaseSeconds: 7 * 24 * 3600,
  leaseId: 100,
  /** Most blockers one task may have. */
  blockers: 100,
  reason: 2_000,
  cursor: 500,
} as const;

/**
 * The one normalization of agent names: two names are the same agent when their keys are equal. Trimmed,
 * Unicode-normalized (NFC) and lower-cased, so `Bob`, ` bob ` and `BOB` are one agent.
 */
export function agentKey(name: string): string {
  return name.trim().normalize('NFC').toLowerCase();
}
