import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../../src/api/api-service';
import { temporalConnectionOptions, temporalTlsFromEnvironment } from '../../src/temporal/connection-options';
import { freshDatabase } from '../support/database';
import { testEnv } from '../support/servers';

/**
 * `temporal server start-dev` takes no TLS settings, so a TLS-terminating proxy stands in front
 * of it, as a load balancer or Temporal's own frontend would: it requires a client certificate
 * from the test CA and forwards the decrypted HTTP/2 to the dev server.
 */
const SERVER_NAME = 'temporal.firebreak.test';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for SERVER_NAME, a client certificate of that CA, and one of another CA. */
function makeCertificates(dir: string): void {
  const ext = (name: string, lines: string[]) => writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  ext('ca.ext', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash']);
  ext('server.ext', ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=DNS:${SERVER_NAME}`]);
  ext('client.ext', ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth']);
  for (const ca of ['ca', 'rogue-ca']) {
    openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  const leaf = (name: string, ca: string, extFile: string) => {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', extFile);
  };
  leaf('server', 'ca', 'server.ext');
  leaf('client', 'ca', 'client.ext');
  leaf('rogue-client', 'rogue-ca', 'client.ext');
}

describe('TLS and mTLS to Temporal', () => {
  let dir: string;
  let proxy: Server;
  let address: string;
  const handshakes = { accepted: 0, refused: 0 };
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-tls-'));
    makeCertificates(dir);
    const [upstreamHost, upstreamPort] = testEnv('temporalAddress').split(':');
    proxy = createServer(
      { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
      (socket: TLSSocket) => {
        handshakes.accepted++;
        const upstream = netConnect(Number(upstreamPort), upstreamHost);
        socket.pipe(upstream).pipe(socket);
        const close = () => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      },
    );
    proxy.on('tlsClientError', () => handshakes.refused++);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (overrides: Record<string, string | undefined> = {}) => ({
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_CERT: file('client.pem'),
    TEMPORAL_TLS_KEY: file('client.key'),
    TEMPORAL_TLS_CA: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    ...overrides,
  });

  it('the API’s client connects with the right certificate and calls Temporal through the proxy', async () => {
    const before = handshakes.accepted;
    const connection = await Connection.connect({ ...temporalConnectionOptions(env()), connectTimeout: 5_000 });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
      expect(handshakes.accepted).toBeGreaterThan(before);
    } finally {
      await connection.close();
    }
  });

  it('a worker connects with the right certificate and polls its task queue through the proxy', async () => {
    const connection = await NativeConnection.connect(temporalConnectionOptions(env()));
    const taskQueue = `tls-${Date.now()}`;
    const worker = await Worker.create({ connection, taskQueue, activities: { echo: async (s: string) => s } });
    const running = worker.run();
    const client = await Connection.connect({ ...temporalConnectionOptions(env()), connectTimeout: 5_000 });
    try {
      // The server sees the worker's poller (activity task queue): it got through the proxy with its certificate.
      const pollers = async () => (await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 2 })).pollers ?? [];
      const deadline = Date.now() + 15_000;
      while ((await pollers()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect((await pollers()).length).toBeGreaterThan(0);
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
      await client.close();
    }
  });

  it.each([
    ['no client certificate', { TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined }],
    ['a client certificate of another CA', { TEMPORAL_TLS_CERT: 'rogue-client.pem', TEMPORAL_TLS_KEY: 'rogue-client.key' }],
  ])('with %s, neither the client nor a worker gets through', async (_label, overrides) => {
    const settings = env(Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v && file(v)])));
    const refusedBefore = handshakes.refused;
    await expect(Connection.connect({ ...temporalConnectionOptions(settings), connectTimeout: 3_000 })).rejects.toThrow();
    await expect(NativeConnection.connect(temporalConnectionOptions(settings))).rejects.toThrow();
    expect(handshakes.refused).toBeGreaterThan(refusedBefore);
  });

  it('does not trust a server whose certificate is not of the configured CA, nor plain gRPC to a TLS port', async () => {
    await expect(Connection.connect({ ...temporalConnectionOptions(env({ TEMPORAL_TLS_CA: file('rogue-ca.pem') })), connectTimeout: 3_000 })).rejects.toThrow();
    await expect(NativeConnection.connect(temporalConnectionOptions(env({ TEMPORAL_TLS_CA: file('rogue-ca.pem') })))).rejects.toThrow();
    await expect(Connection.connect({ address, connectTimeout: 3_000 })).rejects.toThrow();
  });

  it('the API service takes the settings: ready through the proxy with them, not ready without', async () => {
    const db = await freshDatabase();
    const api = (temporalTls: ReturnType<typeof temporalTlsFromEnvironment>) =>
      startApi({ pool: db.pool, temporalAddress: address, temporalNamespace: 'default', host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), ...(temporalTls ? { temporalTls } : {}) });
    const withTls = await api(temporalTlsFromEnvironment(env()));
    const withoutCertificate = await api(temporalTlsFromEnvironment(env({ TEMPORAL_TLS_CERT: undefined, TEMPORAL_TLS_KEY: undefined })));
    try {
      const ready = async (url: string) => (await fetch(`${url}/readyz`)).status;
      const deadline = Date.now() + 15_000;
      while ((await ready(withTls.url)) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(await ready(withTls.url)).toBe(200);
      // Not a slow start: it stays unready while the other one, with the certificate, is ready.
      for (let i = 0; i < 4; i++) {
        const refused = await fetch(`${withoutCertificate.url}/readyz`);
        expect(refused.status).toBe(503);
        expect(((await refused.json()) as { detail: string }).detail).toMatch(/Temporal/);
        expect(await ready(withTls.url)).toBe(200);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await withTls.close();
      await withoutCertificate.close();
      await db.drop();
    }
  }, 60_000);

  it('reads the settings from the environment, naming the variable when one is wrong', () => {
    expect(temporalTlsFromEnvironment({})).toBeUndefined();
    expect(temporalConnectionOptions({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233' });
    expect(temporalTlsFromEnvironment({ TEMPORAL_TLS: 'true' })).toEqual({});
    const tls = temporalTlsFromEnvironment(env())!;
    expect(tls.serverNameOverride).toBe(SERVER_NAME);
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toContain('BEGIN CERTIFICATE');
    expect(() => temporalTlsFromEnvironment(env({ TEMPORAL_TLS_KEY: undefined }))).toThrow(/^TEMPORAL_TLS_KEY: a client certificate needs both/);
    expect(() => temporalTlsFromEnvironment(env({ TEMPORAL_TLS_CA: file('missing.pem') }))).toThrow(/^TEMPORAL_TLS_CA: cannot read .*missing\.pem \(ENOENT\)/);
    expect(() => temporalTlsFromEnvironment(env({ TEMPORAL_TLS_CERT: file('server.ext') }))).toThrow(/^TEMPORAL_TLS_CERT: .* is not PEM/);
  });
});
