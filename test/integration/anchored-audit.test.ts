import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { exportCheckpoints, readCheckpointFolder, verifyAgainstCheckpoints } from '../../src/audit/checkpoint-folder';
import { checkpointFault, CHECKPOINT_VERIFY_KEYS_ENV, newCheckpointKeyPair, parseVerifyKeys, type SignedCheckpoint } from '../../src/audit/checkpoints';
import { CheckpointStore } from '../../src/db/checkpoint-store';
import { auditHash, type AuditEntry } from '../../src/domain/audit-chain';
import { waitFor } from '../../src/net';
import { ensureCheckpointSchedule } from '../../src/temporal/schedules';
import { testEnv } from '../support/servers';
import { ownerUrlOf, startTestSigner, type TestSigner } from '../support/signer';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/**
 * The audit chain against someone who got the table: anchored by the head the incident's workflow
 * holds in Temporal and by checkpoints a signer of its own signs, neither of which the
 * application's role can write. Each tampering is done as the table's owner, with its triggers off.
 */
describe('an anchored audit chain', () => {
  let stack: TestStack;
  let signer: TestSigner;
  const saved = process.env[CHECKPOINT_VERIFY_KEYS_ENV];
  beforeAll(async () => {
    const pair = newCheckpointKeyPair('suite-signer');
    // The API trusts the signer's public key, and only that.
    process.env[CHECKPOINT_VERIFY_KEYS_ENV] = pair.verifyKey;
    stack = await startTestStack();
    signer = await startTestSigner(stack.db.url, stack.taskQueue, pair);
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env[CHECKPOINT_VERIFY_KEYS_ENV];
    else process.env[CHECKPOINT_VERIFY_KEYS_ENV] = saved;
    await signer?.close();
    await stack?.close();
  });

  const key = (role: keyof TestStack['keys']) => stack.keys[role];
  /** The incidents tampered with, by what was done to them. */
  const tampered: Record<string, string> = {};
  const audit = (id: string, query = '') => stack.request('GET', `/v1/incidents/${id}/audit${query}`, { key: key('auditor') });

  /** An incident with a few decisions, once the workflow's head has caught up with the last entry. */
  async function incidentWithEntries(notes: number): Promise<{ id: string; entries: AuditEntry[] }> {
    const opened = await stack.request('POST', '/v1/alerts', {
      key: key('integration'),
      body: { source: 'edr', sourceRef: uniqueKey('anchor'), title: 'Beaconing from build-07', severity: 'medium', dedupKey: uniqueKey('anchor'), assets: [{ kind: 'host', id: 'build-07' }] },
    });
    const id: string = opened.body.incidentId;
    expect((await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: key('responder'), body: {} })).status).toBe(200);
    for (let i = 1; i <= notes; i++) {
      expect((await stack.request('POST', `/v1/incidents/${id}/notes`, { key: key('responder'), body: { text: `finding ${i}` } })).status).toBe(200);
    }
    let entries: AuditEntry[] = [];
    await waitFor('the workflow holding the head of the chain', async () => {
      const res = await audit(id, '?limit=1000');
      entries = res.body.entries;
      if (res.body.anchors.workflow?.seq !== entries.at(-1)?.seq) throw new Error(`workflow ${res.body.anchors.workflow?.seq}, chain ${entries.at(-1)?.seq}`);
    }, 20_000, 100);
    return { id, entries };
  }

  /** As the table's owner with its triggers off: what an attacker who got the database could do. */
  async function asOwner(run: (db: PgClient) => Promise<unknown>): Promise<void> {
    const db = new PgClient({ connectionString: ownerUrlOf(stack.db.url) });
    await db.connect();
    try {
      await db.query('SET session_replication_role = replica');
      await run(db);
    } finally {
      await db.end();
    }
  }

  it('lets only the signer write checkpoints, and the signer nothing else', async () => {
    await expect(stack.db.pool.query(`INSERT INTO audit_checkpoints (seq, key_id, statement, statement_hash, signature) VALUES (999, 'forged', '{}', 'x', 'x')`)).rejects.toThrow(/permission denied/);
    await expect(stack.db.pool.query(`INSERT INTO audit_checkpoint_heads (checkpoint_seq, incident_id, seq, hash) VALUES (1, 'x', 1, 'x')`)).rejects.toThrow(/permission denied/);
    await expect(signer.pool.query(`INSERT INTO audit_log (incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash) VALUES ('x', 1, 'k', now(), 'a', 'r', 'a', 'o', '{}', 'p', 'h')`)).rejects.toThrow(/permission denied/);
    await expect(signer.pool.query(`UPDATE audit_checkpoints SET signature = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(signer.pool.query(`SELECT * FROM incidents`)).rejects.toThrow(/permission denied/);
  });

  it('stamps every entry with the time PostgreSQL stored it and a sequence across incidents', async () => {
    const { entries } = await incidentWithEntries(1);
    const stamped = entries as Array<AuditEntry & { globalSeq: number; recordedAt: string }>;
    expect(stamped.every((e) => Number.isInteger(e.globalSeq) && !Number.isNaN(Date.parse(e.recordedAt)))).toBe(true);
    const globals = stamped.map((e) => e.globalSeq);
    expect([...globals].sort((a, b) => a - b)).toEqual(globals);
    // Whatever the application sends, the database decides both.
    await stack.db.pool.query(
      `INSERT INTO audit_log (incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash, global_seq, recorded_at)
       VALUES ('0000000000000000', 1, 'backdated', now(), 'a', 'r', 'a', 'recorded', '{}', 'p', 'h', 1, '2000-01-01T00:00:00Z')`,
    );
    const { rows } = await stack.db.pool.query(`SELECT global_seq, recorded_at FROM audit_log WHERE incident_id = '0000000000000000'`);
    expect(Number(rows[0].global_seq)).toBeGreaterThan(Math.max(...globals));
    expect(rows[0].recorded_at.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });

  it('signs checkpoints on a Temporal Schedule, on the signer’s own queue, and exports each as a file', async () => {
    const { id, entries } = await incidentWithEntries(1);
    await signer.startWorker();
    const scheduleId = `checkpoints-${stack.taskQueue}`;
    await ensureCheckpointSchedule(signer.client(), { taskQueue: signer.taskQueue, every: '1h', scheduleId });
    const schedule = signer.client().schedule.getHandle(scheduleId);
    try {
      const before = (await stack.db.pool.query('SELECT count(*)::int AS n FROM audit_checkpoints')).rows[0].n;
      await schedule.trigger();
      await waitFor('a checkpoint from the schedule', async () => {
        const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM audit_checkpoints');
        if (rows[0].n <= before) throw new Error('not yet');
      }, 60_000, 200);
    } finally {
      await schedule.delete();
    }
    const files = (await readdir(signer.exportDir)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThan(0);
    const exported = JSON.parse(await readFile(path.join(signer.exportDir, files.at(-1)!), 'utf8')) as SignedCheckpoint;
    expect(checkpointFault(exported, signer.keys)).toBeUndefined();
    expect(exported.heads).toContainEqual({ incidentId: id, seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });

    const res = await audit(id);
    expect(res.body.verification).toEqual({ valid: true, entries: entries.length, problems: [] });
    expect(res.body.anchors.checkpoint).toMatchObject({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash, checkpointSeq: exported.statement.seq, keyId: 'suite-signer' });
  }, 120_000);

  /** An incident whose head the workflow and a signed checkpoint both hold. */
  async function anchoredIncident(notes = 3) {
    const incident = await incidentWithEntries(notes);
    expect((await signer.activities.signCheckpoint()).signed).toBe(true);
    const res = await audit(incident.id);
    expect(res.body.verification.valid).toBe(true);
    expect(res.body.anchors.checkpoint?.seq).toBe(incident.entries.at(-1)!.seq);
    return incident;
  }

  it('names an edited entry', async () => {
    const { id } = await anchoredIncident();
    await asOwner((db) => db.query(`UPDATE audit_log SET actor = 'mallory' WHERE incident_id = $1 AND seq = 2`, [id]));
    const res = await audit(id);
    expect(res.body.verification).toMatchObject({ valid: false, problems: [{ kind: 'altered_entry', seq: 2, reason: 'entry 2 was altered after it was written' }] });
  });

  it('names a cut tail, which verified as valid before the anchors', async () => {
    const { id, entries } = await anchoredIncident();
    const last = entries.at(-1)!.seq;
    await asOwner((db) => db.query(`DELETE FROM audit_log WHERE incident_id = $1 AND seq > $2`, [id, last - 2]));
    tampered.cut = id;
    const res = await audit(id);
    expect(res.body.entries).toHaveLength(last - 2);
    expect(res.body.verification.valid).toBe(false);
    expect(res.body.verification.problems).toEqual([
      expect.objectContaining({ kind: 'cut_tail', lastSeq: last - 2, anchoredSeq: last, anchor: 'workflow' }),
      expect.objectContaining({ kind: 'cut_tail', lastSeq: last - 2, anchoredSeq: last, anchor: 'checkpoint' }),
    ]);
  });

  it('names an emptied incident', async () => {
    const { id, entries } = await anchoredIncident();
    await asOwner((db) => db.query(`DELETE FROM audit_log WHERE incident_id = $1`, [id]));
    tampered.emptied = id;
    const res = await audit(id);
    expect(res.status).toBe(200);
    expect(res.body.entries).toEqual([]);
    expect(res.body.verification.problems).toEqual([
      expect.objectContaining({ kind: 'emptied_incident', anchoredSeq: entries.at(-1)!.seq, anchor: 'workflow' }),
      expect.objectContaining({ kind: 'emptied_incident', anchoredSeq: entries.at(-1)!.seq, anchor: 'checkpoint' }),
    ]);
  });

  it('names a recomputed chain, and the next checkpoint keeps the head it had signed', async () => {
    const { id, entries } = await anchoredIncident();
    // Rewrite the second entry and compute every hash after it again, so each link holds.
    let prevHash = entries[0]!.hash;
    const rewritten = entries.slice(1).map((entry, i) => {
      const { hash: _old, ...rest } = entry as AuditEntry & { globalSeq?: number; recordedAt?: string };
      delete rest.globalSeq;
      delete rest.recordedAt;
      const body = { ...rest, incidentId: id, prevHash, ...(i === 0 ? { actor: 'mallory' } : {}) };
      const hash = auditHash(body);
      prevHash = hash;
      return { ...body, hash };
    });
    await asOwner(async (db) => {
      for (const e of rewritten) await db.query('UPDATE audit_log SET actor = $3, prev_hash = $4, hash = $5 WHERE incident_id = $1 AND seq = $2', [id, e.seq, e.actor, e.prevHash, e.hash]);
    });
    tampered.recomputed = id;
    let res = await audit(id);
    expect(res.body.verification.problems).toEqual([
      expect.objectContaining({ kind: 'recomputed_chain', seq: entries.at(-1)!.seq, anchor: 'workflow' }),
      expect.objectContaining({ kind: 'recomputed_chain', seq: entries.at(-1)!.seq, anchor: 'checkpoint' }),
    ]);

    // The signer does not sign the rewritten head: it keeps the one it had, and says so.
    const next = await signer.activities.signCheckpoint();
    expect(next).toMatchObject({ signed: true, diverged: expect.any(Number) });
    expect((next as { diverged: number }).diverged).toBeGreaterThanOrEqual(1);
    res = await audit(id);
    expect(res.body.anchors.checkpoint).toMatchObject({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });
    expect(res.body.verification.problems.map((p: { kind: string }) => p.kind)).toEqual(['recomputed_chain', 'recomputed_chain']);
  });

  it('names a checkpoint whose heads were swapped behind the signer’s back', async () => {
    const { id } = await anchoredIncident(1);
    await asOwner((db) => db.query(`UPDATE audit_checkpoint_heads SET seq = seq + 1 WHERE incident_id = $1`, [id]));
    const res = await audit(id);
    expect(res.body.verification.problems).toContainEqual(expect.objectContaining({ kind: 'checkpoint_invalid', reason: expect.stringMatching(/do not match its signed root/) }));
  });

  it('checks the database against the checkpoints exported out of it, naming each incident tampered with', async () => {
    const dir = path.join(testEnv('workDir'), `export-${randomBytes(4).toString('hex')}`);
    const store = new CheckpointStore(stack.db.pool); // the application's role may read them
    expect(await exportCheckpoints(store, dir)).toBeGreaterThanOrEqual(5);
    expect(await exportCheckpoints(store, dir)).toBe(0);
    const verdict = await verifyAgainstCheckpoints(await readCheckpointFolder(dir), signer.keys, stack.db.pool);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toContainEqual(expect.objectContaining({ incidentId: tampered.cut, kind: 'cut_tail' }));
    expect(verdict.problems).toContainEqual(expect.objectContaining({ incidentId: tampered.emptied, kind: 'emptied_incident' }));
    expect(verdict.problems).toContainEqual(expect.objectContaining({ incidentId: tampered.recomputed, kind: 'recomputed_chain' }));
    expect(verdict.problems).toContainEqual(expect.objectContaining({ kind: 'entries_removed' }));
    // The checkpoint whose stored heads were swapped no longer matches its signed root.
    expect(verdict.problems).toContainEqual(expect.objectContaining({ kind: 'checkpoint_invalid', reason: expect.stringMatching(/do not match its signed root/) }));
    // Under a key nobody trusts, no checkpoint counts.
    const untrusted = await verifyAgainstCheckpoints(await readCheckpointFolder(dir), parseVerifyKeys(newCheckpointKeyPair('suite-signer').verifyKey), stack.db.pool);
    expect(untrusted.problems.filter((p) => p.kind === 'checkpoint_invalid')).toHaveLength(untrusted.checkpoints);
  });

  it('pages through an audit log longer than a page, each page verified from the one before', async () => {
    const { id, entries } = await incidentWithEntries(8);
    expect(entries.length).toBeGreaterThan(10);
    const seen: AuditEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await audit(id, `?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.verification).toEqual({ valid: true, entries: res.body.entries.length, problems: [] });
      expect(res.body.anchors.workflow).toEqual({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });
      seen.push(...res.body.entries);
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(entries.length / 4));
    expect(seen).toEqual(entries);

    // A cursor that does not carry the last hash of the page before: the next page says it does not link.
    const forged = Buffer.from(JSON.stringify([4, 'f'.repeat(64)])).toString('base64url');
    const broken = await audit(id, `?limit=4&cursor=${forged}`);
    expect(broken.body.verification.problems).toEqual([{ kind: 'broken_link', seq: 5, reason: 'entry 5 does not link to entry 4' }]);
    for (const bad of ['not-a-cursor', Buffer.from('[0,"x"]').toString('base64url')]) {
      const res = await audit(id, `?cursor=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'cursor', message: 'not a cursor from a previous page' }]);
    }
    const tooMany = await audit(id, '?limit=1001');
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body.errors)).toContain('limit');
  });

  it('pages through a timeline longer than a page, each page verified from the one before', async () => {
    const { id } = await incidentWithEntries(6);
    const whole = await stack.request('GET', `/v1/incidents/${id}/timeline?limit=1000`, { key: key('auditor') });
    const all = whole.body.items;
    expect(all.length).toBeGreaterThan(8);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const res = await stack.request('GET', `/v1/incidents/${id}/timeline?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { key: key('manager') });
      expect(res.status).toBe(200);
      expect(res.body.verification).toEqual({ valid: true, problems: [] });
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);

    const elsewhere = Buffer.from(JSON.stringify([3, '0'.repeat(64)])).toString('base64url');
    const res = await stack.request('GET', `/v1/incidents/${id}/timeline?limit=3&cursor=${elsewhere}`, { key: key('auditor') });
    expect(res.body.verification).toMatchObject({ valid: false, problems: [{ kind: 'timeline_changed', position: 3 }] });
  });
});
