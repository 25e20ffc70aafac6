import { z } from 'zod';
import { schemas } from '../domain/schemas.js';
import { deleteShape, linkShape } from './shapes.js';
import { writeInputs } from '../core/write-inputs.js';
import { defineTool, type ToolDef } from './types.js';

/** Link tools: references to the artifacts of a task (pull requests, documents, files, builds). */
export const linkTools: ToolDef[] = [
  defineTool({
    name: 'add_link',
    title: 'Add link',
    description:
      'Attach a link to a task: a URL, file path or other reference to an artifact you produced or used (pull ' +
      'request, design document, log), with a short description, so the next agent can find it.',
    input: writeInputs.addLink,
    output: linkShape,
    resultDoc: 'The created link.',
    errors: ['NOT_FOUND', 'LEASE_LOST', 'FORBIDDEN'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    identity: ['created_by'],
    identityDefaults: ['created_by'],
    run: async (board, args) => ({ structured: { ...(await board.addLink(args)) } }),
  }),

  defineTool({
    name: 'update_link',
    title: 'Update link',
    description:
      'Change the URL or the description of a link, e.g. when an artifact moved or a pull request was replaced. ' +
      'Only the fields you pass change.',
    input: writeInputs.updateLink,
    output: linkShape,
    resultDoc: 'The link after the change.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    run: async (board, args) => ({ structured: { ...(await board.updateLink(args)) } }),
  }),

  defineTool({
    name: 'delete_link',
    title: 'Delete link',
    description: 'Delete a link for good, e.g. one that points to the wrong artifact. This cannot be undone.',
    input: writeInputs.deleteLink,
    output: deleteShape,
    resultDoc: '`{ success: true, id, message }`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: async (board, args) => {
      const result = await board.deleteLink(args);
      return {
        structured: { success: true, id: result.id, message: `Link ${result.id} deleted successfully` },
      };
    },
  }),

  defineTool({
    name: 'list_links',
    title: 'List links',
    description:
      'List the links attached to a task: the artifacts (pull requests, documents, files) earlier agents produced ' +
      'or used.',
    input: schemas.listLinks,
    output: z.looseObject({
      task_id: z.number().int().describe('The task'),
      count: z.number().int().describe('Links'),
      links: z.array(linkShape).describe('The links'),
    }),
    resultDoc: '`{ task_id, count, links }`.',
    errors: ['NOT_FOUND'],
    annotations: { readOnlyHint: true, idempotentHint: true },
    run: async (board, args) => {
      const links = await board.listLinks(args);
      return { structured: { task_id: args.task_id, count: links.length, links } };
    },
  }),
];
