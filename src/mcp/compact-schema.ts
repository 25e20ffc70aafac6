/**
 * Every agent session reads `tools/list` into its context, so the JSON Schemas it carries are kept as small as
 * they can be while still saying everything a call needs to succeed. zod's generator is exact but verbose; this
 * rewrites its output without changing what it accepts (as far as a client can tell):
 *
 *  - an id or integer given "as a number or a numeric string" is shown as `integer` (numeric strings are still
 *    accepted, silently), and integer bounds of WIDE_RANGE or more are dropped;
 *  - `pattern` is dropped (ids and dates: the description says the form, the error message the fix);
 *  - `anyOf [T, null]` becomes `type: [T, "null"]`;
 *  - `additionalProperties: {}` (the default) and `minLength: 1` (an empty value is refused with a message naming
 *    the field) are dropped, as are length and count limits below LONG_TEXT (every text limit today: agents do not
 *    reach them in practice, and the error names the limit);
 *  - the root's `additionalProperties: false` is dropped: the server refuses unknown arguments itself, naming the
 *    closest known one;
 *  - descriptions below the top level of an argument restate its description and are dropped; in output schemas
 *    every description is dropped (the field names are the documentation, docs/tools.md has the prose).
 */

type Json = Record<string, unknown>;

/** Length and count limits below this are dropped (names, tags, lists); longer texts' limits are shown. */
const LONG_TEXT = 100_000;
/** Integer bounds this wide (ids, priorities, offsets) are never reached by a sensible call; narrower ones are shown. */
const WIDE_RANGE = 10_000;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumericStringBranch(s: Json): boolean {
  return s.type === 'string' && typeof s.pattern === 'string' && s.pattern.includes('[0-9]');
}

function compactNode(node: Json, keepDescription: boolean): Json {
  let s: Json = { ...node };
  if (Array.isArray(s.anyOf)) {
    let raw = s.anyOf as Json[];
    // integer | numeric string → integer
    if (raw.some((b) => b.type === 'integer') && raw.some(isNumericStringBranch)) {
      raw = raw.filter((b) => !isNumericStringBranch(b));
    }
    const branches = raw.map((b) => compactNode(b, false));
    const nonNull = branches.filter((b) => b.type !== 'null');
    const list = branches.find((b) => b.type === 'array');
    if (
      branches.length === 2 &&
      list &&
      JSON.stringify(list.items) === JSON.stringify(branches.find((b) => b !== list))
    ) {
      // "one value or an array of them": shown as the array; a single value is still accepted.
      const { anyOf: _drop, ...rest } = s;
      s = { ...list, ...rest };
    } else if (branches.length === 1) {
      const { anyOf: _drop, ...rest } = s;
      s = { ...branches[0], ...rest };
    } else if (
      nonNull.length === 1 &&
      branches.length === 2 &&
      typeof nonNull[0]!.type === 'string' &&
      !Array.isArray(nonNull[0]!.enum)
    ) {
      const { anyOf: _drop, ...rest } = s;
      s = { ...nonNull[0], ...rest, type: [nonNull[0]!.type, 'null'] };
    } else {
      s.anyOf = branches;
    }
  }
  if (typeof s.maximum === 'number' && Math.abs(s.maximum) >= WIDE_RANGE) {
    delete s.maximum;
    delete s.minimum;
  }
  delete s.pattern;
  if (s.minLength === 1) delete s.minLength;
  if (typeof s.maxLength === 'number' && s.maxLength < LONG_TEXT) delete s.maxLength;
  if (typeof s.maxItems === 'number' && s.maxItems < LONG_TEXT) delete s.maxItems;
  if (typeof s.minItems === 'number' && s.minItems <= 1) delete s.minItems;
  if (Array.isArray(s.enum) && s.type === 'string') delete s.type;
  if (isObject(s.additionalProperties) && Object.keys(s.additionalProperties).length === 0) {
    delete s.additionalProperties;
  }
  if (!keepDescription || s.description === '') delete s.description;
  if (isObject(s.items)) s.items = compactNode(s.items, false);
  if (isObject(s.properties)) {
    s.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, compactNode(v as Json, keepDescription)]),
    );
  }
  if (isObject(s.$defs)) {
    s.$defs = Object.fromEntries(Object.entries(s.$defs).map(([k, v]) => [k, compactNode(v as Json, false)]));
  }
  return s;
}

/** An input schema: each argument keeps its own description; nothing nested under it does. */
export function compactInputSchema(schema: Json): Json {
  const out = compactNode(schema, false);
  // Unknown arguments are still refused (with a "did you mean" hint); saying so in every schema costs ~1 KB.
  delete out.additionalProperties;
  if (isObject(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, compactNode(v as Json, true)]),
    );
  }
  return out;
}

/** An output schema: types and enums; no prose, no `required` lists (see outputJsonSchema). */
export function compactOutputSchema(schema: Json): Json {
  return stripRequired(compactNode(schema, false));
}

/**
 * Objects nested in an answer (tasks in a list, the task of a claim, comments, links, subtasks) as `object`, with
 * their nullability: the answer's own fields keep their exact types, while the fields of a task are spelled out
 * once per tool that answers a task, not again in every list. docs/tools.md describes the nested objects.
 */
export function shallowOutputSchema(root: Json): Json {
  const shallow = (node: Json): Json => {
    const types = Array.isArray(node.type) ? (node.type as string[]) : [node.type];
    if (types.includes('object') || isObject(node.$ref)) {
      return { type: types.includes('null') ? ['object', 'null'] : 'object' };
    }
    if (typeof node.$ref === 'string') return { type: 'object' };
    if (Array.isArray(node.anyOf)) {
      const branches = (node.anyOf as Json[]).map(shallow);
      return { ...node, anyOf: branches };
    }
    if (isObject(node.items)) return { ...node, items: shallow(node.items) };
    return node;
  };
  const { $defs: _defs, ...rest } = root;
  if (!isObject(rest.properties)) return rest;
  return {
    ...rest,
    properties: Object.fromEntries(Object.entries(rest.properties).map(([k, v]) => [k, shallow(v as Json)])),
  };
}

function stripRequired(node: unknown): Json {
  if (Array.isArray(node)) return node.map(stripRequired) as unknown as Json;
  if (!isObject(node)) return node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'required' && Array.isArray(v)) continue;
    out[k] =
      k === 'properties' || k === '$defs'
        ? Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, stripRequired(pv)]))
        : stripRequired(v);
  }
  return out;
}
