import { z } from 'zod';
import { allTools, type ToolDef } from '../../../tools/index.js';
import { boardStatsOperation } from './stats.js';

/**
 * The REST API as one table: each row maps a method and a path to a board operation — an MCP tool definition
 * (src/tools/*), so the REST API and the tools share one implementation, one input schema and one output schema.
 * The router and the OpenAPI document (openapi.ts) are both generated from this table.
 *
 * Path parameters carry the operation's own argument names (`{task_id}`, `{id}`, `{queue_name}`), so a path
 * parameter is simply one more argument. The other arguments come from the query string (GET, DELETE) or from the
 * JSON body (POST, PUT, PATCH).
 */

export const REST_PREFIX = '/api/v1';

export type RestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RestRouteSpec {
  method: RestMethod;
  /** OpenAPI path template under REST_PREFIX, e.g. `/tasks/{id}`. */
  path: string;
  /** Name of the operation: a tool name, or `board_stats`. */
  operation: string;
  /** Grouping in the OpenAPI document. */
  tag: 'tasks' | 'comments' | 'links' | 'queues' | 'agents' | 'board';
  /** Success answers 201 Created (with `Location` when `location` is set) instead of 200. */
  created?: boolean;
  /** Path of the created resource, `{id}` replaced by the answer's `id`. */
  location?: string;
}

export const REST_ROUTES: readonly RestRouteSpec[] = [
  { method: 'GET', path: '/tasks', operation: 'list_tasks', tag: 'tasks' },
  {
    method: 'POST',
    path: '/tasks',
    operation: 'create_task',
    tag: 'tasks',
    created: true,
    location: '/tasks/{id}',
  },
  { method: 'GET', path: '/tasks/{id}', operation: 'get_task', tag: 'tasks' },
  { method: 'PATCH', path: '/tasks/{id}', operation: 'update_task', tag: 'tasks' },
  { method: 'DELETE', path: '/tasks/{id}', operation: 'delete_task', tag: 'tasks' },
  { method: 'POST', path: '/tasks/{id}/archive', operation: 'archive_task', tag: 'tasks' },
  { method: 'POST', path: '/tasks/{task_id}/handoff', operation: 'move_task', tag: 'tasks' },
  { method: 'GET', path: '/tasks/{task_id}/history', operation: 'get_task_history', tag: 'tasks' },
  { method: 'GET', path: '/tasks/{task_id}/tree', operation: 'get_task_with_subtasks', tag: 'tasks' },
  { method: 'GET', path: '/tasks/{parent_task_id}/subtasks', operation: 'get_subtasks', tag: 'tasks' },
  {
    method: 'POST',
    path: '/tasks/{parent_task_id}/subtasks',
    operation: 'create_subtask',
    tag: 'tasks',
    created: true,
    location: '/tasks/{id}',
  },
  { method: 'PUT', path: '/tasks/{subtask_id}/parent', operation: 'move_subtask', tag: 'tasks' },
  { method: 'PUT', path: '/tasks/{task_id}/queue', operation: 'add_task_to_queue', tag: 'tasks' },
  { method: 'DELETE', path: '/tasks/{task_id}/queue', operation: 'remove_task_from_queue', tag: 'tasks' },
  { method: 'GET', path: '/tasks/{task_id}/comments', operation: 'list_comments', tag: 'comments' },
  {
    method: 'POST',
    path: '/tasks/{task_id}/comments',
    operation: 'add_comment',
    tag: 'comments',
    created: true,
    location: '/comments/{id}',
  },
  { method: 'GET', path: '/comments/{id}', operation: 'get_comment', tag: 'comments' },
  { method: 'PATCH', path: '/comments/{id}', operation: 'update_comment', tag: 'comments' },
  { method: 'DELETE', path: '/comments/{id}', operation: 'delete_comment', tag: 'comments' },
  { method: 'POST', path: '/comments/{comment_id}/move', operation: 'move_comment', tag: 'comments' },
  { method: 'GET', path: '/tasks/{task_id}/links', operation: 'list_links', tag: 'links' },
  { method: 'POST', path: '/tasks/{task_id}/links', operation: 'add_link', tag: 'links', created: true },
  { method: 'PATCH', path: '/links/{id}', operation: 'update_link', tag: 'links' },
  { method: 'DELETE', path: '/links/{id}', operation: 'delete_link', tag: 'links' },
  { method: 'GET', path: '/queues', operation: 'list_queues', tag: 'queues' },
  { method: 'GET', path: '/queues/{queue_name}', operation: 'get_queue_stats', tag: 'queues' },
  { method: 'GET', path: '/queues/{queue_name}/tasks', operation: 'get_queue_tasks', tag: 'queues' },
  { method: 'DELETE', path: '/queues/{queue_name}/tasks', operation: 'clear_queue', tag: 'queues' },
  { method: 'GET', path: '/agents/{agent_name}/queue', operation: 'get_my_queue', tag: 'agents' },
  { method: 'POST', path: '/agents/{agent_name}/signup', operation: 'signup_for_task', tag: 'agents' },
  // Coordination: pull claims, leases and the ready list.
  { method: 'POST', path: '/agents/{agent_name}/claim', operation: 'claim_next_task', tag: 'agents' },
  { method: 'POST', path: '/tasks/{task_id}/heartbeat', operation: 'heartbeat_task', tag: 'tasks' },
  { method: 'POST', path: '/tasks/{task_id}/release', operation: 'release_task', tag: 'tasks' },
  { method: 'POST', path: '/tasks/{task_id}/requeue', operation: 'requeue_task', tag: 'tasks' },
  { method: 'GET', path: '/ready', operation: 'list_ready_tasks', tag: 'tasks' },
  { method: 'GET', path: '/search', operation: 'search_tasks', tag: 'tasks' },
  { method: 'GET', path: '/stats', operation: 'board_stats', tag: 'board' },
];

