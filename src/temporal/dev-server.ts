import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Connection } from '@temporalio/client';
import { waitFor } from '../net';
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
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` with Firebreak's search attributes registered and waits until
 * it answers. Started by hand rather than through the SDK, whose five-second start limit is too
 * tight on a busy two-core machine.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
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
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const address = `127.0.0.1:${options.port}`;
  await waitFor(
    `Temporal dev server at ${address}`,
    async () => {
      if (exited) throw new Error(`temporal server start-dev exited with code ${child.exitCode}`);
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        await connection.workflowService.describeNamespace({ namespace: 'default' });
      } finally {
        await connection.close();
      }
    },
    options.readyTimeoutMs ?? 60_000,
    250,
  ).catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
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
