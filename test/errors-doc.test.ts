import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/domain/errors.js';

const page = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the codes table: `| `CODE` | meaning | when | what to do |`. */
function documentedRows(): Array<{ code: string; cells: string[] }> {
  return page
    .split('\n')
    .filter((line) => /^\|\s*`[A-Z_]+`\s*\|/.test(line))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      return { code: (cells[0] ?? '').replaceAll('`', ''), cells };
    });
}

describe('docs/errors.md', () => {
  it('documents exactly the codes in ERROR_CODES, in the same order', () => {
    expect(documentedRows().map((r) => r.code)).toEqual(Object.keys(ERROR_CODES));
  });

  it('gives every code its meaning from the code, when it happens and what the agent should do', () => {
    for (const { code, cells } of documentedRows()) {
      expect(cells, code).toHaveLength(4);
      expect(cells[1], code).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES]);
      expect(cells[2]?.length, `${code}: when it happens`).toBeGreaterThan(20);
      expect(cells[3]?.length, `${code}: what to do`).toBeGreaterThan(20);
    }
  });
});
