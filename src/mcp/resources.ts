import {
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/core';
import type { ReadResourceResult, Resource, Server } from '@modelcontextprotocol/server';
import type { Board } from '../core/types.js';
import { LIMITS } from '../domain/schemas.js';
import type { Task } from '../domain/types.js';
import { resourceNotFound, toRpcError, invalidCursor } from './errors.js';
import { handleRequest } from './requests.js';
import { decodeCursor, encodeCursor, pageOf } from './pagination.js';
import type { McpDeps } from './types.js';
import { BOARD_APP_RESOURCE, BOARD_APP_URI, boardAppHtml } from './app.js';
import {
  FIXED_RESOURCES,
  RESOURCE_TEMPLATES,
  UNKNOWN_URI_HINT,
  parseResourceUri,
  type ResourceRef,
} from './uris.js';

const MIME = 'application/json';
/** Most tasks a list resource (queue tasks, active, archived) carries; tools page further. */
const LIST_RESOURCE_LIMIT = LIMITS.listLimit;

async function archivedTasks(board: Board): Promise<{ count: number; tasks: Task[] }> {
  const expected = (await board.boardStats({})).archived;
  const tasks: Task[] = [];
  for (let offset = 0; tasks.length < Math.min(expected, LIST_RESOURCE_LIMIT); offset += LIMITS.listLimit) {
    const page = await board.listTasks({ include_archived: true, limit: LIMITS.listLimit, offset });
    for (const t of page.tasks)
      if (t.archived_at !== null && tasks.length < LIST_RESOURCE_LIMIT) tasks.push(t);
    if (offset + page.tasks.length >= page.total || page.tasks.length === 0) break;
  }
  return { count: tasks.length, tasks };
}

/** Reads the data behind a parsed resource URI (the same shapes the matching tools answer with). */
export async function readResourceData(board: Board, ref: ResourceRef): Promise<unknown> {
  switch (ref.kind) {
    case 'task':
      return board.getTask({ id: ref.id });
    case 'task_comments': {
      const comments = await board.listComments({ task_id: ref.id });
      return { task_id: Number(ref.id), count: comments.length, comments };
    }
    case 'task_links': {
      const links = await board.listLinks({ task_id: ref.id });
      return { task_id: Number(ref.id), count: links.length, links };
    }
    case 'task_hierarchy':
      return board.getTaskWithSubtasks({ task_id: ref.id, recursive: true });
    case 'queue_list': {
      const queues = await board.listQueues({});
      return { count: queues.length, queues };
    }
    case 'queue_stats':
      return board.getQueueStats({ queue_name: ref.queue });
    case 'queue_tasks': {
      const page = await board.getQueueTasks({ queue_name: ref.queue, limit: LIST_RESOURCE_LIMIT });
      return { queue_name: ref.queue, count: page.tasks.length, total: page.total, tasks: page.tasks };
    }
    case 'agent_summary':
      return board.agentQueueSummary({ agent_name: ref.agent });
    case 'agent_queue': {
      const tasks = await board.getMyQueue({ agent_name: ref.agent });
      return { agent: ref.agent, count: tasks.length, tasks };
    }
    case 'tasks_active': {
      const page = await board.listTasks({ limit: LIST_RESOURCE_LIMIT });
      return { count: page.tasks.length, total: page.total, tasks: page.tasks };
    }
    case 'tasks_archived':
      return archivedTasks(board);
    case 'agent_ready': {
      const page = await board.listReadyTasks({ agent_name: ref.agent, limit: LIST_RESOURCE_LIMIT });
      return { agent: ref.agent, count: page.tasks.length, tasks: page.tasks };
    }
    case 'tasks_ready': {
      const page = await board.listReadyTasks({ limit: LIST_RESOURCE_LIMIT });
      return { count: page.tasks.length, tasks: page.tasks };
    }
  }
}

export function registerResources(server: Server, deps: McpDeps): void {
  const { board, config, logger } = deps;

  handleRequest(server, ListResourceTemplatesRequestSchema, async (request) => {
    const templates = RESOURCE_TEMPLATES.map((t) => ({
      uriTemplate: t.uriTemplate,
      name: t.name,
      title: t.title,
      description: t.description,
      mimeType: MIME,
    }));
    const { page, nextCursor } = pageOf('templates', templates, request.params?.cursor, config.pageSize);
    return nextCursor ? { resourceTemplates: page, nextCursor } : { resourceTemplates: page };
  });

  // The fixed resources first (the board app last among them), then task://{id} for every unarchived task by
  // ascending id. The cursor holds the position in the fixed list and the last task id listed.
  const fixed: Resource[] = [
    ...FIXED_RESOURCES.map((r) => ({
      uri: r.uri,
      name: r.name,
      title: r.title,
      description: r.description,
      mimeType: MIME,
    })),
    BOARD_APP_RESOURCE,
  ];
  handleRequest(server, ListResourcesRequestSchema, async (request) => {
    const position = decodeCursor('resources', request.params?.cursor);
    let fixedOffset = 0;
    let afterId = 0;
    if (position) {
      const { f, a } = position;
      if (typeof f !== 'number' || typeof a !== 'number' || !Number.isInteger(f) || !Number.isInteger(a))
        throw invalidCursor();
      if (f < 0 || f > fixed.length || a < 0) throw invalidCursor();
      fixedOffset = f;
      afterId = a;
    }
    const resources: Resource[] = fixed.slice(fixedOffset, fixedOffset + config.pageSize);
    const fixedNext = fixedOffset + resources.length;
    const room = config.pageSize - resources.length;
    let nextCursor: string | undefined;
    if (room === 0) {
      nextCursor = encodeCursor('resources', { f: fixedNext, a: afterId });
    } else {
      let rows: Array<{ id: number; title: string }>;
      try {
        rows = await board.pageTaskIds({ after_id: afterId, limit: room + 1, archived: false });
      } catch (err) {
        throw toRpcError(err, logger, { method: 'resources/list' });
      }
      for (const row of rows.slice(0, room)) {
        resources.push({ uri: `task://${row.id}`, name: `task-${row.id}`, title: row.title, mimeType: MIME });
      }
      if (rows.length > room) nextCursor = encodeCursor('resources', { f: fixedNext, a: rows[room - 1]!.id });
    }
    return nextCursor ? { resources, nextCursor } : { resources };
  });

  handleRequest(server, ReadResourceRequestSchema, async (request): Promise<ReadResourceResult> => {
    const uri = request.params.uri;
    if (uri === BOARD_APP_URI) {
      const { mimeType, _meta } = BOARD_APP_RESOURCE;
      return { contents: [{ uri, mimeType: mimeType!, text: boardAppHtml(), _meta: _meta! }] };
    }
    const ref = parseResourceUri(uri);
    if (!ref) throw resourceNotFound(uri, UNKNOWN_URI_HINT);
    let data: unknown;
    try {
      data = await readResourceData(board, ref);
    } catch (err) {
      throw toRpcError(err, logger, { method: 'resources/read', uri });
    }
    return { contents: [{ uri, mimeType: MIME, text: JSON.stringify(data) }] };
  });
}
