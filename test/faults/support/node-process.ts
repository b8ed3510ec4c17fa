import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';

const DIST = path.resolve(__dirname, '../../../dist');

export interface NodeProcess {
  pid: number;
  /** When it was spawned and when it printed its ready line (epoch ms). */
  spawnedAt: number;
  readyAt: number;
  /** The line that said it was ready. */
  readyLine: string;
  readonly exited: boolean;
  /** Sends the signal (SIGKILL by default: no draining, no goodbye) and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs one of Firebreak's entry points from the build (`npm test` builds first) as users run it,
 * and resolves when a line of its output contains `readyMarker`. Output goes to `logFile`.
 */
export async function spawnFromBuild(entry: string, args: string[], env: Record<string, string>, options: { logFile: string; readyMarker: string; timeoutMs?: number }): Promise<NodeProcess> {
  const file = path.join(DIST, entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does)`);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr.pipe(log);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} was not ready within ${timeoutMs} ms (see ${options.logFile})`)), timeoutMs);
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const line = lines.find((l) => l.includes(options.readyMarker));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with code ${code} before it was ready (see ${options.logFile})`));
    });
  });
  return {
    pid: child.pid ?? -1,
    spawnedAt,
    readyAt: Date.now(),
    readyLine,
    get exited() {
      return exited;
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill(signal);
      await gone;
    },
  };
}
