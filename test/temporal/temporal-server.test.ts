import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { freeServerPort, startTemporalServer, temporalKind, temporalServerInstall, type TemporalServer } from '../../src/temporal/temporal-server';
import { describeWithTemporalServer } from '../support/temporal-server-built';
import { testEnv } from '../support/servers';
import { uniqueKey } from '../support/stack';

describe('the Temporal server when it is not built', () => {
  it('names the make target that builds it', async () => {
    const empty = mkdtempSync(path.join(testEnv('workDir'), 'no-server-'));
    expect(() => temporalServerInstall(empty)).toThrow(/not built .*run `make temporal-server`/);
    await expect(startTemporalServer({ postgres: testEnv('postgresAdminUrl'), port: await freeServerPort(), workDir: empty, installDir: empty })).rejects.toThrow(/make temporal-server/);
  });

  it('refuses a switch value it does not know', () => {
    expect(() => temporalKind('sqlite', 'FIREBREAK_TEMPORAL')).toThrow(/FIREBREAK_TEMPORAL=sqlite: expected 'dev'.*or 'server'/);
    expect(temporalKind(undefined, 'X')).toBe('dev');
  });
});

describeWithTemporalServer('the Temporal server on PostgreSQL', () => {
  jest.setTimeout(240_000);
  const suffix = uniqueKey('t').replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const databases = { main: `temporal_${suffix}`, visibility: `temporal_${suffix}_visibility` };
  let server: TemporalServer | undefined;
  afterAll(async () => {
    await server?.stop();
    const admin = new PgClient({ connectionString: testEnv('postgresAdminUrl') });
    await admin.connect();
    for (const name of Object.values(databases)) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('sets up its schema, registers the namespace and the search attributes, and keeps a workflow across a crash', async () => {
    const workDir = mkdtempSync(path.join(testEnv('workDir'), 'temporal-server-'));
    const port = await freeServerPort();
    const start = (ports?: TemporalServer['ports']) =>
      startTemporalServer({ postgres: testEnv('postgresAdminUrl'), port, workDir, databases, ports });
    server = await start();
    const first = server.timings;

    let connection = await Connection.connect({ address: server.address });
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of Object.values(SEARCH_ATTRIBUTES)) expect(Object.keys(attributes.customAttributes ?? {})).toContain(key.name);
    // No worker polls this queue: the workflow stays open, which is what must survive.
    const workflowId = uniqueKey('kept');
    await new Client({ connection }).workflow.start('NotPolled', {
      taskQueue: uniqueKey('nobody'),
      workflowId,
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.severity, value: 'high' }],
    });
    await connection.close();

    // SIGKILL, as a crash would, then a start on the same databases and ports.
    const gone = new Promise((resolve) => server!.process.once('exit', resolve));
    server.process.kill('SIGKILL');
    await gone;
    server = await start(server.ports);
    console.info(
      `Temporal server: first start ${first.schemaMs} ms schema + ${first.readyMs} ms to ready (frontend after ${first.frontendMs} ms); ` +
        `restart after SIGKILL ${server.timings.schemaMs} ms schema check + ${server.timings.readyMs} ms to ready`,
    );

    connection = await Connection.connect({ address: server.address });
    try {
      const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('RUNNING');
      expect(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.severity)).toBe('high');
      await new Client({ connection }).workflow.getHandle(workflowId).terminate('test over');
    } finally {
      await connection.close();
    }
  });
});
