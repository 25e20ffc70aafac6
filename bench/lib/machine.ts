import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Where and when a measurement ran: every recorded figure carries this. */
export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  kernel: string;
  commit: string;
  /** The working tree had uncommitted changes when the run started. */
  dirty: boolean;
}

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(repoDir = process.cwd()): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  return {
    date: new Date().toISOString(),
    // All online CPUs, not this process's affinity (the benches pin themselves to one core).
    cpus: os.cpus().length,
    cpuModel,
    memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    commit: git(['rev-parse', '--short', 'HEAD'], repoDir) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no'], repoDir) !== '',
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB RAM, ${m.kernel}, Node ${m.node}; commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}; ${m.date}`;
}
