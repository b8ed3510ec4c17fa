import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AuditLog } from '../../src/db/audit-log';
import { custodyOf, EvidenceRegister } from '../../src/db/evidence-register';
import { HistoryArchive } from '../../src/db/history-archive';
import { custodyHash, GENESIS_HASH, type CustodyLink } from '../../src/domain/audit-chain';
import { runDigest } from '../../src/domain/archive-digest';
import { waitFor } from '../../src/net';
import { freshDatabase, type TestDatabase } from '../support/database';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** Runs `sql` as the owner with triggers off: what someone with the owner's password could do. */
async function asOwnerBehindTheTriggers(db: TestDatabase, sql: string, params: unknown[] = []): Promise<void> {
  const owner = new Client({ connectionString: db.ownerUrl });
  await owner.connect();
  try {
    await owner.query('SET session_replication_role = replica');
    await owner.query(sql, params);
  } finally {
    await owner.end();
  }
}

describe('custody chains commit to the evidence record', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function collected(incidentId = `ev-${randomBytes(4).toString('hex')}`): Promise<string> {
    await new EvidenceRegister(db.pool).recordCollected({
      incidentId, asset: { kind: 'host', id: 'web-01' }, artifactType: 'memory', volatilityRank: 1, sha256: 'c'.repeat(64), sizeBytes: 8192,
      location: 's3://evidence/web-01/memory', collectedBy: 'forensics-bot', collectedAt: new Date('2026-12-01T10:00:00.123Z'),
    });
    return incidentId;
  }

  it('writes version-2 links that verify', async () => {
    const id = await collected();
    const [artifact] = await custodyOf(db.pool, id);
    expect(artifact!.verification).toEqual({ valid: true, entries: 2 });
    expect(artifact!.links.map((l) => [l.seq, l.action, l.version])).toEqual([[1, 'collected', 2], [2, 'transferred', 2]]);
  });

  it.each([
    ['location', `location = 's3://elsewhere/memory'`],
    ['size', 'size_bytes = size_bytes + 1'],
    ['asset', `asset_id = 'web-02'`],
    ['artifact type', `artifact_type = 'disk'`],
  ])('breaks at the first link when the evidence record’s %s is changed behind the triggers', async (_field, change) => {
    const id = await collected();
    await asOwnerBehindTheTriggers(db, `UPDATE evidence_artifacts SET ${change} WHERE incident_id = $1`, [id]);
    const [artifact] = await custodyOf(db.pool, id);
    expect(artifact!.verification).toEqual({ valid: false, entries: 2, brokenAt: 1, reason: 'entry 1 was altered after it was written' });
  });

  it('breaks when the evidence is moved to another incident', async () => {
    const id = await collected();
    const other = `ev-${randomBytes(4).toString('hex')}`;
    await asOwnerBehindTheTriggers(db, 'UPDATE evidence_artifacts SET incident_id = $2 WHERE incident_id = $1', [id, other]);
    expect(await custodyOf(db.pool, id)).toEqual([]);
    const [moved] = await custodyOf(db.pool, other);
    expect(moved!.verification).toMatchObject({ valid: false, brokenAt: 1 });
  });

  it('still verifies a version-1 chain written before the evidence record was committed to', async () => {
    const id = `ev-${randomBytes(4).toString('hex')}`;
    const { rows } = await db.ownerPool.query(
      `INSERT INTO evidence_artifacts (incident_id, asset_kind, asset_id, artifact_type, volatility_rank, sha256, size_bytes, location, collected_by, collected_at)
       VALUES ($1, 'host', 'db-01', 'disk', 5, $2, 10, 's3://old/disk', 'forensics-bot', '2026-11-01T09:00:00Z') RETURNING artifact_id`,
      [id, 'd'.repeat(64)],
    );
    const artifactId = String(rows[0].artifact_id);
    const collectedLink: CustodyLink = { artifactId, seq: 1, action: 'collected', fromCustodian: 'host:db-01', toCustodian: 'forensics-bot', sha256: 'd'.repeat(64), at: '2026-11-01T09:00:00.000Z', prevHash: GENESIS_HASH };
    const transferred: CustodyLink = { ...collectedLink, seq: 2, action: 'transferred', fromCustodian: 'forensics-bot', toCustodian: 'evidence-store', prevHash: custodyHash(collectedLink) };
    for (const link of [collectedLink, transferred]) {
      await db.ownerPool.query(
        `INSERT INTO custody_entries (artifact_id, seq, action, from_custodian, to_custodian, sha256, at, prev_hash, hash, hash_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)`,
        [artifactId, link.seq, link.action, link.fromCustodian, link.toCustodian, link.sha256, link.at, link.prevHash, custodyHash(link)],
      );
    }
    const [artifact] = await custodyOf(db.pool, id);
    expect(artifact!.verification).toEqual({ valid: true, entries: 2 });
  });
});

