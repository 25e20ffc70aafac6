import { describe, expect, it } from 'vitest';
import { argumentNames } from '../src/domain/schemas.js';
import { SHARED_OPTIONAL_ARGUMENTS, toolCatalogue, toolListSizes } from '../src/mcp/tools.js';
import { allTools } from '../src/tools/index.js';
import { TOOLSET_NAMES, type ToolsetName } from '../src/tools/toolsets.js';

/**
 * What an agent pays before any work: every session reads tools/list into its context. These are the budgets of
 * issue 11 (docs/tools.md states the measured sizes); a change that exceeds them must make room elsewhere.
 */
const BUDGET = {
  /** The whole tools/list answer, all tools (history on), as JSON bytes. */
  wholeBytes: 36_000,
  /** The part a model reads: name, title, description, inputSchema, annotations. */
  modelVisibleBytes: 14_000,
  /** The worker toolset's model-visible part. */
  workerModelVisibleBytes: 5_000,
};

function sizesOf(toolsets: ToolsetName[]) {
  return toolListSizes(toolCatalogue(true, [{ source: 'deployment', toolsets }]).descriptors);
}

describe('the tools/list budget', () => {
  it(`costs at most ${BUDGET.wholeBytes} bytes in all and ${BUDGET.modelVisibleBytes} model-visible, every tool listed`, () => {
    const all = sizesOf(['all']);
    expect(all.whole).toBeLessThanOrEqual(BUDGET.wholeBytes);
    expect(all.modelVisible).toBeLessThanOrEqual(BUDGET.modelVisibleBytes);
  });

  it(`keeps the worker toolset at most ${BUDGET.workerModelVisibleBytes} bytes model-visible`, () => {
    expect(sizesOf(['worker']).modelVisible).toBeLessThanOrEqual(BUDGET.workerModelVisibleBytes);
  });

  it('gives every toolset a smaller list than all', () => {
    const all = sizesOf(['all']).whole;
    for (const name of TOOLSET_NAMES.filter((n) => n !== 'all')) {
      expect(sizesOf([name]).whole, name).toBeLessThan(all);
    }
  });
});

describe('the shared optional arguments', () => {
  it('appear by name and type, without per-tool prose, in the input schema of every tool that takes them', () => {
    for (const def of allTools) {
      const shown =
        toolCatalogue(true).descriptors.find((d) => d.name === def.name)!.inputSchema.properties ?? {};
      for (const name of SHARED_OPTIONAL_ARGUMENTS) {
        const accepted = argumentNames(def.input).includes(name);
        expect(name in shown, `${def.name}.${name}`).toBe(accepted);
        if (accepted) expect(shown[name], `${def.name}.${name}`).not.toHaveProperty('description');
      }
    }
    const listed = allTools.filter((d) => argumentNames(d.input).includes('idempotency_key')).length;
    expect(listed).toBeGreaterThan(20);
  });
});
