/**
 * A tiny flag parser for the bench CLIs: `--name value`, `--name=value`, `--flag`, `--no-flag`. Every CLI
 * declares its flags once (type, default, help), so `--help` and the parsed values always agree.
 */

export type FlagType = 'number' | 'string' | 'boolean' | 'numbers' | 'strings';

export interface FlagSpec {
  type: FlagType;
  default?: number | string | boolean | number[] | string[] | undefined;
  help: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'number'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'numbers'
      ? number[]
      : S['type'] extends 'strings'
        ? string[]
        : string;

export type Parsed<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { default: NonNullable<unknown> } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
} & { help: boolean };

/** Declares a CLI's flags, keeping their literal types for `parseArgs`. */
export function defineFlags<const S extends FlagSpecs>(specs: S): S {
  return specs;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function convert(name: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number (got ${JSON.stringify(raw)})`);
      return n;
    }
    case 'numbers': {
      const parts = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const nums = parts.map(Number);
      if (parts.length === 0 || nums.some((n) => !Number.isFinite(n))) {
        throw new UsageError(
          `--${name} needs a comma-separated list of numbers (got ${JSON.stringify(raw)})`,
        );
      }
      return nums;
    }
    case 'strings':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'boolean':
      if (['true', '1', 'yes', 'on'].includes(raw)) return true;
      if (['false', '0', 'no', 'off'].includes(raw)) return false;
      throw new UsageError(`--${name} needs true or false (got ${JSON.stringify(raw)})`);
    default:
      return raw;
  }
}

/** Parses argv (without node and script). Flag names are kebab-case on the command line, camelCase in the result. */
export function parseArgs<S extends FlagSpecs>(specs: S, argv: string[]): Parsed<S> {
  const byFlag = new Map<string, [string, FlagSpec]>();
  for (const [key, spec] of Object.entries(specs)) {
    byFlag.set(
      key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      [key, spec],
    );
  }
  const out: Record<string, unknown> = { help: false };
  for (const [key, spec] of Object.entries(specs)) out[key] = spec.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let entry = byFlag.get(name);
    if (!entry && name.startsWith('no-') && value === undefined) {
      const positive = byFlag.get(name.slice(3));
      if (positive && positive[1].type === 'boolean') {
        out[positive[0]] = false;
        continue;
      }
    }
    if (!entry) entry = byFlag.get(camel(name).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    if (!entry) throw new UsageError(`unknown flag --${name} (see --help)`);
    const [key, spec] = entry;
    if (value === undefined) {
      if (spec.type === 'boolean') {
        const next = argv[i + 1];
        if (next !== undefined && ['true', 'false'].includes(next)) {
          value = next;
          i++;
        } else value = 'true';
      } else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`--${name} needs a value`);
        value = next;
        i++;
      }
    }
    out[key] = convert(name, spec, value);
  }
  return out as Parsed<S>;
}

export function usage(command: string, summary: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${command} [flags]`, '', summary, '', 'Flags:'];
  for (const [key, spec] of Object.entries(specs)) {
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const def =
      spec.default === undefined
        ? ''
        : ` (default ${Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default)})`;
    lines.push(`  ${flag.padEnd(22)} ${spec.help}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(22)} Show this help`);
  return lines.join('\n');
}
