// `npm start` runs this first: it builds (`npm run build`) only when dist/ is missing or older than what it is
// built from (src/, the tsconfig files, package.json), so a second start goes straight to the server.
// Usage: node scripts/build-if-stale.mjs [--check]   (--check: exit 1 when a build is needed, build nothing)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time of a file, or of any file below a directory (0 when missing). */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Why dist/ must be built, or null when it is current. */
export function staleReason(dir = root) {
  // tsc rewrites every output on each build, dist/cli.js among them.
  const built = join(dir, 'dist', 'cli.js');
  if (!existsSync(built)) return 'dist/ is missing';
  const sources = Math.max(
    newestMtime(join(dir, 'src')),
    newestMtime(join(dir, 'tsconfig.json')),
    newestMtime(join(dir, 'tsconfig.build.json')),
    newestMtime(join(dir, 'package.json')),
  );
  return statSync(built).mtimeMs < sources ? 'dist/ is older than the sources' : null;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reason = staleReason();
  if (process.argv.includes('--check')) process.exit(reason ? 1 : 0);
  if (reason) {
    process.stderr.write(`tinytask-mcp: ${reason}; building (npm run build)\n`);
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}
