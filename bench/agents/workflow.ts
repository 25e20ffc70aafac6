import { performance } from 'node:perf_hooks';
import { Histogram, type HistogramJSON } from '../lib/histogram.js';
import { McpHttpSession, taskOf, type CallOutcome } from '../lib/mcp-session.js';

/**
 * The simulated agents. Each agent owns one MCP session on one keep-alive connection and loops:
 *
 *   create_task (assigned to a random agent) → signup_for_task → add_comment → get_my_queue
 *   → update_task status=complete, plus get_task every 5th and list_tasks every 10th round.
 *
 * It records the latency of every call that ends inside the measurement window, counts errors by kind, and keeps
 * what the board verification needs: the ids it created, claimed and completed.
 */

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const TOOLS = [
  'create_task',
  'signup_for_task',
  'add_comment',
  'get_my_queue',
  'update_task',
  'get_task',
  'list_tasks',
] as const;
export type ToolName = (typeof TOOLS)[number];

export interface AgentsJob {
  url: string;
  headers: Record<string, string>;
  runId: string;
  /** The agents this process drives. */
  agents: string[];
  /** Every agent of the run (tasks are assigned to any of them). */
  allAgents: string[];
  timeoutMs: number;
}

export interface ErrorCounts {
  http: number;
  rpc: number;
  tool: number;
}

export interface GroupResult {
  histograms: Record<string, HistogramJSON>;
  errors: Record<string, ErrorCounts>;
  errorSamples: string[];
  /** Calls that ended inside the window. */
  calls: number;
  created: number[];
  /** [task id, claiming agent]. */
  claims: Array<[number, string]>;
  completed: number[];
  initFailures: number;
  /** Agents whose loop ended on an unexpected exception (should be 0). */
  crashed: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Event-loop utilisation of the generator process over the window (0..1). */
  elu: number;
  windowMs: number;
  reconnects: number;
}

export class AgentGroup {
  private sessions: McpHttpSession[] = [];
  private readonly hist = new Map<string, Histogram>();
  private readonly errors = new Map<string, ErrorCounts>();
  private readonly errorSamples: string[] = [];
  private created: number[] = [];
  private claims: Array<[number, string]> = [];
  private completed: number[] = [];
  private measuring = false;
  private stopped = false;
  private calls = 0;
  private initFailures = 0;
  private crashed = 0;
  private loops: Array<Promise<void>> = [];
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private cpuInWindow: NodeJS.CpuUsage = { user: 0, system: 0 };
  private eluAtStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  private elu = 0;
  private windowStart = 0;
  private windowMs = 0;
  /** Calls that ended so far (window or not), for progress reports. */
  progressCalls = 0;
  /** Latencies since the last `takeInterval()` (window or not), for the soak's samples. */
  private interval = new Histogram();

  constructor(
    private readonly job: AgentsJob,
    /** Mean pause (ms) an agent takes between calls, drawn uniformly from 0..2×; 0 = back to back. */
    private readonly thinkMs = 0,
  ) {
    for (const t of TOOLS) {
      this.hist.set(t, new Histogram());
      this.errors.set(t, { http: 0, rpc: 0, tool: 0 });
    }
  }

