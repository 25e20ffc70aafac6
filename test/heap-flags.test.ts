import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapFlags } from '../src/heap.js';

describe('the heap-growing factor the server sets itself', () => {
  it('is set unless node was started with its own', () => {
    expect(heapFlags([])).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    expect(heapFlags(['--max-semi-space-size=2', '--enable-source-maps'])).toHaveLength(1);
    expect(heapFlags(['--heap-growing-percent=50'])).toEqual([]);
    expect(heapFlags(['--heap_growing_percent', '30'])).toEqual([]);
  });
});
