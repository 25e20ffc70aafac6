import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../../domain/errors.js';
import { errorEnvelopeShape } from '../../../tools/shapes.js';
import { type ArgSpec, hasBody, type RestRoute, restRoutes } from './routes.js';
import { ANY_ROUTE_CODES, HTTP_STATUS } from './status.js';

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table and the operations' zod schemas
 * (`z.toJSONSchema`): parameters and request bodies from the input schemas, answers from the output schemas,
 * error answers from each operation's error codes through HTTP_STATUS. Served at `/api/v1/openapi.json`.
 */

type JsonObject = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/** Codes every REST operation can answer with besides its own: bad arguments, auth, Host/Origin and ownership. */
const EVERY_ROUTE_CODES: readonly ErrorCode[] = ['INVALID_ARGUMENT', 'UNAUTHORIZED', 'FORBIDDEN'];

const TAGS = [
  { name: 'tasks', description: 'Tasks, their subtasks, hand-offs, history and search' },
  { name: 'comments', description: 'Comments on tasks' },
  { name: 'links', description: 'Links (artifact references) on tasks' },
  { name: 'queues', description: 'Team queues' },
  { name: 'agents', description: 'An agent’s own work' },
  { name: 'board', description: 'The board as a whole' },
];

/** Replaces `#/$defs/X` references by component references, collecting the definitions into `components`. */
function hoist(schema: JsonObject, components: Record<string, JsonObject>): JsonObject {
  const defs = (schema.$defs ?? {}) as Record<string, JsonObject>;
  delete schema.$defs;
  delete schema.$schema;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', COMPONENT_REF) : rewrite(v);
    }
    return out;
  };
  for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def) as JsonObject;
  return rewrite(schema) as JsonObject;
}

function outputSchema(route: RestRoute, components: Record<string, JsonObject>): JsonObject {
  return hoist(
    z.toJSONSchema(route.def.output, { io: 'output', unrepresentable: 'any' }) as JsonObject,
    components,
  );
}

function parameter(arg: ArgSpec, where: 'path' | 'query'): JsonObject {
  const { description, ...schema } = arg.schema;
  const isArray = JSON.stringify(schema).includes('"type":"array"');
  return {
    name: arg.name,
    in: where,
    required: where === 'path' ? true : arg.required,
    ...(description ? { description: String(description) } : {}),
    schema,
    ...(where === 'query' && isArray ? { style: 'form', explode: true } : {}),
  };
}

function requestBody(route: RestRoute): JsonObject | undefined {
  if (!hasBody(route.method)) return undefined;
  const pathNames = new Set(route.pathArgs.map((a) => a.name));
  const properties = Object.fromEntries(route.otherArgs.map((a) => [a.name, a.schema]));
  const required = route.otherArgs.filter((a) => a.required).map((a) => a.name);
  const schema: JsonObject = { ...route.inputSchema, properties };
  if (required.length > 0) schema.required = required;
  else delete schema.required;
  if (pathNames.size > 0) {
    schema.description = `Arguments of ${route.def.name} except ${[...pathNames].join(', ')}, which the path gives.`;
  }
  return {
    required: required.length > 0,
    content: { 'application/json': { schema } },
  };
}

/** Error statuses of a route, each with the codes that lead to it. */
function errorStatuses(route: RestRoute): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>([...EVERY_ROUTE_CODES, ...(route.def.errors as ErrorCode[])]);
  if (route.def.requiresHistory) codes.add('FEATURE_DISABLED');
  if (route.otherArgs.some((a) => a.name === 'idempotency_key')) codes.add('IDEMPOTENCY_CONFLICT');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    if (!codes.has(code) || (ANY_ROUTE_CODES as readonly ErrorCode[]).includes(code)) continue;
    const status = HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  if (hasBody(route.method)) {
    byStatus.set(413, ['INVALID_ARGUMENT']);
    byStatus.set(415, ['INVALID_ARGUMENT']);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

const errorContent = { 'application/json': { schema: { $ref: `${COMPONENT_REF}Error` } } };

function errorResponse(status: number, codes: readonly ErrorCode[]): JsonObject {
  const why =
    status === 413
      ? 'The body is larger than TINYTASK_MAX_BODY_BYTES.'
      : status === 415
        ? 'The body is not sent as application/json.'
        : codes.map((c) => `\`${c}\`: ${ERROR_CODES[c]}`).join(' ');
  return { description: why, content: errorContent };
}

function operation(route: RestRoute, components: Record<string, JsonObject>): JsonObject {
  const { def } = route;
  const parameters = [
    ...route.pathArgs.map((a) => parameter(a, 'path')),
    ...(hasBody(route.method) ? [] : route.otherArgs.map((a) => parameter(a, 'query'))),
  ];
  const success: JsonObject = {
    description: def.resultDoc,
    content: { 'application/json': { schema: outputSchema(route, components) } },
  };
  if (route.location) {
    success.headers = {
      Location: { description: 'Path of the created resource', schema: { type: 'string' } },
    };
  }
  const responses: JsonObject = { [route.created ? '201' : '200']: success };
  for (const [status, codes] of errorStatuses(route))
    responses[String(status)] = errorResponse(status, codes);
  responses.default = {
    description: `Any route: ${ANY_ROUTE_CODES.map((c) => `\`${c}\` (HTTP ${HTTP_STATUS[c]}): ${ERROR_CODES[c]}`).join(' ')}`,
    content: errorContent,
  };
  const body = requestBody(route);
  return {
    operationId: def.name,
    summary: def.title,
    description: `${def.description}\n\nSame operation as the MCP tool \`${def.name}\`.`,
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

let cached: JsonObject | undefined;

/** The document; built once per process. */
export function openApiDocument(version: string): JsonObject {
  if (cached) return cached;
  const components: Record<string, JsonObject> = {
    Error: hoist(
      z.toJSONSchema(errorEnvelopeShape(Object.keys(ERROR_CODES) as ErrorCode[], 'What went wrong'), {
        io: 'output',
      }) as JsonObject,
      {},
    ),
  };
  const paths: Record<string, JsonObject> = {};
  for (const route of restRoutes()) {
    const item = (paths[route.template] ??= {});
    item[route.method.toLowerCase()] = operation(route, components);
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'tinytask-mcp REST API',
      version,
      description:
        'The task board over plain HTTP: the same operations, rules, authentication and error codes as the MCP ' +
        'tools. Errors answer `{"error": {"code", "message"}}`; see docs/rest-api.md.',
    },
    tags: TAGS,
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'TINYTASK_AUTH_TOKEN, or a token of TINYTASK_AUTH_TOKENS_FILE (binds the agent).',
        },
      },
    },
  };
  return cached;
}
