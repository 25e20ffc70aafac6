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
 *    every description is dropped (the field names are the documentation, docs/tools.md has the prose), and
 *    objects take the closed, grouped form of exactOutputSchema.
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
  // A count or a duration with an upper bound starts at 1; the bound is what a call may overstep.
  if (s.minimum === 1 && typeof s.maximum === 'number') delete s.minimum;
  if (s.minLength === 1) delete s.minLength;
  if (typeof s.maxLength === 'number' && s.maxLength < LONG_TEXT) delete s.maxLength;
  if (typeof s.maxItems === 'number' && s.maxItems < LONG_TEXT) delete s.maxItems;
  if (typeof s.minItems === 'number' && s.minItems <= 1) delete s.minItems;
  if (Array.isArray(s.enum) && s.type === 'string') delete s.type;
  if ('const' in s) delete s.type;
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

/**
 * An output schema, exact and compact. Every object an answer nests (a task in a list, the comments of a task) is
 * closed (`additionalProperties: false`), fields of the same type are typed together (`patternProperties` with
 * `^(a|b|c)$`), and which fields are present is said by a count instead of a second list of names: an object that
 * allows only its N named fields and has at least N has all of them (with one optional field F: N-1, and not
 * N-1 with F among them). Each nested shape is defined once per tool under `$defs` and referenced with `$ref`.
 *
 * The answer itself (the root) is typed the same way but left open, with no count: a failed call's
 * `structuredContent` is `{error: {code, message}}` (with `isError: true`), and the SDK client validates that
 * against the output schema too. Every success answer carries all of its root fields (tested).
 *
 * Spelled out as `properties` + `required`, the 23 tools that answer a task would cost every agent about 16 KB
 * more context; validators (the SDK client's ajv) read both forms alike. test/mcp-output-schemas.test.ts checks
 * that the two forms accept and refuse the same answers, and that every tool's answers validate.
 */
export function exactOutputSchema(schema: Json): Json {
  const walk = (node: unknown, root: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] =
        k === 'properties' || k === '$defs'
          ? Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, walk(pv, false)]))
          : walk(v, false);
    }
    return out.type === 'object' && isObject(out.properties) ? groupedObject(out, !root) : out;
  };
  return walk(compactNode(schema, false), true) as Json;
}

/** The root of a tool's output schema as exactOutputSchema leaves it open, for a shape it closed under `$defs`. */
export function openRoot(closed: Json): Json {
  const {
    additionalProperties: _closed,
    minProperties: _min,
    not: _not,
    required: _required,
    ...open
  } = closed;
  return open;
}

/** `node` (an object schema with `properties` and `required`) in the grouped form of exactOutputSchema. */
function groupedObject(node: Json, closed: boolean): Json {
  const { properties, required, additionalProperties: _open, ...rest } = node;
  const props = properties as Record<string, Json>;
  const names = Object.keys(props);
  const groups = new Map<string, { schema: Json; names: string[] }>();
  for (const name of names) {
    const key = JSON.stringify(props[name]);
    const group = groups.get(key) ?? { schema: props[name]!, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  const single = [...groups.values()].filter((g) => g.names.length === 1);
  const shared = [...groups.values()].filter((g) => g.names.length > 1);
  const out: Json = { ...rest };
  if (single.length > 0) out.properties = Object.fromEntries(single.map((g) => [g.names[0], g.schema]));
  if (shared.length > 0) {
    out.patternProperties = Object.fromEntries(shared.map((g) => [`^(${g.names.join('|')})$`, g.schema]));
  }
  if (!closed) return out;
  const present = new Set((required as string[] | undefined) ?? []);
  const optional = names.filter((n) => !present.has(n));
  out.additionalProperties = false;
  if (optional.length === 0) {
    out.minProperties = names.length;
  } else if (optional.length === 1) {
    out.minProperties = names.length - 1;
    out.not = { required: optional, maxProperties: names.length - 1 };
  } else if (present.size > 0) {
    out.required = [...present];
  }
  return out;
}
