/**
 * Toolsets: named subsets of the tools, so that an agent's `tools/list` (which it pays for in context on every
 * session) holds only what its role needs. Each tool names the toolsets it belongs to (`ToolDef.toolsets`);
 * `all` holds every tool.
 *
 * A session's tools are the intersection of up to three choices, each a list of toolsets (their union):
 * the deployment's (`TINYTASK_TOOLSETS`, also the stdio session's), the token's (tokens file) and the
 * connection's (`/mcp?toolsets=…`). A later choice can only narrow an earlier one.
 */

export const TOOLSETS = {
  worker: 'An agent doing assigned work: claim, wait, heartbeat, read, comment, complete, hand off.',
  planner: 'An agent planning work: create, subtasks, dependencies, queues, search.',
  all: 'Every tool (the default).',
} as const;

export type ToolsetName = keyof typeof TOOLSETS;
/** The toolsets a tool can name; `all` holds every tool anyway. */
export type NamedToolset = Exclude<ToolsetName, 'all'>;

export const TOOLSET_NAMES = Object.keys(TOOLSETS) as ToolsetName[];

export function isToolsetName(value: string): value is ToolsetName {
  return Object.hasOwn(TOOLSETS, value);
}

/**
 * Parses a comma-separated list of toolset names (`worker,planner`). Answers the names, or a message naming the
 * unknown ones and the known ones.
 */
export function parseToolsetList(value: string): { toolsets: ToolsetName[] } | { error: string } {
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (names.length === 0) return { error: `name at least one toolset (${TOOLSET_NAMES.join(', ')})` };
  const unknown = names.filter((n) => !isToolsetName(n));
  if (unknown.length > 0) {
    return {
      error: `unknown toolset${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => JSON.stringify(n)).join(', ')}; known toolsets: ${TOOLSET_NAMES.join(', ')}`,
    };
  }
  return { toolsets: [...new Set(names as ToolsetName[])] };
}

/** What a tool needs to be placed in toolsets. */
export interface ToolsetMember {
  name: string;
  toolsets: readonly NamedToolset[];
}

/** Whether `tool` is in any of `toolsets`. */
export function inToolsets(tool: ToolsetMember, toolsets: readonly ToolsetName[]): boolean {
  return toolsets.some((t) => t === 'all' || (tool.toolsets as readonly string[]).includes(t));
}

/** One choice of toolsets and who made it, for messages. */
export interface ToolsetChoice {
  source: 'deployment' | 'token' | 'connection';
  toolsets: readonly ToolsetName[];
}

/** The tools every choice allows, in registry order. */
export function toolsAllowed<T extends ToolsetMember>(
  tools: readonly T[],
  choices: readonly ToolsetChoice[],
): T[] {
  return tools.filter((tool) => choices.every((c) => inToolsets(tool, c.toolsets)));
}

/** The toolsets that hold `tool` (narrowest first), for the message refusing a tool outside the session's. */
export function toolsetsHolding(tool: ToolsetMember): ToolsetName[] {
  return [...tool.toolsets, 'all'];
}
