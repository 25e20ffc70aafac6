import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/**
 * Checks REST answers against the server's own OpenAPI document: each answer's status must be documented for its
 * route and its body must match the documented schema. Records which (route, method, status) were seen, so a test
 * can require that every documented status was produced at least once.
 */

type JsonObject = Record<string, unknown>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  /** Path template of the route (as in the document). */
  template: string;
}

export interface ApiRequest {
  method?: string;
  /** Path with query, under the server root (e.g. `/api/v1/tasks?limit=5`). */
  path: string;
  token?: string;
  body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
}

function pointer(...parts: string[]): string {
  return parts.map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');
}

export class OpenApiChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; regex: RegExp }>;
  readonly seen = new Set<string>();

  constructor(
    readonly doc: JsonObject,
    private readonly baseUrl: string,
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema(doc, 'openapi.json');
    this.templates = Object.keys(doc.paths as JsonObject).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[a-z_]+\}/g, '[^/]+')}$`),
    }));
  }

  /** Every `METHOD template status` the document lists (the `default` answer excepted). */
  documented(): string[] {
    const out: string[] = [];
    for (const [template, item] of Object.entries(this.doc.paths as Record<string, JsonObject>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const status of Object.keys((op as { responses: JsonObject }).responses)) {
          if (status !== 'default') out.push(`${method.toUpperCase()} ${template} ${status}`);
        }
      }
    }
    return out;
  }

  templateOf(path: string): string {
    const bare = path.split('?')[0]!;
    const found = this.templates.find((t) => t.regex.test(bare));
    if (!found) throw new Error(`no documented route for ${bare}`);
    return found.template;
  }

  private validator(template: string, method: string, status: string): ValidateFunction {
    const key = `${method} ${template} ${status}`;
    let v = this.validators.get(key);
    if (!v) {
      const ref = `openapi.json#/${pointer('paths', template, method, 'responses', status, 'content', 'application/json', 'schema')}`;
      v = this.ajv.compile({ $ref: ref });
      this.validators.set(key, v);
    }
    return v;
  }

  /** Sends one request; fails unless the answer's status is documented and its body matches the document. */
  async call(req: ApiRequest): Promise<ApiAnswer> {
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = { ...req.headers };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    let body: string | undefined = req.rawBody;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${req.path}`, { method, headers, body });
    const text = await res.text();
    const template = this.templateOf(req.path);
    const op = (this.doc.paths as Record<string, JsonObject>)[template]?.[method.toLowerCase()] as
      { responses: JsonObject } | undefined;
    if (!op) throw new Error(`${method} ${template} is not documented`);
    const status = String(res.status);
    const documentedStatus = status in op.responses ? status : 'default';
    if (documentedStatus === 'default' && !(res.status >= 500)) {
      throw new Error(`${method} ${req.path}: status ${status} is not documented (${text.slice(0, 300)})`);
    }
    expectJson(res, text, method, req.path);
    const parsed: unknown = JSON.parse(text);
    const validate = this.validator(template, method.toLowerCase(), documentedStatus);
    if (!validate(parsed)) {
      throw new Error(
        `${method} ${req.path} ${status}: answer does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${text.slice(0, 500)}`,
      );
    }
    this.seen.add(`${method} ${template} ${documentedStatus}`);
    return { status: res.status, headers: res.headers, body: parsed, template };
  }
}

function expectJson(res: Response, text: string, method: string, path: string): void {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/json')) {
    throw new Error(`${method} ${path}: content-type ${type}, body ${text.slice(0, 200)}`);
  }
}
