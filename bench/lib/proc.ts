import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process figures read from /proc (Linux): CPU time of all threads of a process, resident memory now and at
 * its peak (VmHWM, kept by the kernel, so no short peak is missed between samples), thread count.
 */

let clockTicks: number | undefined;

export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcSnapshot {
  /** Wall clock (ms, performance.now() based). */
  at: number;
  /** User + system CPU time of every thread, ms. */
  cpuMs: number;
  rssBytes: number;
  /** Peak resident set size since the process started. */
  peakRssBytes: number;
  threads: number;
}

/** The fields of a /proc `stat` file after the command name, which may contain spaces and parentheses. */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time (ms) from `statFields`. */
function cpuMsOf(fields: string[]): number {
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond();
}

export function readProc(pid: number): ProcSnapshot | undefined {
  try {
    const fields = statFields(`/proc/${pid}/stat`);
    const threads = Number(fields[17]);
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    return {
      at: performance.now(),
      cpuMs: cpuMsOf(fields),
      rssBytes: kb('VmRSS'),
      peakRssBytes: kb('VmHWM'),
      threads,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) of each thread of a process, by thread id. Thread ids grow in creation order, so
 * for the server the smallest is the main thread (its id is the pid), then V8's and Node's helper threads, then
 * the writer thread, then the reader threads (bench/lib/memprobe.mjs records which id has which role).
 */
export function readThreadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      out.set(Number(tid), cpuMsOf(statFields(`/proc/${pid}/task/${tid}/stat`)));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** One thread's CPU over a window; `rank` is its place in creation order (0 = the main thread). */
export interface ThreadCpu {
  tid: number;
  rank: number;
  cpuMs: number;
}

export interface ProcWindow {
  seconds: number;
  cpuMs: number;
  /** CPU use over the window, in % of one core (200 % = two cores busy). */
  cpuPercent: number;
  /** Highest RSS sampled in the window. */
  maxRssBytes: number;
  /** VmHWM at the end of the window: the process's peak since it started. */
  peakRssBytes: number;
  threads: number;
  /** CPU of each thread over the window, in creation order (threads that started during it count from 0). */
  perThread?: ThreadCpu[];
}

/** Samples a process every `intervalMs` so the RSS curve and CPU of a measurement window can be reported. */
export class ProcSampler {
  private timer: NodeJS.Timeout | undefined;
  private maxRss = 0;
  private last: ProcSnapshot | undefined;
  private threadsAtMark = new Map<number, number>();
  readonly samples: Array<{ at: number; rssBytes: number; cpuPercent: number }> = [];

  constructor(
    readonly pid: number,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.last = readProc(this.pid);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private tick(): ProcSnapshot | undefined {
    const s = readProc(this.pid);
    if (!s) return undefined;
    if (s.rssBytes > this.maxRss) this.maxRss = s.rssBytes;
    if (this.last) {
      const dt = s.at - this.last.at;
      if (dt > 0)
        this.samples.push({
          at: s.at,
          rssBytes: s.rssBytes,
          cpuPercent: ((s.cpuMs - this.last.cpuMs) / dt) * 100,
        });
    }
    this.last = s;
    return s;
  }

  /** Starts a measurement window: returns its opening snapshot and resets the max-RSS tracker. */
  mark(): ProcSnapshot | undefined {
    const s = this.tick();
    this.maxRss = s?.rssBytes ?? 0;
    this.threadsAtMark = readThreadCpu(this.pid);
    return s;
  }

  /** Closes a window opened by `mark()`. */
  window(from: ProcSnapshot | undefined): ProcWindow | undefined {
    const to = this.tick();
    const threadsNow = readThreadCpu(this.pid);
    if (!from || !to) return undefined;
    const perThread = [...threadsNow.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([tid, ms], rank) => ({ tid, rank, cpuMs: ms - (this.threadsAtMark.get(tid) ?? 0) }));
    const seconds = (to.at - from.at) / 1000;
    const cpuMs = to.cpuMs - from.cpuMs;
    return {
      seconds,
      cpuMs,
      cpuPercent: seconds > 0 ? (cpuMs / (seconds * 1000)) * 100 : 0,
      maxRssBytes: Math.max(this.maxRss, to.rssBytes),
      peakRssBytes: to.peakRssBytes,
      threads: to.threads,
      perThread,
    };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** CPUs a process may run on, from its affinity mask (e.g. `taskset -c 1` → [1]). */
export function allowedCpus(pid: number | 'self' = 'self'): number[] {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = /^Cpus_allowed_list:\s+(\S+)/m.exec(status);
    if (m?.[1]) return parseCpuList(m[1]);
  } catch {
    // Not Linux.
  }
  return [];
}

/** `0-2,5` → [0, 1, 2, 5]. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map((s) => Number(s.trim()));
    if (a === undefined || Number.isNaN(a)) continue;
    const end = b === undefined || Number.isNaN(b) ? a : b;
    for (let c = a; c <= end; c++) out.push(c);
  }
  return out;
}

let tasksetPath: string | null | undefined;

/** The taskset binary, or null when it is not installed (then nothing is pinned, and the report says so). */
export function taskset(): string | null {
  if (tasksetPath === undefined) {
    try {
      execFileSync('taskset', ['--version'], { stdio: 'ignore' });
      tasksetPath = 'taskset';
    } catch {
      tasksetPath = null;
    }
  }
  return tasksetPath;
}

/** Pins this process (every thread) to `cpus`. Returns false when that is not possible. */
export function pinSelf(cpus: string): boolean {
  const bin = taskset();
  if (!bin) return false;
  try {
    execFileSync(bin, ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
