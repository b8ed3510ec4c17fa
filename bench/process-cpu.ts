import { readdirSync, readFileSync } from 'node:fs';

/** What a process of the benchmark's tree is, by its command line. */
export type ProcessRole = 'load generator' | 'API' | 'worker' | 'Temporal' | 'PostgreSQL' | 'other';

export interface ProcessCpu {
  pid: number;
  role: ProcessRole;
  /** CPU seconds (user + system, all threads, and the children it has reaped). */
  seconds: number;
  /**
   * The role whose count takes this process's CPU in when it exits: its parent's, when the parent
   * is in the tree and counts what it reaps (PostgreSQL's postmaster, for its backends). Absent for
   * the load generator's own children, whose reaped CPU it leaves out.
   */
  reapedInto?: ProcessRole;
}

const CLOCK_TICKS = 100;

export interface ProcStat {
  ppid: number;
  comm: string;
  /** Its own CPU, user and system, in clock ticks. */
  ticks: number;
  /** The CPU of the children it has reaped, in clock ticks. */
  reaped: number;
}

/** A process's `/proc/<pid>/stat`; undefined once it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    // After the name: state, ppid, …; utime, stime, cutime, cstime are fields 14–17 of the line.
    return { ppid: Number(fields[1]), comm: text.slice(text.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by this process and every process below it (from /proc: Linux only),
 * each named by its role: this process is the load generator (and whatever runs in it), the
 * Temporal server, PostgreSQL's server and its backends, worker processes, API processes. A child
 * that has exited is counted in the parent that reaped it (PostgreSQL's backends in its postmaster).
 */
export function processTreeCpu(root = process.pid): ProcessCpu[] {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === root) return true;
      p = stats.get(p)?.ppid ?? 0;
    }
    return false;
  };
  const roleOf = (pid: number, comm: string): ProcessRole => {
    if (pid === root) return 'load generator';
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      // gone meanwhile
    }
    if (cmdline.includes('worker-process')) return 'worker';
    if (cmdline.includes('api/server')) return 'API';
    if (comm.startsWith('postgres')) return 'PostgreSQL';
    if (comm.startsWith('temporal') || cmdline.includes('temporal')) return 'Temporal';
    if (cmdline.includes('postgres')) return 'PostgreSQL';
    return 'other';
  };
  const roles = new Map<number, ProcessRole>();
  for (const [pid, s] of stats) if (inTree(pid)) roles.set(pid, roleOf(pid, s.comm));
  const out: ProcessCpu[] = [];
  for (const [pid, role] of roles) {
    const s = stats.get(pid)!;
    // This process's reaped children are earlier benchmark processes, not its own work.
    const parentRole = s.ppid === root ? undefined : roles.get(s.ppid);
    out.push({ pid, role, seconds: (s.ticks + (pid === root ? 0 : s.reaped)) / CLOCK_TICKS, ...(parentRole ? { reapedInto: parentRole } : {}) });
  }
  return out;
}

/**
 * CPU used between two `processTreeCpu` readings, per role, in cores (CPU seconds per second of
 * `wallSeconds`). A process that exits in between comes back in its parent's reaped CPU with its
 * whole life's CPU: what it had used before the first reading is taken out again, or a PostgreSQL
 * connection that closes during a phase would count its past in that phase.
 */
export function coresByRole(before: ProcessCpu[], after: ProcessCpu[], wallSeconds: number): Record<ProcessRole, number> {
  const was = new Map(before.map((p) => [p.pid, p.seconds]));
  const still = new Set(after.map((p) => p.pid));
  const cores: Record<ProcessRole, number> = { 'load generator': 0, API: 0, worker: 0, Temporal: 0, PostgreSQL: 0, other: 0 };
  for (const p of after) cores[p.role] += (p.seconds - (was.get(p.pid) ?? 0)) / wallSeconds;
  for (const p of before) if (!still.has(p.pid) && p.reapedInto) cores[p.reapedInto] -= p.seconds / wallSeconds;
  return cores;
}

/** CPU seconds the whole machine has been busy (not idle, not waiting on I/O), every process's, from /proc/stat. */
export function machineBusySeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}
