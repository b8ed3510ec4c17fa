import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';

export const ROOT = path.resolve(__dirname, '../..');
const DEV_STACK = path.join(ROOT, 'dist/src/stack/dev-stack.js');

/** A data folder for one dev stack; as root, PostgreSQL runs as `postgres`, which must be able to enter it. */
export function devStackDataDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** The environment of a dev stack on the dev server, every port a free one, and where it will answer. */
export async function devStackOnFreePorts(dataDir: string): Promise<{ env: NodeJS.ProcessEnv; apiUrl: string; temporalAddress: string; oidcUrl: string }> {
  const [api, temporal, ui, postgres, oidc] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  return {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_CLI_PATH: temporalCliPath(),
      FIREBREAK_DATA_DIR: dataDir,
      PORT: String(api),
      TEMPORAL_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      POSTGRES_PORT: String(postgres),
      OIDC_PORT: String(oidc),
    },
    apiUrl: `http://127.0.0.1:${api}`,
    temporalAddress: `127.0.0.1:${temporal}`,
    oidcUrl: `http://127.0.0.1:${oidc}`,
  };
}

/** The dev stack as `make up` runs it (the build's dev-stack.js), everything it prints kept. */
export class DevStackProcess {
  private child?: ChildProcess;
  output = '';
  exitCode: number | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  private readonly orphanGuard = () => {
    try {
      if (this.running()) process.kill(-this.child!.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };

  private running(): boolean {
    return this.child !== undefined && this.exitCode === null;
  }

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
    child.once('exit', (code) => {
      this.exitCode = code ?? -1;
      process.off('exit', this.orphanGuard);
    });
    // A test run that ends without stopping it (killed, or forced out) takes the stack's processes with it.
    process.once('exit', this.orphanGuard);
    await waitFor('the dev stack', async () => {
      if (this.exitCode !== null) throw new Error(`exited with ${this.exitCode} before it was up:\n${this.output}`);
      if (!this.output.includes('Firebreak is up.')) throw new Error('not up yet');
    }, timeoutMs, 250);
  }

  /** Sends `signal` to the whole process group, as a terminal's Ctrl-C (SIGINT) does, and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child!;
    if (!this.running()) return { code: child.exitCode, signal: child.signalCode };
    const gone = once(child, 'exit');
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // exited meanwhile
    }
    const [code, exitSignal] = (await gone) as [number | null, NodeJS.Signals | null];
    return { code, signal: exitSignal };
  }

  /** For afterAll: kills what is still running. */
  async kill(): Promise<void> {
    if (this.running()) await this.stop('SIGKILL');
  }
}
