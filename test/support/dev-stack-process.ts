import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../src/net';

export const ROOT = path.resolve(__dirname, '../..');
const DEV_STACK = path.join(ROOT, 'dist/src/stack/dev-stack.js');

/** A data folder for one dev stack; as root, PostgreSQL runs as `postgres`, which must be able to enter it. */
export function devStackDataDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** The dev stack as `make up` runs it (the build's dev-stack.js), everything it prints kept. */
export class DevStackProcess {
  private child?: ChildProcess;
  output = '';
  exitCode: number | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Starts it and resolves once it says it is up; a second call starts it again after a stop. */
  async start(timeoutMs = 180_000): Promise<void> {
    if (!existsSync(DEV_STACK)) throw new Error(`${DEV_STACK} is missing: run \`npm run build\` first (\`npm test\` does)`);
    this.output = '';
    this.exitCode = null;
    const child = spawn(process.execPath, [DEV_STACK], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, like a terminal's foreground job, so Ctrl-C can be sent to all of it.
      detached: true,
    });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.once('exit', (code) => (this.exitCode = code));
    await waitFor('the dev stack', async () => {
      if (this.exitCode !== null) throw new Error(`exited with ${this.exitCode} before it was up:\n${this.output}`);
      if (!this.output.includes('Firebreak is up.')) throw new Error('not up yet');
    }, timeoutMs, 250);
  }

  /** Sends `signal` to the whole process group, as a terminal's Ctrl-C (SIGINT) does, and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child!;
    const gone = once(child, 'exit');
    process.kill(-child.pid!, signal);
    const [code, exitSignal] = (await gone) as [number | null, NodeJS.Signals | null];
    return { code, signal: exitSignal };
  }

  /** For afterAll: kills what is still running. */
  async kill(): Promise<void> {
    if (this.child && this.exitCode === null && this.child.signalCode === null) await this.stop('SIGKILL');
  }
}
