import { CompleteRequestSchema } from '@modelcontextprotocol/core';
import type { CompleteResult, Server } from '@modelcontextprotocol/server';
import { handleRequest } from './requests.js';
import type { Board } from '../core/types.js';
import { LIMITS } from '../domain/schemas.js';
import { invalidParams, toRpcError } from './errors.js';
import { hasPrompt, promptCompletionKind, type CompletionKind } from './prompts.js';
import type { McpDeps } from './types.js';
import { RESOURCE_TEMPLATES } from './uris.js';

/** The spec caps a completion answer at 100 values. */
const MAX_VALUES = 100;

async function complete(
  board: Board,
  kind: CompletionKind,
  value: string,
): Promise<CompleteResult['completion']> {
  const limit = MAX_VALUES + 1;
  let values: string[];
  switch (kind) {
    case 'agent':
      values = value.length > LIMITS.agentName ? [] : await board.completeAgents({ prefix: value, limit });
      break;
    case 'queue':
      values = value.length > LIMITS.queueName ? [] : await board.completeQueues({ prefix: value, limit });
      break;
    case 'task':
      values = /^\d{0,16}$/.test(value)
        ? (await board.completeTaskIds({ prefix: value, limit })).map(String)
        : [];
      break;
  }
  const hasMore = values.length > MAX_VALUES;
  return { values: values.slice(0, MAX_VALUES), hasMore };
}

/** completion/complete for the resource template variables and the prompt arguments. */
export function registerCompletions(server: Server, deps: McpDeps): void {
  handleRequest(server, CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    let kind: CompletionKind | undefined;
    if (ref.type === 'ref/resource') {
      const template = RESOURCE_TEMPLATES.find((t) => t.uriTemplate === ref.uri);
      if (!template) {
        throw invalidParams(
          `Unknown resource template: ${ref.uri}. Templates: ${RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(', ')}.`,
        );
      }
      kind = Object.hasOwn(template.variables, argument.name) ? template.variables[argument.name] : undefined;
    } else {
      if (!hasPrompt(ref.name)) throw invalidParams(`Unknown prompt: ${ref.name}.`);
      kind = promptCompletionKind(ref.name, argument.name);
    }
    // An argument that takes free text (or does not exist) has nothing to complete.
    if (kind === undefined) return { completion: { values: [], hasMore: false } };
    try {
      return { completion: await complete(deps.board, kind, argument.value) };
    } catch (err) {
      throw toRpcError(err, deps.logger, { method: 'completion/complete' }, 'params');
    }
  });
}
