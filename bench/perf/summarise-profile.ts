/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file/package.
 * usage: node --import tsx bench/perf/summarise-profile.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: summarise-profile.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** Groups a script URL: a package name under node_modules, `node:` internals, our src/ files. */
function group(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url;
}

const fns = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const g = group(url);
  const key = `${functionName || '(anonymous)'} ${g}:${lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  groups.set(g, (groups.get(g) ?? 0) + us);
}
const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
const top = (m: Map<string, number>, n: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${pct(us)}  ${k}`)
    .join('\n');
console.log(
  `total ${(total / 1e6).toFixed(2)} s sampled\n\n## self time by file/package\n${top(groups, 25)}`,
);
console.log(`\n## self time by function\n${top(fns, Number(topArg))}`);
