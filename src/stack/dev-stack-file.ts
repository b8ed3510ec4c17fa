import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';

/** Where a running dev stack can be reached; what `npm run create-key` needs without DATABASE_URL. */
export interface DevStackConnection {
  databaseUrl: string;
  temporalAddress: string;
  apiUrl: string;
}

/** The data folder of the dev stack: FIREBREAK_DATA_DIR, or `.data` in the project. */
export function devDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.FIREBREAK_DATA_DIR ?? path.join(projectRoot(), '.data'));
}

/** `dev-stack.json` in the data folder, written while the stack runs (mode 600: the URL has the password). */
export function devStackFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(devDataDir(env), 'dev-stack.json');
}

export function writeDevStackConnection(file: string, connection: DevStackConnection): void {
  writeFileSync(file, JSON.stringify(connection, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function removeDevStackConnection(file: string): void {
  rmSync(file, { force: true });
}

/** The running dev stack's connection, or undefined when none has written one. */
export function readDevStackConnection(file: string): DevStackConnection | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DevStackConnection;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}
