// Copies the non-TypeScript files the compiled server reads at run time (SQL migrations) next to the
// compiled code, so `dist/` is self-contained for `npm pack` and the container image.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'src', 'db', 'migrations');
const to = join(root, 'dist', 'db', 'migrations');
// Replaced as a whole: a migration renamed or renumbered in src/ must not linger in dist/ under its old name.
rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.ts') });
