/**
 * One load-generator process (forked by bench/agents/run.ts). It drives its share of the agents and answers the
 * parent's commands; the parent owns the clock so every process measures the same window.
 */
import type { HistogramJSON } from '../lib/histogram.js';
import { AgentGroup, type AgentsJob, type GroupResult } from './workflow.js';

export type ToWorker =
  | { type: 'job'; job: AgentsJob; thinkMs: number }
  | { type: 'start' }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'interval' };

export type FromWorker =
  | { type: 'ready'; initFailures: number }
  | { type: 'progress'; calls: number }
  | { type: 'result'; result: GroupResult }
  | { type: 'interval'; histogram: HistogramJSON }
  | { type: 'fatal'; message: string };

let group: AgentGroup | undefined;
let progressTimer: NodeJS.Timeout | undefined;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

process.on('message', (msg: ToWorker) => {
  void handle(msg).catch((err: unknown) => {
    send({ type: 'fatal', message: (err as Error).stack ?? String(err) });
  });
});

// The parent going away ends this process: a generator must never outlive its run.
process.on('disconnect', () => process.exit(0));

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'job':
      group = new AgentGroup(msg.job, msg.thinkMs);
      await group.connect();
      send({ type: 'ready', initFailures: group.result().initFailures });
      break;
    case 'start':
      group?.run();
      progressTimer = setInterval(() => send({ type: 'progress', calls: group?.progressCalls ?? 0 }), 500);
      break;
    case 'interval':
      if (group) send({ type: 'interval', histogram: group.takeInterval() });
      break;
    case 'window-start':
      group?.startWindow();
      break;
    case 'window-end': {
      if (!group) return;
      await group.stop();
      if (progressTimer) clearInterval(progressTimer);
      const result = group.result();
      await group.closeSessions();
      send({ type: 'result', result });
      break;
    }
  }
}
