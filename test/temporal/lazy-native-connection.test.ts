import { mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Client, isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { unavailableDependency } from '../../src/api/dependency-errors';
import { errorCauses } from '../../src/error-causes';
import { freePort } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { withinDeadline } from '../../src/temporal/deadline';
import { GRPC_STATUS } from '../../src/temporal/grpc-status';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { LazyNativeConnection } from '../../src/temporal/lazy-native-connection';
import { testEnv } from '../support/servers';
import { silentListener } from '../support/silent-listener';


/** What a call ended with, and after how many ms. */
async function outcome(call: () => Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const start = Date.now();
  try {
    await call();
    return { ms: Date.now() - start };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

/** The gRPC status of the error or of the first cause that has one (the client wraps some in its own errors). */
const grpcCode = (error: unknown) => {
  const grpc = errorCauses(error).find(isGrpcServiceError);
  return grpc ? grpc.code : `not a gRPC error: ${String(error)}`;
};

describe("the API's connection to Temporal on the SDK's core, made on first use", () => {
  jest.setTimeout(120_000);
  const connections: LazyNativeConnection[] = [];
  const lazy = (address: string) => {
    const c = new LazyNativeConnection({ address });
    connections.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
  });

  it('carries a client’s calls, and the server’s errors reach the client as its own', async () => {
    const connection = lazy(testEnv('temporalAddress'));
    const info = await connection.withDeadline(Date.now() + 5_000, () => connection.workflowService.getSystemInfo({}));
    expect(info.capabilities?.signalAndQueryHeader).toBe(true);
    const client = new Client({ connection, namespace: 'default' });
    await expect(client.workflow.getHandle('no-such-incident-workflow').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('ends a query no worker answers at its deadline as Temporal unavailable, through the client', async () => {
    const connection = lazy(testEnv('temporalAddress'));
    const client = new Client({ connection, namespace: 'default' });
    // A task queue no worker polls: the query waits for one, as it does while every worker is down.
    const handle = await client.workflow.start('noWorkerPollsThis', { taskQueue: `unpolled-${Date.now()}`, workflowId: `unpolled-${Date.now()}` });
    try {
      const query = await outcome(() => withinDeadline(client, 500, () => handle.query('state')));
      expect(grpcCode(query.error)).toBe(GRPC_STATUS.DEADLINE_EXCEEDED);
      expect(unavailableDependency(query.error)).toBe('Temporal');
      expect(query.ms).toBeLessThan(2_000);
    } finally {
      await handle.terminate();
    }
  });

  it('is created while nothing listens, fails each call as unavailable, and connects once the server is there; a deadline bounds a call to a server gone since', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lazy-native-'));
    const start = () => startDevServer({ cliPath: temporalCliPath(), port, dbFile: path.join(dir, 't.sqlite'), fastSqlite: true });
    const connection = lazy(`127.0.0.1:${port}`);
    const systemInfo = (ms: number) => connection.withDeadline(Date.now() + ms, () => connection.workflowService.getSystemInfo({}));

    const refused = await outcome(() => systemInfo(5_000));
    expect(grpcCode(refused.error)).toBe(GRPC_STATUS.UNAVAILABLE);
    expect(unavailableDependency(refused.error)).toBe('Temporal');
    expect(refused.ms).toBeLessThan(2_000);

    let server: DevServer = await start();
    try {
      expect((await outcome(() => systemInfo(5_000))).error).toBeUndefined();

      // The core alone retries an unavailable server for about 10 s whatever the deadline.
      server.process.kill('SIGKILL');
      await once(server.process, 'exit');
      const gone = await outcome(() => systemInfo(1_000));
      expect(grpcCode(gone.error)).toBe(GRPC_STATUS.DEADLINE_EXCEEDED);
      expect(unavailableDependency(gone.error)).toBe('Temporal');
      expect(gone.ms).toBeGreaterThanOrEqual(950);
      expect(gone.ms).toBeLessThan(3_000);

      // The same connection reaches the server restarted on its port.
      server = await start();
      expect((await outcome(() => systemInfo(10_000))).error).toBeUndefined();
    } finally {
      await server.stop();
    }
  });

  it('ends a call to a server that never answers at its deadline, and one whose signal aborts as cancelled', async () => {
    const hung = await silentListener();
    try {
      const connection = lazy(hung.address);
      const late = await outcome(() => connection.withDeadline(Date.now() + 300, () => connection.workflowService.getSystemInfo({})));
      expect(grpcCode(late.error)).toBe(GRPC_STATUS.DEADLINE_EXCEEDED);
      expect(late.ms).toBeLessThan(2_000);

      const abort = new AbortController();
      setTimeout(() => abort.abort(), 200);
      const aborted = await outcome(() => connection.withAbortSignal(abort.signal, () => connection.workflowService.getSystemInfo({})));
      expect(grpcCode(aborted.error)).toBe(GRPC_STATUS.CANCELLED);
      expect(aborted.ms).toBeLessThan(2_000);
    } finally {
      hung.close();
    }
  });

  it('refuses calls once closed', async () => {
    const connection = lazy(testEnv('temporalAddress'));
    await connection.ensureConnected();
    await connection.close();
    const closed = await outcome(() => connection.workflowService.getSystemInfo({}));
    expect(grpcCode(closed.error)).toBe(GRPC_STATUS.UNAVAILABLE);
  });
});
