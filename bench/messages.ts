/**
 * `npm run bench:messages`: what validating one `tools/call` costs on the main thread, step by step, in one process
 * (no server): the transport's check of the inbound message (src/mcp/messages.ts, and the SDK schema it replaces
 * for the common shapes), the SDK `Protocol`'s type guards on every inbound message (result? error? request?), the
 * SDK `Server`'s parse of the request and of the result, and, for scale, JSON.stringify of the answer's task.
 * CPU time per operation, median of `--runs`.
 */
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  JSONRPCErrorResponseSchema,
  JSONRPCMessageSchema,
  JSONRPCRequestSchema,
  JSONRPCResultResponseSchema,
} from '@modelcontextprotocol/core';
import { parseJsonRpcMessage } from '../src/mcp/messages.js';
import { defineFlags } from './lib/args.js';
import { cliMain, commandLine, OUT_FLAG, PIN_FLAGS, setupPinning, stamp, writeResult } from './lib/cli.js';
import { describeMachine, machineInfo } from './lib/machine.js';
import { mdTable, median } from './lib/report.js';

const flags = defineFlags({
  iterations: { type: 'number', default: 100_000, help: 'Operations per run' },
  runs: { type: 'number', default: 5, help: 'Runs per operation; the median is reported' },
  ...PIN_FLAGS,
  ...OUT_FLAG,
});

const request: unknown = JSON.parse(
  '{"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"get_task","arguments":{"task_id":1234}}}',
);

/** A get_task answer of the size agents read: a task with a description, four comments and a link. */
const task = {
  id: 1234,
  title: 'Migrate the billing exports to the new storage layout',
  description: 'Move every export job to the new layout; keep the old paths readable for a week. '.repeat(5),
  status: 'in_progress',
  priority: 3,
  assigned_to: 'agent-17',
  created_by: 'agent-3',
  queue_name: 'backend',
  tags: ['billing', 'storage'],
  created_at: '2026-12-03T10:00:00.000Z',
  updated_at: '2026-12-03T10:01:00.000Z',
  lease: { lease_id: 'b6f1c0de-2f7e-4d0e-9a51-3d2b7c1e9f00', expires_at: '2026-12-03T10:05:00.000Z' },
  comments: Array.from({ length: 4 }, (_, i) => ({
    id: i + 1,
    content: 'Exports for March and April moved; the May job still writes to the old path. '.repeat(2),
    created_by: 'agent-17',
    created_at: '2026-12-03T10:00:00.000Z',
  })),
  links: [{ id: 1, url: 'https://git.example.com/billing/pull/481', description: 'pull request' }],
};
const result = { content: [{ type: 'text', text: JSON.stringify(task) }], structuredContent: task };

const steps: Array<[string, () => unknown]> = [
  ['transport: parseJsonRpcMessage (src/mcp/messages.ts)', () => parseJsonRpcMessage(request)],
  ['transport: JSONRPCMessageSchema.safeParse (before)', () => JSONRPCMessageSchema.safeParse(request)],
  [
    'SDK Protocol: the three guards on an inbound request',
    () =>
      JSONRPCResultResponseSchema.safeParse(request).success ||
      JSONRPCErrorResponseSchema.safeParse(request).success ||
      JSONRPCRequestSchema.safeParse(request).success,
  ],
  ['SDK Server: CallToolRequestSchema.safeParse', () => CallToolRequestSchema.safeParse(request)],
  ['SDK Server: CallToolResultSchema.safeParse (get_task)', () => CallToolResultSchema.safeParse(result)],
  ['for scale: JSON.stringify of the task', () => JSON.stringify(task)],
];

function cpuMicrosPerOp(fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

cliMain('bench:messages', 'CPU cost of validating one tools/call, step by step', flags, async (f) => {
  const pinning = setupPinning(f);
  const rows = steps.map(([name, fn]) => {
    const runs = Array.from({ length: f.runs }, () => cpuMicrosPerOp(fn, f.iterations));
    return [name, median(runs).toFixed(2), runs.map((r) => r.toFixed(2)).join(', ')];
  });
  const report = [
    '# Validating one tools/call',
    '',
    `- Command: \`${commandLine('bench:messages')}\``,
    `- Machine: ${describeMachine(machineInfo())}; ${pinning.note}`,
    '',
    mdTable(['step', 'CPU µs per operation (median)', 'runs'], rows, ['l', 'r', 'l']),
    '',
  ].join('\n');
  process.stdout.write(report);
  process.stdout.write(`\nReport: ${writeResult(f.out, `messages-${stamp()}.md`, report)}\n`);
  return 0;
});
