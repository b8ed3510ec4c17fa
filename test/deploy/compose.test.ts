import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

/**
 * docker-compose.yml as `docker-compose config` resolves it (no Docker engine needed), checked
 * for what the README promises: nothing of Temporal or PostgreSQL published, no default secret,
 * limits on every service, the server image without auto-setup.
 */
const ROOT = path.join(__dirname, '..', '..');

/** Every secret the file requires, with test values. */
const SECRETS = {
  POSTGRES_PASSWORD: 'owner-pw-1',
  FIREBREAK_APP_DB_PASSWORD: 'app-pw-2',
  TEMPORAL_DB_PASSWORD: 'temporal-pw-3',
  FIREBREAK_PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  FIREBREAK_DECISION_SIGNING_KEY: 'd1:c2lnbmluZw==',
  FIREBREAK_DECISION_VERIFY_KEYS: 'd1:dmVyaWZ5',
  METRICS_TOKEN: 'metrics-token-0123456789abcdef',
  FIREBREAK_SIGNER_DB_PASSWORD: 'signer-pw-4',
  FIREBREAK_CHECKPOINT_SIGNING_KEY: 'c1:c2lnbmVy',
  FIREBREAK_CHECKPOINT_VERIFY_KEYS: 'c1:Y2hlY2twb2ludA==',
  TEMPORAL_UI_PASSWORD_HASH: 'bcrypt-hash',
} as const;

