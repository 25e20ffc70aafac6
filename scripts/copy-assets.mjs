// Copies the non-TypeScript files the compiled server reads at run time next to the compiled code, so `dist/` is
// self-contained for `npm pack` and the container image: the SQL migrations and the live board's files (src/web,
// served as they are: the board has no build step).
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of [join('db', 'migrations'), 'web']) {
  const from = join(root, 'src', dir);
  const to = join(root, 'dist', dir);
  // Replaced as a whole: a file renamed or renumbered in src/ (a migration above all) must not linger in dist/.
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.ts') });
}
// The PostgreSQL I/O thread is plain JavaScript (it must start without the TypeScript loader; see the file).
mkdirSync(join(root, 'dist', 'db', 'pg'), { recursive: true });
cpSync(join(root, 'src', 'db', 'pg', 'io-thread.mjs'), join(root, 'dist', 'db', 'pg', 'io-thread.mjs'));
