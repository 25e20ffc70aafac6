import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per area (our code by
 * directory, each dependency by package, V8/Node internals, GC, idle), from the sample timeline.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Functions whose samples are a thread blocked, not working: piscina's workers sleep in `Atomics.wait` inside
 * `atomicsWaitLoop` between tasks, which the sampler attributes to that JS frame.
 */
const WAIT_FUNCTIONS = new Set(['atomicsWaitLoop']);

export interface SelfTime {
  name: string;
  ms: number;
  /** Share of the profile's non-idle time, 0..100. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Idle or blocked waiting for work (Atomics.wait). */
  idleMs: number;
  busyMs: number;
  functions: SelfTime[];
  areas: SelfTime[];
  /** Total (inclusive) time of the functions that spend the most with their callees, our code and the SDK's. */
  inclusive: SelfTime[];
}

/** Where a script lives: `src/db`, `sdk`, `zod`, `node:internal`, ... */
export function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program: native, not attributed)';
    if (functionName === '(root)') return '(root)';
    return '(native)';
  }
  if (url.startsWith('node:'))
    return `node:${url.slice(5).split('/')[0] === 'internal' ? 'internal' : url.slice(5)}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '?');
    return pkg;
  }
  const m = /\/(dist|src)\/(.+)$/.exec(url);
  if (m?.[2]) {
    const parts = m[2].split('/');
    return parts.length > 1 ? `app: ${parts.slice(0, -1).join('/')}` : `app: ${parts[0]}`;
  }
  return path.basename(url);
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute it to the sample's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  let total = 0;
  let idle = 0;
  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)' || WAIT_FUNCTIONS.has(cf.functionName)) {
      idle += us;
      continue;
    }
    const where = cf.url
      ? `${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/')}:${cf.lineNumber + 1}`
      : '';
    const key = `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = areaOf(cf.url, cf.functionName);
    area.set(a, (area.get(a) ?? 0) + us);
  }
  const busy = total - idle;

  // Inclusive time: every function on a sample's stack (once per stack) is charged the sample's time.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode): string => {
    const cf = n.callFrame;
    const where = cf.url
      ? `${cf.url.replace(/^file:\/\/.*?\/(node_modules|dist|src)\//, '$1/')}:${cf.lineNumber + 1}`
      : '';
    return `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  };
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id);
    if (!leaf || leaf.callFrame.functionName === '(idle)' || WAIT_FUNCTIONS.has(leaf.callFrame.functionName))
      continue;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (!node) break;
      const cf = node.callFrame;
      if (!cf.url || !/\/(dist|src)\/|@modelcontextprotocol|piscina|zod/.test(cf.url)) continue;
      const key = keyOf(node);
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  const list = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busy > 0 ? (us / busy) * 100 : 0 }));
  return {
    file,
    totalMs: total / 1000,
    idleMs: idle / 1000,
    busyMs: busy / 1000,
    functions: list(fn, top),
    areas: list(area, 30),
    inclusive: list(incl, top),
  };
}
