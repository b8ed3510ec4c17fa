import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/net';
import { assertPostgresCanReach, firstBlockedFolder, PostgresAccessError, userCanEnter } from '../../src/stack/postgres-access';

const POSTGRES_SERVER = path.resolve(__dirname, '../../dist/src/stack/postgres-server.js');
const asRoot = process.getuid?.() === 0 ? it : it.skip;

describe('a clone the database’s system user cannot enter', () => {
  let base: string;
  let closed: string;
  beforeAll(() => {
    // Like /root: a folder only its owner may enter, with the clone somewhere below it.
    base = mkdtempSync(path.join(os.tmpdir(), 'firebreak-access-'));
    chmodSync(base, 0o755);
    closed = path.join(base, 'home');
    mkdirSync(path.join(closed, 'firebreak', '.data'), { recursive: true });
    chmodSync(closed, 0o700);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('names the first folder on the way that cannot be entered', () => {
    const canEnter = (dir: string) => dir !== closed;
    expect(firstBlockedFolder(path.join(closed, 'firebreak', '.data', 'postgres'), canEnter)).toBe(closed);
    expect(firstBlockedFolder(path.join(base, 'elsewhere', 'postgres'), canEnter)).toBeUndefined();
  });

  it('says which folder to open and how, instead of an EACCES', () => {
    const err = (() => {
      try {
        assertPostgresCanReach({ "PostgreSQL's programs": path.join(closed, 'firebreak', 'node_modules') }, (dir) => dir !== closed);
      } catch (e) {
        return e as PostgresAccessError;
      }
    })();
    expect(err).toBeInstanceOf(PostgresAccessError);
    expect(err!.folder).toBe(closed);
    expect(err!.message).toContain(`cannot enter ${closed} (mode 0700)`);
    expect(err!.message).toContain(`chmod o+x ${closed}`);
    expect(err!.message).toContain('DATABASE_URL');
  });

  asRoot('asks the system whether the postgres user may enter a folder', () => {
    const canEnter = userCanEnter('postgres');
    expect(canEnter(base)).toBe(true);
    expect(canEnter(closed)).toBe(false);
  });

  asRoot('stops the embedded PostgreSQL with that message and no stack trace', async () => {
    if (!existsSync(POSTGRES_SERVER)) throw new Error(`${POSTGRES_SERVER} is missing: run \`npm run build\` first (\`npm test\` does)`);
    const child = spawn(process.execPath, [POSTGRES_SERVER, path.join(closed, 'firebreak', '.data', 'postgres'), String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot enter ${closed} (mode 0700)`);
    expect(stderr).toContain(`chmod o+x ${closed}`);
    expect(stderr).not.toMatch(/EACCES|\n\s+at /);
  });
});
