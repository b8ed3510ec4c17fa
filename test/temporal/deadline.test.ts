import http2 from 'node:http2';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { unavailableDependency } from '../../src/api/dependency-errors';
import { errorCauses } from '../../src/error-causes';
import { TemporalDeadlineError, withinDeadline } from '../../src/temporal/deadline';

/**
 * A frontend that, like Temporal's at a call's deadline, resets every stream with CANCEL: gRPC then
 * reports CANCELLED ("Call cancelled") rather than DEADLINE_EXCEEDED. The clock is the test's, so
 * whether the reset came before or after the deadline does not depend on timing.
 */
describe('a Temporal call that reaches its deadline', () => {
  let server: http2.Http2Server;
  let client: Client;
  beforeAll(async () => {
    server = http2.createServer();
    server.on('stream', (stream) => stream.close(http2.constants.NGHTTP2_CANCEL));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const connection = Connection.lazy({ address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await client.connection.close();
    server.close();
  });

  const query = () => client.workflow.getHandle('incident-deadline').query('state');

  it('is raised as a deadline error, which the API counts as Temporal unavailable, when the stream was reset at or after the deadline', async () => {
    // The helper's clock jumps to the deadline while the call is out; gRPC's own stays real.
    let skipped = 0;
    const clock = () => Date.now() + skipped;
    const call = withinDeadline(client, 5_000, async () => {
      skipped = 5_000;
      return query();
    }, clock);
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalDeadlineError);
    expect(unavailableDependency(err)).toBe('Temporal');
  });

  it('stays the cancelled call it was before the deadline', async () => {
    const err = await withinDeadline(client, 5_000, query).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TemporalDeadlineError);
    const grpc = errorCauses(err).find(isGrpcServiceError);
    expect(grpc?.code).toBe(1); // CANCELLED
    expect(unavailableDependency(err)).toBeUndefined();
  });
});
