import { AuditLog } from '../../src/db/audit-log';
import { IncidentRepository } from '../../src/db/incident-repository';
import type { AuditEntryInput } from '../../src/domain/audit-chain';
import { acknowledge, openIncident, type IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { freshDatabase, type TestDatabase } from '../support/database';
import { maria } from '../support/principals';

const OPENED = new Date('2026-12-04T09:00:00Z');

function entry(entryKey: string, action: string): AuditEntryInput {
  return { entryKey, at: OPENED.toISOString(), actor: 'firebreak', actorRole: 'system', action, outcome: 'recorded', details: {} };
}

describe('a publish: the audit entries and the read model in one transaction', () => {
  let db: TestDatabase;
  let incidents: IncidentRepository;
  let auditLog: AuditLog;
  let n = 0;
  const opened = (): IncidentState => {
    n += 1;
    return openIncident({ incidentId: `rec${n}`.padEnd(16, '0'), dedupKey: `rec-${n}`, title: 'Record test', source: 'test', severity: 'high' }, DEFAULT_POLICY, OPENED);
  };
  const outboxCount = async (incidentId: string) =>
    Number((await db.pool.query('SELECT count(*) AS n FROM lifecycle_event_outbox WHERE incident_id = $1', [incidentId])).rows[0].n);

  beforeAll(async () => {
    db = await freshDatabase();
    incidents = new IncidentRepository(db.pool);
    auditLog = new AuditLog(db.pool);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores the entries and the snapshot they led to, and answers the chain’s head', async () => {
    const state = opened();
    const head = await incidents.record(state, [entry('opened', 'open'), entry('phase:detected', 'enter_phase')]);
    expect(head.seq).toBe(2);
    expect((await auditLog.entries(state.incidentId)).map((e) => [e.seq, e.entryKey, e.hash])).toEqual([
      [1, 'opened', expect.any(String)],
      [2, 'phase:detected', head.hash],
    ]);
    expect((await incidents.find(state.incidentId))?.stateVersion).toBe(state.version);
    expect(await outboxCount(state.incidentId)).toBeGreaterThan(0);
  });

  it('is harmless when repeated, as a retried activity repeats it', async () => {
    const state = opened();
    const entries = [entry('opened', 'open')];
    const first = await incidents.record(state, entries);
    const events = await outboxCount(state.incidentId);
    expect(await incidents.record(state, entries)).toEqual(first);
    expect(await auditLog.entries(state.incidentId)).toHaveLength(1);
    expect(await outboxCount(state.incidentId)).toBe(events);
  });

  it('appends a batch that repeats keys once each, in chain order, with its events numbered without a gap', async () => {
    const state = opened();
    const id = state.incidentId;
    await incidents.record(state, [entry('opened', 'open')]);
    const acknowledged = { ...entry('decision:1', 'acknowledge'), outcome: 'applied' };
    const paged = { ...entry('page:1', 'escalate'), details: { level: 1, target: 'on-call', cause: 'sla' } };
    const head = await auditLog.append(id, [entry('opened', 'open'), acknowledged, acknowledged, entry('note:1', 'note'), paged]);

    const { entries, verification } = await auditLog.verified(id);
    expect(entries.map((e) => [e.seq, e.entryKey])).toEqual([
      [1, 'opened'],
      [2, 'decision:1'],
      [3, 'note:1'],
      [4, 'page:1'],
    ]);
    expect(verification).toEqual({ valid: true, entries: 4 });
    expect(head).toEqual({ seq: 4, hash: entries[3]!.hash });
    const byGlobalOrder = await db.pool.query('SELECT seq FROM audit_log WHERE incident_id = $1 ORDER BY global_seq', [id]);
    expect(byGlobalOrder.rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    const outbox = await db.pool.query('SELECT sequence, entry_key FROM lifecycle_event_outbox WHERE incident_id = $1 ORDER BY id', [id]);
    expect(outbox.rows.map((r) => [r.sequence, r.entry_key])).toEqual([
      [1, 'opened'],
      [2, 'decision:1'],
      [3, 'page:1'],
    ]);
  });

  it('answers the head without entries, and keeps the newer snapshot when an older one arrives late', async () => {
    const state = opened();
    const head = await incidents.record(state, [entry('opened', 'open')]);
    const acked = acknowledge(state, maria, DEFAULT_POLICY, new Date(OPENED.getTime() + 60_000));
    await incidents.record(acked, []);
    expect(await incidents.record(state, [])).toEqual(head);
    expect((await incidents.find(state.incidentId))?.stateVersion).toBe(acked.version);
  });

  it('commits no entry when the snapshot is refused: the chain never holds what the read model does not', async () => {
    const state = { ...opened(), openedAt: 'not a time' };
    await expect(incidents.record(state, [entry('opened', 'open')])).rejects.toThrow(/time|date/i);
    expect(await auditLog.entries(state.incidentId)).toEqual([]);
    expect(await outboxCount(state.incidentId)).toBe(0);
    expect(await incidents.find(state.incidentId)).toBeUndefined();
  });
});
