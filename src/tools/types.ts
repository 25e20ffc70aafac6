import type { z } from 'zod';
import type { Board } from '../core/types.js';
import type { NamedToolset } from './toolsets.js';

/** What a tool handler answers: the structured result and, when TinyTask printed something else, that text. */
export interface ToolAnswer {
  /** `structuredContent`; matches the tool's `output` shape. */
  structured: Record<string, unknown>;
  /** The text block; defaults to `structured` as JSON. Set where TinyTask clients expect other text. */
  text?: string;
}

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
}

/** What a handler may use of the request besides its arguments. */
export interface ToolContext {
  /** Aborted when the client cancels the request or its session (stdio, HTTP) closes. */
  readonly signal: AbortSignal;
  /**
   * Sends a `notifications/progress` for this request; undefined when the client asked for none (no
   * `progressToken`). Never throws.
   */
  readonly progress: ((progress: number, total: number | undefined, message: string) => void) | undefined;
}

/**
 * One MCP tool. `input` is the operation's schema from src/domain/schemas.ts (TinyTask's argument names); the
 * handler gets the arguments after that schema parsed them (ids as numbers, defaults not applied).
 */
export interface ToolDef<S extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  /** Teaches an agent when to use the tool, not only what it does. */
  description: string;
  input: S;
  /** Shape of `structuredContent` on success. */
  output: z.ZodType;
  /** Words for docs/tools.md: the result in one sentence. */
  resultDoc: string;
  /** Error codes the tool can answer with (besides INVALID_ARGUMENT, OVERLOADED, UNAVAILABLE, INTERNAL). */
  errors: readonly string[];
  annotations: ToolAnnotations;
  /** Toolsets the tool belongs to besides `all` (src/tools/toolsets.ts). */
  toolsets: readonly NamedToolset[];
  /** Arguments naming the calling agent: with a token bound to an agent they must name that agent. */
  identity?: readonly string[];
  /** Optional identity arguments that take the bound agent's name when omitted. */
  identityDefaults?: readonly string[];
  /**
   * Other names accepted for an argument (alias → argument). Every tool that takes a task accepts `task_id`; where
   * TinyTask called it `id`, the schema shows `task_id` and `id` keeps working.
   */
  aliases?: Readonly<Record<string, string>>;
  /**
   * Arguments accepted but left out of the schema agents read (docs/tools.md lists them): TinyTask's spelling of
   * something a newer argument says better, or a filter the tool's description points to elsewhere.
   */
  hidden?: readonly string[];
  /** Only offered when the board records history. */
  requiresHistory?: boolean;
  run(board: Board, args: z.output<S>, ctx: ToolContext): Promise<ToolAnswer>;
}

/** Helper that keeps the handler's argument type tied to its schema. */
export function defineTool<S extends z.ZodType>(def: ToolDef<S>): ToolDef {
  return def as unknown as ToolDef;
}
