import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRODUCT_NODE_ARGS } from '../bench/lib/server.js';
import { HEAP_GROWING_PERCENT, heapFlags } from '../src/heap.js';

const ROOT = join(import.meta.dirname, '..');

describe('the heap-growing factor the server sets itself', () => {
  it('is set unless node was started with its own', () => {
    expect(heapFlags([])).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    expect(heapFlags(['--max-semi-space-size=2', '--enable-source-maps'])).toHaveLength(1);
    expect(heapFlags(['--heap-growing-percent=50'])).toEqual([]);
    expect(heapFlags(['--heap_growing_percent', '30'])).toEqual([]);
  });
});

describe("the server's Node flags", () => {
  it('are the same for npm start, the image and the benches (the benches measure what ships)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const start = pkg.scripts.start.split(' ');
    expect(start.at(0)).toBe('node');
    expect(start.at(-1)).toBe('dist/cli.js');

    const cmdLine = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('CMD '));
    const cmd = JSON.parse(cmdLine!.slice('CMD '.length)) as string[];
    expect(cmd.at(0)).toBe('node');
    expect(cmd.at(-1)).toBe('/app/dist/cli.js');

    expect(start.slice(1, -1)).toEqual(PRODUCT_NODE_ARGS);
    expect(cmd.slice(1, -1)).toEqual(PRODUCT_NODE_ARGS);
  });
});