async function composeConfig(env: Record<string, string | undefined>): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  // Only PATH and the variables given: nothing from the machine running the tests leaks in.
  const clean = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...env }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  try {
    const { stdout, stderr } = await promisify(execFile)('docker-compose', ['--project-directory', ROOT, '-f', path.join(ROOT, 'docker-compose.yml'), 'config'], { env: clean, cwd: ROOT });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

type Service = {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[] | string;
  volumes?: string[];
  deploy?: { resources?: { limits?: { cpus?: number | string; memory?: string } } };
};

describe('docker-compose.yml', () => {
  let services: Record<string, Service>;
  beforeAll(async () => {
    const result = await composeConfig(SECRETS);
    if (!result.ok) throw new Error(`docker-compose config failed: ${result.stderr}`);
    services = parse(result.stdout).services;
  });

  it.each(Object.keys(SECRETS))('refuses to start without %s, naming it (no default)', async (name) => {
    const result = await composeConfig({ ...SECRETS, [name]: undefined });
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(name);
  });

  it('publishes only the TLS proxy: not Temporal’s gRPC, the UI, PostgreSQL, the API’s own port or the worker', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(['caddy']);
    expect((services.caddy!.ports as Array<{ target: number }>).map((p) => p.target).sort()).toEqual([443, 8443]);
  });

  it('puts the UI behind basic auth and the API behind TLS, in the Caddyfile it mounts', () => {
    const mount = services.caddy!.volumes!.find((v) => v.includes('/etc/caddy/Caddyfile'))!;
    const caddyfile = readFileSync(mount.split(':')[0]!, 'utf8');
    const site = (port: number) => caddyfile.slice(caddyfile.indexOf(`{$FIREBREAK_HOST}:${port} {`)).split(/\n}\n/)[0]!;
    // Every API replica: the `api` name looked up again and again, turns taken among its addresses.
    expect(site(443)).toMatch(/handle \{\s*encode gzip\s*reverse_proxy \{\s*import api_replicas\s*\}/);
    expect(caddyfile).toMatch(/\(api_replicas\) \{\s*dynamic a api 8080 \{\s*refresh 5s\s*\}\s*lb_policy round_robin/);
    expect(services.api!.container_name).toBeUndefined(); // a fixed name would stop `--scale api=2`
    expect(site(8443)).toMatch(/basic_auth \{\s*\{\$TEMPORAL_UI_USER\} \{\$TEMPORAL_UI_PASSWORD_HASH\}/);
    expect(site(8443)).toMatch(/reverse_proxy temporal-ui:8080/);
    expect(caddyfile).not.toMatch(/temporal:7233/);
  });

  it('serves the console over TLS: its public URL is https, sign-in passes the OpenID settings through, the event stream is not buffered', async () => {
    const api = services.api!.environment!;
    expect(api.FIREBREAK_PUBLIC_URL).toBe('https://localhost');
    // Unset: API keys only (the API reads an empty variable as unset).
    expect(api.FIREBREAK_OIDC_ISSUER).toBe('');
    const configured = await composeConfig({ ...SECRETS, FIREBREAK_HOST: 'ir.example.org', FIREBREAK_OIDC_ISSUER: 'https://idp.example.org', FIREBREAK_OIDC_CLIENT_ID: 'firebreak' });
    const withOidc = parse(configured.stdout).services.api.environment;
    expect(withOidc).toMatchObject({ FIREBREAK_OIDC_ISSUER: 'https://idp.example.org', FIREBREAK_OIDC_CLIENT_ID: 'firebreak', FIREBREAK_PUBLIC_URL: 'https://ir.example.org' });
    const mount = services.caddy!.volumes!.find((v) => v.includes('/etc/caddy/Caddyfile'))!;
    const caddyfile = readFileSync(mount.split(':')[0]!, 'utf8');
    const events = caddyfile.slice(caddyfile.indexOf('handle @events {')).split(/\n\t}\n/)[0]!;
    expect(caddyfile).toMatch(/@events path \/v1\/events/);
    expect(events).toMatch(/flush_interval -1/);
    expect(events).not.toMatch(/encode/);
  });

  it('runs the UI with write actions disabled', () => {
    expect(services['temporal-ui']!.environment!.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });

  it('runs temporalio/server with its schema from temporal-sql-tool, never the auto-setup image', () => {
    expect(services.temporal!.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    for (const [name, s] of Object.entries(services)) expect([name, s.image ?? '']).not.toEqual([name, expect.stringContaining('auto-setup')]);
    const schema = services['temporal-schema']!;
    expect(schema.image).toMatch(/^temporalio\/admin-tools:/);
    expect(JSON.stringify(schema.command)).toMatch(/temporal-sql-tool --db .*setup-schema/);
    expect(JSON.stringify(schema.command)).toMatch(/temporal-sql-tool --db .*update-schema -d .*postgresql\/v12/);
    expect(services.temporal!.environment!.DB).toBe('postgres12');
  });

  it('gives Temporal its own database role, created by an init script of the postgres container', () => {
    expect(services.temporal!.environment!.POSTGRES_USER).toBe('temporal');
    expect(services.temporal!.environment!.POSTGRES_PWD).toBe(SECRETS.TEMPORAL_DB_PASSWORD);
    expect(services['temporal-schema']!.environment!.SQL_USER).toBe('temporal');
    const initdb = services.postgres!.volumes!.find((v) => v.includes('/docker-entrypoint-initdb.d'))!.split(':')[0]!;
    const script = readFileSync(path.join(initdb, '10-temporal-role.sh'), 'utf8');
    expect(statSync(path.join(initdb, '10-temporal-role.sh')).mode & 0o111).not.toBe(0);
    expect(script).toMatch(/CREATE ROLE temporal WITH LOGIN NOSUPERUSER/);
    expect(script).toMatch(/CREATE DATABASE temporal OWNER temporal/);
    expect(script).toMatch(/CREATE DATABASE temporal_visibility OWNER temporal/);
    expect(services.postgres!.environment!.TEMPORAL_DB_PASSWORD).toBe(SECRETS.TEMPORAL_DB_PASSWORD);
  });

  it('puts a CPU and memory limit on every service', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, Number(s.deploy?.resources?.limits?.cpus)]).toEqual([name, expect.any(Number)]);
      expect(Number(s.deploy!.resources!.limits!.cpus)).toBeGreaterThan(0);
      expect([name, s.deploy!.resources!.limits!.memory]).toEqual([name, expect.stringMatching(/^\d+[MG]$/)]);
    }
  });

  it('migrates as the owner and runs the API and worker as the application role, with only the secrets each needs', () => {
    const url = (s: string | undefined) => new URL(s!);
    const migrate = services.migrate!.environment!;
    expect(url(migrate.MIGRATION_DATABASE_URL).username).toBe('firebreak');
    expect(url(migrate.MIGRATION_DATABASE_URL).password).toBe(SECRETS.POSTGRES_PASSWORD);
    for (const name of ['migrate', 'api', 'worker']) {
      const env = services[name]!.environment!;
      expect([name, url(env.DATABASE_URL).username]).toEqual([name, 'firebreak_service']);
      expect(url(env.DATABASE_URL).password).toBe(SECRETS.FIREBREAK_APP_DB_PASSWORD);
    }
    for (const name of ['api', 'worker']) {
      const env = services[name]!.environment!;
      expect([name, env.MIGRATION_DATABASE_URL, env.POSTGRES_PASSWORD]).toEqual([name, undefined, undefined]);
      expect(env.FIREBREAK_PAYLOAD_KEYS).toBe(SECRETS.FIREBREAK_PAYLOAD_KEYS);
    }
    expect(services.api!.environment!.FIREBREAK_DECISION_SIGNING_KEY).toBe(SECRETS.FIREBREAK_DECISION_SIGNING_KEY);
    expect(services.api!.environment!.FIREBREAK_DECISION_VERIFY_KEYS).toBeUndefined();
    expect(services.worker!.environment!.FIREBREAK_DECISION_VERIFY_KEYS).toBe(SECRETS.FIREBREAK_DECISION_VERIFY_KEYS);
    expect(services.worker!.environment!.FIREBREAK_DECISION_SIGNING_KEY).toBeUndefined();
    expect(services.api!.environment!.METRICS_TOKEN).toBe(SECRETS.METRICS_TOKEN);
  });

  it('runs the checkpoint signer apart, as its own login with its own key, which the API and the worker do not have', () => {
    const signer = services.signer!.environment!;
    expect(new URL(signer.SIGNER_DATABASE_URL!).username).toBe('firebreak_checkpoint_signer');
    expect(new URL(signer.SIGNER_DATABASE_URL!).password).toBe(SECRETS.FIREBREAK_SIGNER_DB_PASSWORD);
    expect(new URL(services.migrate!.environment!.SIGNER_DATABASE_URL!).username).toBe('firebreak_checkpoint_signer');
    expect(signer.FIREBREAK_CHECKPOINT_SIGNING_KEY).toBe(SECRETS.FIREBREAK_CHECKPOINT_SIGNING_KEY);
    expect([signer.DATABASE_URL, signer.FIREBREAK_PAYLOAD_KEYS, signer.FIREBREAK_DECISION_SIGNING_KEY]).toEqual([undefined, undefined, undefined]);
    for (const name of ['api', 'worker']) {
      const env = services[name]!.environment!;
      expect([name, env.FIREBREAK_CHECKPOINT_SIGNING_KEY, env.SIGNER_DATABASE_URL]).toEqual([name, undefined, undefined]);
    }
    expect(services.api!.environment!.FIREBREAK_CHECKPOINT_VERIFY_KEYS).toBe(SECRETS.FIREBREAK_CHECKPOINT_VERIFY_KEYS);
  });

  it('has the API listen on every interface of its container, where the proxy reaches it', () => {
    expect(services.api!.environment!.HOST).toBe('0.0.0.0');
    expect(services.api!.environment!.PORT).toBe('8080');
  });

  it('builds on a pinned Node LTS release still supported in December 2026', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const image = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-[a-z]+-slim$/m.exec(dockerfile);
    expect(image).not.toBeNull();
    // LTS lines and their end of life: 22 until 2027-04-30, 24 until 2028-04-30 (20 ended 2026-04-30).
    expect(['22', '24']).toContain(image![1]);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    // The image's own default, for `docker run` without compose too.
    expect(dockerfile.slice(dockerfile.indexOf('AS runtime'))).toMatch(/^ENV HOST=0\.0\.0\.0$/m);
  });
});
