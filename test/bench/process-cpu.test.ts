import { spawn } from 'node:child_process';
import { coresByRole, processTreeCpu, readProcStat, type ProcessCpu } from '../../bench/process-cpu';

const parentOf = (pid: number): number | undefined => readProcStat(pid)?.ppid;
const postmaster = (seconds: number): ProcessCpu => ({ pid: 100, role: 'PostgreSQL', seconds, reapedInto: 'other' });
const backend = (pid: number, seconds: number): ProcessCpu => ({ pid, role: 'PostgreSQL', seconds, reapedInto: 'PostgreSQL' });

describe('CPU per role between two readings of the process tree', () => {
  it('counts a PostgreSQL connection that closes during the phase for what it used in the phase only', () => {
    // The connection had used 50 s before the phase and 2 s in it; when it exits, the postmaster's
    // reaped CPU takes in all 52 s. The postmaster itself used 1 s.
    const before = [postmaster(10), backend(101, 50)];
    const after = [postmaster(10 + 1 + 52)];
    expect(coresByRole(before, after, 10).PostgreSQL).toBeCloseTo(0.3);
  });

  it('counts a connection opened and closed within the phase once, in its parent', () => {
    const before = [postmaster(10)];
    const after = [postmaster(10 + 4)];
    expect(coresByRole(before, after, 2).PostgreSQL).toBeCloseTo(2);
  });

  it('leaves out a process of the load generator that exits, as the load generator does not count what it reaps', () => {
    const before: ProcessCpu[] = [{ pid: 1, role: 'load generator', seconds: 5 }, { pid: 2, role: 'worker', seconds: 20 }];
    const after: ProcessCpu[] = [{ pid: 1, role: 'load generator', seconds: 6 }, { pid: 3, role: 'worker', seconds: 3 }];
    const cores = coresByRole(before, after, 1);
    expect(cores.worker).toBeCloseTo(3);
    expect(cores['load generator']).toBeCloseTo(1);
  });

  it('reads this process as the load generator, a child with what it has reaped, and a grandchild as reaped into its parent', async () => {
    // A shell whose first child burns CPU and exits, and whose second waits to be read.
    const shell = spawn('sh', ['-c', 'node -e "const t = Date.now(); while (Date.now() - t < 300);"; sleep 60 & wait'], { stdio: 'ignore' });
    let waiting: number | undefined;
    try {
      let tree = processTreeCpu();
      // Read again until the shell has reaped the first child and started the second.
      const settled = () => (tree.find((p) => p.pid === shell.pid)?.seconds ?? 0) >= 0.2 && tree.some((p) => parentOf(p.pid) === shell.pid);
      for (let tries = 0; !settled() && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        tree = processTreeCpu();
      }
      const self = tree.find((p) => p.pid === process.pid);
      const child = tree.find((p) => p.pid === shell.pid);
      const grandchild = tree.find((p) => parentOf(p.pid) === shell.pid);
      waiting = grandchild?.pid;
      expect(self).toMatchObject({ role: 'load generator' });
      expect(self!.reapedInto).toBeUndefined();
      // The shell's count holds the 0.3 s its exited child burned; this process does not count what it reaps.
      expect(child).toMatchObject({ role: 'other' });
      expect(child!.reapedInto).toBeUndefined();
      expect(child!.seconds).toBeGreaterThanOrEqual(0.2);
      expect(grandchild).toMatchObject({ role: 'other', reapedInto: 'other' });
    } finally {
      if (waiting) process.kill(waiting, 'SIGKILL');
      shell.kill('SIGKILL');
    }
  });
});