describe('archived runs are chained into the audit log', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const runs = [
    { runId: 'run-1', history: { events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' }, { eventId: '2', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW' }] } },
    { runId: 'run-2', history: { events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' }, { eventId: '2', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' }] } },
  ];

  async function archived(): Promise<string> {
    const id = `ar-${randomBytes(4).toString('hex')}`;
    await new HistoryArchive(db.pool).archive(id, runs);
    return id;
  }

  it('appends one entry per run with its id and SHA-256, once however often it is archived', async () => {
    const id = await archived();
    await new HistoryArchive(db.pool).archive(id, runs);
    const { entries, verification } = await new AuditLog(db.pool).verified(id);
    expect(verification).toMatchObject({ valid: true, entries: 2 });
    expect(entries.map((e) => [e.action, e.details])).toEqual([
      ['archive_run', { runIndex: 0, runId: 'run-1', sha256: runDigest(runs[0]!.history), events: 2 }],
      ['archive_run', { runIndex: 1, runId: 'run-2', sha256: runDigest(runs[1]!.history), events: 2 }],
    ]);
    expect(await new HistoryArchive(db.pool).verified(id)).toEqual({ valid: true, runs: 2 });
  });

  it('finds a run altered behind the triggers by comparing it with the chained digest', async () => {
    const id = await archived();
    await asOwnerBehindTheTriggers(db, `UPDATE incident_histories SET history = jsonb_set(history, '{events,1,eventType}', '"EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED"') WHERE incident_id = $1 AND run_index = 1`, [id]);
    expect(await new HistoryArchive(db.pool).verified(id)).toEqual({ valid: false, runs: 2, runIndex: 1, runId: 'run-2', reason: 'run run-2 was altered after it was archived' });
  });

  it('finds a run deleted behind the triggers', async () => {
    const id = await archived();
    await asOwnerBehindTheTriggers(db, 'DELETE FROM incident_histories WHERE incident_id = $1 AND run_index = 0', [id]);
    expect(await new HistoryArchive(db.pool).verified(id)).toEqual({ valid: false, runs: 1, runIndex: 0, runId: 'run-1', reason: 'run run-1 (1 of the incident) is missing from the archive' });
  });
});

describe('closing an incident archives its history with each run’s digest in the audit log', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('chains every archived run, and a changed run no longer matches', async () => {
    const post = (path: string, role: keyof TestStack['keys'], body: unknown) => stack.request('POST', path, { key: stack.keys[role], body });
    const opened = await post('/v1/alerts', 'integration', {
      source: 'edr', sourceRef: uniqueKey('archive'), title: 'Miner on build-07', severity: 'low', dedupKey: uniqueKey('archive'), assets: [{ kind: 'host', id: 'build-07' }],
    });
    const id: string = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, 'responder', {})).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, 'manager', { severity: 'low', category: 'malware', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'lab machine' } })).status).toBe(200);

    const archive = new HistoryArchive(stack.db.pool);
    await waitFor('the archive and its digests', async () => {
      const verdict = await archive.verified(id);
      if (!verdict.valid || verdict.runs < 1) throw new Error(JSON.stringify(verdict));
    }, 60_000, 250);
    const audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: stack.keys.auditor });
    const chained = audit.body.entries.filter((e: { action: string }) => e.action === 'archive_run');
    const stored = await archive.runs(id);
    expect(chained.map((e: { details: unknown }) => e.details)).toEqual(stored.map((run, runIndex) => ({ runIndex, runId: run.runId, sha256: runDigest(run.history), events: run.history.events.length })));
    expect(audit.body.verification).toMatchObject({ valid: true });
    expect(audit.body.archive).toEqual({ valid: true, runs: stored.length });

    await asOwnerBehindTheTriggers(stack.db, `UPDATE incident_histories SET history = jsonb_set(history, '{events,0,eventId}', '"0"') WHERE incident_id = $1 AND run_index = 0`, [id]);
    const altered = { valid: false, runs: stored.length, runIndex: 0, runId: stored[0]!.runId, reason: `run ${stored[0]!.runId} was altered after it was archived` };
    expect(await archive.verified(id)).toEqual(altered);
    const after = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: stack.keys.auditor });
    expect(after.body.archive).toEqual(altered);
  }, 120_000);
});