  /** Opens every agent's session (bounded concurrency so 1,000 agents do not stampede the server). */
  async connect(concurrency = 50): Promise<void> {
    const sessions = this.job.agents.map(
      (agent) =>
        new McpHttpSession({
          url: this.job.url,
          headers: this.job.headers,
          timeoutMs: this.job.timeoutMs,
          clientName: agent,
        }),
    );
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sessions.length) {
        const s = sessions[next++] as McpHttpSession;
        try {
          await s.initialize();
        } catch (err) {
          this.initFailures++;
          this.sample(`initialize: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, sessions.length) }, worker));
    this.sessions = sessions;
  }

  /** Starts every agent's loop. */
  run(): void {
    this.loops = this.sessions.map((s, i) =>
      s.ready
        ? this.agentLoop(s, this.job.agents[i] as string).catch((err: unknown) => {
            this.crashed++;
            this.sample(`agent loop crashed: ${(err as Error).stack ?? String(err)}`);
          })
        : Promise.resolve(),
    );
  }

  startWindow(): void {
    for (const h of this.hist.values()) h.reset();
    this.calls = 0;
    this.cpuAtStart = process.cpuUsage();
    this.eluAtStart = performance.eventLoopUtilization();
    this.windowStart = performance.now();
    this.measuring = true;
  }

  endWindow(): void {
    if (!this.measuring) return;
    this.measuring = false;
    this.windowMs = performance.now() - this.windowStart;
    this.cpuInWindow = process.cpuUsage(this.cpuAtStart);
    this.elu = performance.eventLoopUtilization(this.eluAtStart).utilization;
  }

  /** Stops the loops after their current call; resolves when all have ended. */
  async stop(): Promise<void> {
    this.endWindow();
    this.stopped = true;
    await Promise.all(this.loops);
  }

  async closeSessions(concurrency = 50): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.sessions.length) await (this.sessions[next++] as McpHttpSession).close();
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.sessions.length) }, worker));
  }

  result(): GroupResult {
    const histograms: Record<string, HistogramJSON> = {};
    const errors: Record<string, ErrorCounts> = {};
    for (const [t, h] of this.hist) histograms[t] = h.toJSON();
    for (const [t, e] of this.errors) errors[t] = { ...e };
    return {
      histograms,
      errors,
      errorSamples: this.errorSamples,
      calls: this.calls,
      created: this.created,
      claims: this.claims,
      completed: this.completed,
      initFailures: this.initFailures,
      crashed: this.crashed,
      cpuUserMs: this.cpuInWindow.user / 1000,
      cpuSystemMs: this.cpuInWindow.system / 1000,
      elu: this.elu,
      windowMs: this.windowMs,
      reconnects: this.sessions.reduce((n, s) => n + Math.max(0, s.conn.connects - 1), 0),
    };
  }

  /** The latencies recorded since the previous call (the soak samples p99 this way every 10 s). */
  takeInterval(): HistogramJSON {
    const json = this.interval.toJSON();
    this.interval.reset();
    return json;
  }

  private sample(message: string): void {
    if (this.errorSamples.length < 20) this.errorSamples.push(message);
  }

  private async call(
    session: McpHttpSession,
    tool: ToolName,
    args: Record<string, unknown>,
  ): Promise<CallOutcome> {
    if (this.thinkMs > 0) await sleep(Math.random() * 2 * this.thinkMs);
    const t0 = performance.now();
    const out = await session.callTool(tool, args);
    const ms = performance.now() - t0;
    this.progressCalls++;
    this.interval.record(ms);
    if (this.measuring) {
      (this.hist.get(tool) as Histogram).record(ms);
      this.calls++;
    }
    if (!out.ok) {
      (this.errors.get(tool) as ErrorCounts)[out.kind]++;
      this.sample(`${tool} (${out.kind}): ${out.message.slice(0, 300)}`);
    }
    return out;
  }

  private async agentLoop(session: McpHttpSession, agent: string): Promise<void> {
    const all = this.job.allAgents;
    let round = 0;
    while (!this.stopped) {
      round++;
      const assignee = all[Math.floor(Math.random() * all.length)] as string;
      const created = await this.call(session, 'create_task', {
        title: `${this.job.runId} ${agent} round ${round}`,
        description: 'Benchmark task: implement the thing, then hand it back with a short report.',
        assigned_to: assignee,
        created_by: agent,
        priority: round % 5,
        tags: ['bench'],
      });
      const createdTask = created.ok ? taskOf(created.value) : null;
      if (createdTask) this.created.push(createdTask.id);
      if (this.stopped) break;

      const claim = await this.call(session, 'signup_for_task', { agent_name: agent });
      const claimed = claim.ok ? taskOf(claim.value) : null;
      if (claimed) this.claims.push([claimed.id, agent]);
      if (this.stopped) break;

      const target = claimed?.id ?? createdTask?.id;
      if (target !== undefined) {
        await this.call(session, 'add_comment', {
          task_id: target,
          content: `${agent}: picked this up, working on it.`,
          created_by: agent,
        });
        if (this.stopped) break;
      }

      await this.call(session, 'get_my_queue', { agent_name: agent });
      if (this.stopped) break;

      if (claimed) {
        const done = await this.call(session, 'update_task', {
          id: claimed.id,
          status: 'complete',
          updated_by: agent,
        });
        if (done.ok) this.completed.push(claimed.id);
        if (this.stopped) break;
      }

      if (round % 5 === 0 && target !== undefined) {
        await this.call(session, 'get_task', { id: target });
        if (this.stopped) break;
      }
      if (round % 10 === 0) {
        await this.call(session, 'list_tasks', { assigned_to: agent, limit: 20 });
      }
    }
  }
}
