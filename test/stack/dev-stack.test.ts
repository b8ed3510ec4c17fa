import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { DevStackProcess, devStackDataDir, devStackOnFreePorts, ROOT } from '../support/dev-stack-process';

const run = promisify(execFile);

/** `npm run create-key` as a user types it: no DATABASE_URL, only the data folder the stack uses. */
function createKey(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, FIREBREAK_DATA_DIR: dataDir };
  return run('npm', ['run', '--silent', 'create-key', '--', ...args], { cwd: ROOT, env });
}

/**
 * The dev stack as `make up` starts it (the build's dev-stack.js), on ports and a data folder of
 * its own, stopped the way a user stops it: SIGINT, which Ctrl-C sends.
 */
describe('the dev stack, as a new user meets it', () => {
  let dataDir: string;
  let stack: DevStackProcess;
  let apiUrl: string;
  let temporalAddress: string;
  let oidcIssuer: string;

  beforeAll(async () => {
    dataDir = devStackDataDir('firebreak-dev-stack-');
    const where = await devStackOnFreePorts(dataDir);
    ({ apiUrl, temporalAddress, oidcUrl: oidcIssuer } = where);
    stack = new DevStackProcess(where.env);
    await stack.start(150_000);
  }, 180_000);

  afterAll(async () => {
    await stack?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('issues a working key with `npm run create-key` and no DATABASE_URL', async () => {
    const { stdout } = await createKey(dataDir, 'first-hour', 'manager');
    const token = stdout.trim();
    expect(token).toMatch(/^fbk_/);
    const res = await fetch(`${apiUrl}/v1/incidents`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  }, 30_000);

  it('runs the API and the worker as firebreak_service, which may not rewrite the audit log', async () => {
    const { databaseUrl } = JSON.parse(readFileSync(path.join(dataDir, 'dev-stack.json'), 'utf8')) as { databaseUrl: string };
    const app = new Client({ connectionString: databaseUrl });
    await app.connect();
    try {
      expect((await app.query('SELECT current_user AS me')).rows[0].me).toBe('firebreak_service');
      await expect(app.query('DELETE FROM audit_log')).rejects.toThrow('permission denied for table audit_log');
    } finally {
      await app.end();
    }
  });

  it('signs audit checkpoints with a signer of its own, which the API and the worker cannot be', async () => {
    expect(stack.output).toContain(`Checkpoints  ${path.join(dataDir, 'checkpoints')}`);
    const { databaseUrl } = JSON.parse(readFileSync(path.join(dataDir, 'dev-stack.json'), 'utf8')) as { databaseUrl: string };
    const app = new Client({ connectionString: databaseUrl });
    await app.connect();
    try {
      await expect(app.query(`INSERT INTO audit_checkpoints (seq, key_id, statement, statement_hash, signature) VALUES (999, 'k', '{}', 'h', 's')`)).rejects.toThrow('permission denied for table audit_checkpoints');
      // The schedule signs every 15 minutes; a user may ask for one now, as the Temporal CLI does.
      await run(temporalCliPath(), ['schedule', 'trigger', '--schedule-id', 'firebreak-audit-checkpoints', '--address', temporalAddress]);
      await waitFor('a signed checkpoint', async () => {
        const { rows } = await app.query('SELECT key_id FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
        if (rows[0]?.key_id !== 'dev-checkpoints-1') throw new Error('none yet');
      }, 30_000, 250);
    } finally {
      await app.end();
    }
    await waitFor('the exported checkpoint', async () => {
      if (!existsSync(path.join(dataDir, 'checkpoints', 'checkpoint-00000001.json'))) throw new Error('not written yet');
    }, 10_000, 100);
    expect(statSync(path.join(dataDir, 'checkpoint-signing-key')).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('keeps the terminal readable: no bundler module list, no health probes or scrapes at info', async () => {
    for (const probe of ['/healthz', '/readyz', '/metrics', '/healthz']) expect((await fetch(`${apiUrl}${probe}`)).status).toBe(200);
    expect((await fetch(`${apiUrl}/v1/incidents`)).status).toBe(401);
    // The 401 above is logged once, at info: request logging works, and the probes were left out.
    const requests = await waitFor('the request log line', async () => {
      const lines = stack.output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; req?: { url: string } })
        .filter((l) => l.req);
      if (!lines.some((l) => l.req!.url === '/v1/incidents')) throw new Error('not logged yet');
      return lines;
    }, 5_000, 100);
    expect(requests.filter((l) => l.level >= 30).map((l) => l.req!.url)).toEqual(['/v1/incidents']);
    expect(stack.output).not.toMatch(/modules by path|webpack .* compiled|\[built\]/);
    expect(stack.output).toContain('LOG_LEVEL=debug');
  });

  // After the terminal test: a person's request is logged at info, as it should be.
  it('runs a local OpenID provider the console signs in at, and says so with the demo users', async () => {
    expect(stack.output).toContain(`Console      ${apiUrl}/console (sign in as responder, manager, ciso, auditor or admin; password firebreak)`);
    const login = await fetch(`${apiUrl}/auth/login?returnTo=/console/`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const to = new URL(login.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${oidcIssuer}/auth`);
    expect(to.searchParams.get('redirect_uri')).toBe(`${apiUrl}/auth/callback`);
    // The provider knows the console's client and shows its login page.
    const interaction = await fetch(to, { redirect: 'manual' });
    expect(interaction.status).toBe(303);
    const cookie = interaction.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const page = await fetch(new URL(interaction.headers.get('location')!, to), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<label for="username">Username</label>');
  });

  it('runs the README walkthrough in the order written, from the alert to closed', async () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A first incident with curl'), readme.indexOf('## The lifecycle'));
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // The same commands on this stack's port and data folder.
    const script = ['set -euo pipefail', ...blocks, 'echo "final phase: $(curl -s $API "${H[@]}" | json .phase)"']
      .join('\n')
      .replaceAll('http://127.0.0.1:8080', apiUrl)
      .replaceAll('./.data/', `${dataDir}/`);
    const file = path.join(dataDir, 'walkthrough.sh');
    writeFileSync(file, script);
    const { stdout } = await run('bash', ['-x', file], { cwd: dataDir, env: { PATH: process.env.PATH, HOME: process.env.HOME }, timeout: 90_000 }).catch(
      (err: { stdout: string; stderr: string }) => {
        throw new Error(`the walkthrough stopped:\n${err.stdout}\n${err.stderr.split('\n').slice(-15).join('\n')}`);
      },
    );
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('triage');
    expect(lines).toContain('response');
    expect(stdout).toMatch(/\{ kind: 'approveContainment', dueAt: '[^']+' \}/);
    expect(stdout).toMatch(/approved: true/);
    expect(lines).toContain('ir_manager');
    expect(lines).toContain('closed');
    expect(lines.at(-1)).toBe('final phase: closed');
  }, 120_000);

  it('stops cleanly on Ctrl-C and exits 0', async () => {
    // Ctrl-C: the terminal sends SIGINT to every process of the job, the servers included.
    expect(await stack.stop()).toEqual({ code: 0, signal: null });
    expect(stack.output).toContain('stopping…');
    expect(stack.output).not.toMatch(/error while stopping/);
    // The connection file is only there while the stack runs; without it create-key says what to do.
    expect(existsSync(path.join(dataDir, 'dev-stack.json'))).toBe(false);
    const refused = await createKey(dataDir, 'too-late', 'manager').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/DATABASE_URL is not set and no dev stack is running .*`make up`/);
  }, 90_000);
});
