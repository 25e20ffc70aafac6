import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from './cli-harness.js';

/**
 * The packages a module loads when it is imported: its static value imports (and re-exports), followed through
 * our own files. `import type` is erased by the compiler and dynamic `import()` loads only when it runs, so
 * neither counts.
 */
function loadedPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
    for (const node of source.statements) {
      let spec: string | undefined;
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly)
        spec = (node.moduleSpecifier as ts.StringLiteral).text;
      if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier)
        spec = (node.moduleSpecifier as ts.StringLiteral).text;
      if (spec === undefined) continue;
      if (!spec.startsWith('.')) {
        packages.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec),
        );
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) visit(target);
    }
  };
  visit(join(ROOT, entry));
  return packages;
}

describe('what the database threads load', () => {
  // Validation happens on the main thread; zod and the input schemas (~4 MB of heap) and pino (~1 MB) would only
  // make every worker thread bigger (docs/performance.md, memory).
  it.each(['src/db/writer/thread.ts', 'src/db/readers/worker.ts'])(
    '%s loads neither zod nor pino',
    (entry) => {
      const packages = loadedPackages(entry);
      expect(packages).toContain('better-sqlite3');
      expect([...packages]).not.toContain('zod');
      expect([...packages]).not.toContain('pino');
    },
  );
});
