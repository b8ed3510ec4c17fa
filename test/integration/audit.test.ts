import { Client as PgClient } from 'pg';
import { replayRuns } from '../../src/audit/replay';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { waitFor } from '../../src/net';
import { workflowIdFor } from '../../src/temporal/contract';
import { alertSignal, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { incidentWorkflowsPath } from '../../src/worker/incident-worker';

describe('auditing an incident', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const as = (role: keyof TestStack['keys']) => stack.keys[role];
  const post = (path: string, role: keyof TestStack['keys'], body: unknown) => stack.request('POST', path, { key: as(role), body });

  /** A SEV1 walked to closed, with one denied and one rejected request on the way. */
  async function closedIncident(): Promise<string> {
    const opened = await post('/v1/alerts', 'integration', {
      source: 'edr', sourceRef: uniqueKey('audit'), title: 'Ransomware note on fs-02', severity: 'critical', dedupKey: uniqueKey('audit'), assets: [{ kind: 'host', id: 'fs-02' }],
    });
    const id = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, 'integration', {})).status).toBe(403);
    expect((await post(`/v1/incidents/${id}/acknowledge`, 'responder', {})).status).toBe(200);
    await stack.request('PUT', `/v1/incidents/${id}/roles/commander`, { key: as('manager'), body: { person: 'dana' } });
    await post(`/v1/incidents/${id}/assessment`, 'manager', { severity: 'critical', category: 'ransomware', strategy: 'contain_first', externalAssistance: false });
    await waitFor('review', async () => {
      if ((await stack.request('GET', `/v1/incidents/${id}`, { key: as('auditor') })).body.phase !== 'review') throw new Error('not yet');
    }, 20_000, 100);
    expect((await post(`/v1/incidents/${id}/close`, 'manager', { resolution: 'resolved', summary: 'early' })).status).toBe(409);
    await post(`/v1/incidents/${id}/review`, 'manager', { lessons: 'Shares were writable by everyone', actionItems: [] });
    expect((await post(`/v1/incidents/${id}/close`, 'manager', { resolution: 'resolved', summary: 'restored' })).status).toBe(200);
    // A denial reaches the chain when its window closes (a second here, then the next flush), and
    // the walk above can take less than that.
    await waitFor('the denied request in the audit chain', async () => {
      const audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: as('auditor') });
      if (!audit.body.entries.some((e: { outcome: string }) => e.outcome === 'denied')) throw new Error('not yet');
    }, 10_000, 100);
    return id;
  }

  it('lists every decision with its actor in order, with rejected and denied requests and every evidence hand-over', async () => {
    const id = await closedIncident();
    const res = await stack.request('GET', `/v1/incidents/${id}/timeline`, { key: as('auditor') });
    expect(res.status).toBe(200);
    const items: Array<{ kind: string; action: string; actor?: string; outcome: string; source: string; at: string }> = res.body.items;
    const decisions = items.filter((i) => i.kind === 'decision').map((i) => `${i.action}:${i.actor}:${i.outcome}`);
    expect(decisions).toEqual([
      'POST /v1/incidents/:id/acknowledge:test-integration:denied',
      'acknowledge:test-responder:applied',
      'assignRole:test-manager:applied',
      'assess:test-manager:applied',
      'close:test-manager:rejected',
      'recordReview:test-manager:applied',
      'close:test-manager:applied',
    ]);
    expect(items.filter((i) => i.kind === 'phase').map((i) => i.action)).toEqual(['enter_detected', 'enter_triage', 'enter_response', 'enter_review', 'enter_closed']);
    expect(items.filter((i) => i.kind === 'custody')).toHaveLength(12); // six artifacts of a host, two hand-overs each
    expect(items.filter((i) => i.kind === 'stage').map((i) => i.action)).toEqual(expect.arrayContaining(['isolate_host', 'collectEvidence', 'verifyPatches', 'release_host']));
    expect(items.filter((i) => i.kind === 'notification')[0]).toMatchObject({ action: 'notify_on_call' });
    const times = items.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('verifies the audit chain and names the row a superuser altered, then the gap a deletion left', async () => {
    const id = await closedIncident();
    const clean = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: as('auditor') });
    expect(clean.body.verification).toEqual({ valid: true, entries: clean.body.entries.length, problems: [] });
    expect(clean.body.entries.map((e: { outcome: string }) => e.outcome)).toEqual(expect.arrayContaining(['applied', 'rejected', 'denied', 'recorded']));
    expect(clean.body.custody.every((c: { verification: { valid: boolean } }) => c.verification.valid)).toBe(true);

    // The application's own connection may not change or remove an entry, and the owner meets the trigger.
    await expect(stack.db.pool.query(`UPDATE audit_log SET actor = 'nobody' WHERE incident_id = $1 AND seq = 3`, [id])).rejects.toThrow('permission denied for table audit_log');
    await expect(stack.db.pool.query(`DELETE FROM audit_log WHERE incident_id = $1`, [id])).rejects.toThrow('permission denied for table audit_log');
    await expect(stack.db.pool.query(`TRUNCATE audit_log`)).rejects.toThrow('permission denied for table audit_log');
    await expect(stack.db.ownerPool.query(`UPDATE audit_log SET actor = 'nobody' WHERE incident_id = $1 AND seq = 3`, [id])).rejects.toThrow(/append-only/);
    await expect(stack.db.ownerPool.query(`DELETE FROM audit_log WHERE incident_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(stack.db.ownerPool.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);

    // A superuser can get round the trigger deliberately; the chain shows it.
    const superuser = new PgClient({ connectionString: stack.db.ownerUrl });
    await superuser.connect();
    try {
      await superuser.query(`SET session_replication_role = replica`);
      await superuser.query(`UPDATE audit_log SET actor = 'someone-else' WHERE incident_id = $1 AND seq = 3`, [id]);
      let audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: as('auditor') });
      expect(audit.body.verification).toMatchObject({ valid: false, brokenAt: 3, reason: 'entry 3 was altered after it was written' });

      await superuser.query(`DELETE FROM audit_log WHERE incident_id = $1 AND seq IN (3)`, [id]);
      audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: as('auditor') });
      expect(audit.body.verification).toMatchObject({ valid: false, brokenAt: 3, reason: 'entry 3 is missing' });

      await superuser.query(
        `UPDATE custody_entries SET to_custodian = 'laptop-of-bob' WHERE seq = 2 AND artifact_id = (SELECT min(artifact_id) FROM evidence_artifacts WHERE incident_id = $1)`,
        [id],
      );
      audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: as('auditor') });
      const broken = audit.body.custody.filter((c: { verification: { valid: boolean } }) => !c.verification.valid);
      expect(broken).toHaveLength(1);
      expect(broken[0].verification).toMatchObject({ brokenAt: 2, reason: 'entry 2 was altered after it was written' });
    } finally {
      await superuser.end();
    }
  });

  /**
   * The verdict of an HTTP replay. The first one bundles the workflow code in the worker, which on
   * a loaded machine takes longer than the API waits: it answers 202 and the Location gives the
   * verdict (that path has its own test in replay-over-http).
   */
  async function replayVerdict(id: string) {
    const first = await stack.request('POST', `/v1/incidents/${id}/replay`, { key: as('auditor'), body: {} });
    let answer = first;
    for (let i = 0; answer.status === 202 && i < 300; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      answer = await stack.request('GET', first.headers.get('location')!, { key: as('auditor') });
    }
    return answer;
  }

  it('exports the history of a running incident that continued as new, and every run replays against today’s code', async () => {
    const incidentId = uniqueKey('can').replace(/[^0-9a-f]/g, '').padEnd(16, 'a').slice(0, 16);
    const input: IncidentWorkflowInput = { incidentId, dedupKey: incidentId, title: 'Noisy scanner', source: 'ids', severity: 'low', policy: DEFAULT_POLICY, continueAsNewAfterEvents: 40 };
    const handle = await stack.temporal.workflow.start('incidentWorkflow', { workflowId: workflowIdFor(incidentId), taskQueue: stack.taskQueue, args: [input] });
    for (let i = 0; i < 60; i++) {
      await handle.signal(alertSignal, { alertId: `a${i}`, source: 'ids', sourceRef: `s${i}`, title: 't', severity: 'low', receivedAt: new Date().toISOString(), assets: [] });
    }
    await waitFor('all alerts counted', async () => {
      const state = await handle.query<{ alertCount: number }>('state');
      if (state.alertCount !== 60) throw new Error(`${state.alertCount}`);
    }, 20_000, 100);
    // Counting the alerts and continuing as new are separate tasks: on a busy machine the second can lag.
    await waitFor('a continued-as-new run', async () => {
      if ((await handle.describe()).runId === handle.firstExecutionRunId) throw new Error('still the first run');
    }, 20_000, 100);

    // Exported while it runs: its newest run may still hold only its start (pitfall 25), and replay answers all the same.
    const res = await stack.request('GET', `/v1/incidents/${incidentId}/history`, { key: as('auditor') });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('temporal');
    expect(res.body.runs.length).toBeGreaterThanOrEqual(2);
    const firstEvent = res.body.runs[0].history.events[0];
    expect(firstEvent.eventId).toBe('1');
    expect(JSON.stringify(firstEvent)).toContain('workflowExecutionStartedEventAttributes');

    const verdicts = await replayRuns(res.body.workflowId, res.body.runs, { workflowsPath: incidentWorkflowsPath() });
    expect(verdicts.map((v) => v.replayed)).toEqual(res.body.runs.map(() => true));

    const overHttp = await replayVerdict(incidentId);
    expect(overHttp.status).toBe(200);
    expect(overHttp.body.runs.length).toBeGreaterThanOrEqual(res.body.runs.length);
    expect(overHttp.body.runs.every((r: { replayed: boolean }) => r.replayed)).toBe(true);
    await handle.terminate('test finished');
  }, 150_000); // bundles the workflow code in the worker for the HTTP replay; slow on a loaded machine

  it('keeps answering timeline, history and replay from PostgreSQL after Temporal deleted the closed run', async () => {
    const id = await closedIncident();
    await waitFor('the archive', async () => {
      const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM incident_histories WHERE incident_id = $1', [id]);
      if (rows[0].n < 1) throw new Error('not archived yet');
    }, 30_000, 200);
    const before = await stack.request('GET', `/v1/incidents/${id}/history`, { key: as('auditor') });
    for (const run of before.body.runs) {
      await stack.temporal.connection.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: workflowIdFor(id), runId: run.runId } });
    }
    await waitFor('Temporal to forget the run', async () => {
      const gone = await stack.temporal.workflow.getHandle(workflowIdFor(id)).describe().then((d) => d.status.name, (e: Error) => `gone: ${e.message}`);
      if (!gone.startsWith('gone')) throw new Error(`still there: ${gone}`);
    }, 90_000, 500); // the dev server deletes in the background, in 10-30 s here

    const history = await stack.request('GET', `/v1/incidents/${id}/history`, { key: as('auditor') });
    expect(history.body.source).toBe('archive');
    expect(history.body.runs).toEqual(before.body.runs);
    const timeline = await stack.request('GET', `/v1/incidents/${id}/timeline`, { key: as('auditor') });
    expect(timeline.body.source).toBe('archive');
    expect(timeline.body.items.filter((i: { kind: string }) => i.kind === 'decision').length).toBeGreaterThanOrEqual(6);
    const replay = await replayVerdict(id);
    expect(replay.body).toMatchObject({ source: 'archive', runs: [{ replayed: true }] });
    expect((await stack.request('GET', `/v1/incidents/${id}`, { key: as('auditor') })).body.phase).toBe('closed');
  }, 150_000);
});
