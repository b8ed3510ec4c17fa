import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Connection } from '@temporalio/client';
import { searchAttributeCliFlags } from './search-attributes';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** SQLite file: a restart on the same file keeps every workflow. */
  dbFile: string;
  /** The web UI's port, or undefined to run headless. */
  uiPort?: number;
  /** Trade durability on power loss for speed (tests); a process crash loses nothing either way. */
  fastSqlite?: boolean;
  logFile?: string;
  readyTimeoutMs?: number;
  /**
   * Run in a process group of its own, so a Ctrl-C in the terminal reaches only the stack, which
   * stops the server after the worker instead of before it. The stack must then stop it itself.
   */
  ownProcessGroup?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** A start that ends with the process gone is tried again; one that hangs is not. */
const START_ATTEMPTS = 3;

/** Thrown when the server process exits before it answers. */
class ExitedBeforeReady extends Error {}

/**
 * Runs `temporal server start-dev` with Firebreak's search attributes registered and waits until
 * it answers. Started by hand rather than through the SDK, whose five-second start limit is too
 * tight on a busy two-core machine. The server now and then exits during start-up (seen once,
 * before its output was kept); such a start is tried again, on the same port and file, and a
 * final failure carries the server's last lines of output.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!(err instanceof ExitedBeforeReady) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    '--log-level',
    'warn',
    '--sqlite-pragma',
    'journal_mode=WAL',
    ...(options.fastSqlite ? ['--sqlite-pragma', 'synchronous=OFF'] : []),
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    ...searchAttributeCliFlags(),
    ...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 20)); // the last 20 lines
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    if (exited) throw new ExitedBeforeReady(`temporal server start-dev at ${address} exited with code ${child.exitCode} before it answered:\n${tail.join('\n')}`);
    if (Date.now() >= deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server at ${address} not ready after ${options.readyTimeoutMs ?? 60_000} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'default' });
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}