/** Methods whose arguments come in a JSON body; the others take them from the query string. */
export function hasBody(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

type JsonObject = Record<string, unknown>;

/** One argument of an operation as its JSON Schema describes it. */
export interface ArgSpec {
  name: string;
  schema: JsonObject;
  required: boolean;
}

/** A row of the table, resolved: its operation, its arguments split by where they come from. */
export interface RestRoute extends RestRouteSpec {
  /** Full path template, with REST_PREFIX. */
  template: string;
  def: ToolDef;
  /** The operation's input as JSON Schema (`io: input`). */
  inputSchema: JsonObject;
  pathArgs: ArgSpec[];
  /** Query-string arguments (GET, DELETE) or JSON-body arguments (POST, PUT, PATCH). */
  otherArgs: ArgSpec[];
  segments: string[];
}

const OPERATIONS: ReadonlyMap<string, ToolDef> = new Map(
  [...allTools, boardStatsOperation].map((def) => [def.name, def]),
);

export function inputJsonSchema(def: ToolDef): JsonObject {
  const js = z.toJSONSchema(def.input, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete js.$schema;
  return js;
}

function resolveRoute(spec: RestRouteSpec, def: ToolDef): RestRoute {
  const inputSchema = inputJsonSchema(def);
  const properties = (inputSchema.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((inputSchema.required ?? []) as string[]);
  const pathNames = [...spec.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
  for (const name of pathNames) {
    if (!properties[name]) throw new Error(`REST route ${spec.path}: ${def.name} has no argument ${name}`);
  }
  const arg = (name: string): ArgSpec => ({
    name,
    schema: properties[name]!,
    required: required.has(name) || pathNames.includes(name),
  });
  return {
    ...spec,
    template: `${REST_PREFIX}${spec.path}`,
    def,
    inputSchema,
    pathArgs: pathNames.map(arg),
    otherArgs: Object.keys(properties)
      .filter((n) => !pathNames.includes(n))
      .map(arg),
    segments: `${REST_PREFIX}${spec.path}`.split('/').slice(1),
  };
}

let resolved: readonly RestRoute[] | undefined;

/** The table with its operations resolved. Built once; a row naming no operation is a bug and fails loudly. */
export function restRoutes(): readonly RestRoute[] {
  resolved ??= REST_ROUTES.map((spec) => {
    const def = OPERATIONS.get(spec.operation);
    if (!def) throw new Error(`REST route ${spec.method} ${spec.path}: no operation named ${spec.operation}`);
    return resolveRoute(spec, def);
  });
  return resolved;
}

export interface RouteMatch {
  route: RestRoute;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

/**
 * The routes whose template matches `path`, with the path parameters; the most specific first (more literal
 * segments), so `/tasks/ready` would win over `/tasks/{id}`.
 */
export function matchPath(path: string): RouteMatch[] {
  const parts = path.split('/').slice(1);
  const found: RouteMatch[] = [];
  for (const route of restRoutes()) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i]!;
      const part = parts[i]!;
      if (seg.startsWith('{')) {
        let value: string;
        try {
          value = decodeURIComponent(part);
        } catch {
          value = part;
        }
        if (value === '') ok = false;
        else params[seg.slice(1, -1)] = value;
      } else ok = seg === part;
    }
    if (ok) found.push({ route, params });
  }
  return found.sort((a, b) => literalSegments(b.route) - literalSegments(a.route));
}

function literalSegments(route: RestRoute): number {
  return route.segments.filter((s) => !s.startsWith('{')).length;
}
