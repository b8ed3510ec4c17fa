import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** Whole incidents driven through the HTTP API, against the dev server, a worker and PostgreSQL. */
describe('the lifecycle over HTTP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, key: string, body: unknown) => stack.request('POST', path, { key, body });
  const get = (id: string) => stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor });

  async function open(severity: string, assets: { kind: string; id: string }[]): Promise<string> {
    const res = await post('/v1/alerts', stack.keys.integration, {
      source: 'edr',
      sourceRef: uniqueKey('evt'),
      title: 'Ransomware staging on file server',
      severity,
      dedupKey: uniqueKey('walk'),
      assets,
    });
    expect(res.status).toBe(202);
    return res.body.incidentId;
  }

  async function untilPhase(id: string, phase: string) {
    return waitFor(`phase ${phase}`, async () => {
      const state = (await get(id)).body;
      if (state.phase !== phase) throw new Error(`still ${state.phase}`);
      return state;
    }, 20_000, 100);
  }

  const host = { kind: 'host', id: `fs-${uniqueKey('h')}` };
  const account = { kind: 'account', id: `svc-${uniqueKey('a')}` };

  it('walks a SEV1 from alert to closed with contain_first, recording custody, patches and the read model', async () => {
    const id = await open('critical', [host, account]);
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.responder, {})).status).toBe(200);
    const commander = await stack.request('PUT', `/v1/incidents/${id}/roles/commander`, { key: stack.keys.manager, body: { person: 'dana' } });
    expect(commander.body.roles.commander).toMatchObject({ person: 'dana', by: { name: 'test-manager' } });
    expect((await post(`/v1/incidents/${id}/notes`, stack.keys.responder, { text: 'encryptor seen in memory' })).body.noteCount).toBe(1);

    const assessed = await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, {
      severity: 'critical',
      category: 'ransomware',
      strategy: 'contain_first',
      externalAssistance: false,
    });
    expect(assessed.status).toBe(200);
    expect(assessed.body.phase).toBe('response');

    const inReview = await untilPhase(id, 'review');
    expect(inReview.response.completed).toEqual(['containment', 'forensics', 'eradication', 'recovery']);
    // SEV1 pre-approves destructive containment: both actions ran, then were undone at recovery.
    const actions = await stack.db.pool.query(
      `SELECT action->>'action' AS action FROM dry_run_actions WHERE incident_id = $1 AND adapter = 'containment' ORDER BY recorded_at, idempotency_key`,
      [id],
    );
    expect(actions.rows.map((r) => r.action).sort()).toEqual(['disable_account', 'enable_account', 'isolate_host', 'release_host']);

    // Evidence in order of volatility, each artifact with its hash and two custody hand-overs.
    const artifacts = await stack.db.pool.query(
      `SELECT asset_kind, artifact_type, volatility_rank, sha256, size_bytes, collected_by,
              (SELECT array_agg(action || ':' || from_custodian || '>' || to_custodian ORDER BY seq) FROM custody_entries c WHERE c.artifact_id = a.artifact_id) AS custody
         FROM evidence_artifacts a WHERE incident_id = $1 ORDER BY asset_kind, volatility_rank`,
      [id],
    );
    expect(artifacts.rows.filter((r) => r.asset_kind === 'host').map((r) => r.artifact_type)).toEqual([
      'memory', 'network_connections', 'process_list', 'temporary_files', 'disk_image', 'system_logs',
    ]);
    expect(artifacts.rows).toHaveLength(9);
    for (const row of artifacts.rows) {
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(row.size_bytes)).toBeGreaterThan(0);
      expect(row.custody).toEqual([`collected:${row.asset_kind}:${row.asset_kind === 'host' ? host.id : account.id}>firebreak-forensics`, 'transferred:firebreak-forensics>evidence-store']);
    }
    const patches = await stack.db.pool.query('SELECT asset_id, patched FROM patch_checks WHERE incident_id = $1 ORDER BY asset_id', [id]);
    expect(patches.rows).toEqual([{ asset_id: account.id, patched: true }, { asset_id: host.id, patched: true }].sort((a, b) => a.asset_id.localeCompare(b.asset_id)));

    // A SEV1 cannot close without its review.
    const early = await post(`/v1/incidents/${id}/close`, stack.keys.manager, { resolution: 'resolved', summary: 'restored from backup' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toMatch(/SEV1 incident needs a recorded post-incident review/);

    // A due date in year 0000 is a slip, refused by name; one sent with an offset is kept in UTC.
    const slip = await post(`/v1/incidents/${id}/review`, stack.keys.manager, {
      lessons: 'Backups were reachable from the domain',
      actionItems: [{ title: 'Isolate the backup network', owner: 'infra', dueAt: '0000-01-15T00:00:00Z' }],
    });
    expect(slip.status).toBe(400);
    expect(slip.body.errors[0]).toMatchObject({ field: 'actionItems.0.dueAt', message: expect.stringMatching(/1970 and 9999/) });
    const review = await post(`/v1/incidents/${id}/review`, stack.keys.manager, {
      lessons: 'Backups were reachable from the domain',
      actionItems: [{ title: 'Isolate the backup network', owner: 'infra', dueAt: '2027-01-15T09:00:00+09:00' }],
    });
    expect(review.status).toBe(200);
    expect(review.body.review.actionItems).toEqual([{ title: 'Isolate the backup network', owner: 'infra', dueAt: '2027-01-15T00:00:00.000Z' }]);
    const closed = await post(`/v1/incidents/${id}/close`, stack.keys.manager, { resolution: 'resolved', summary: 'restored from backup' });
    expect(closed.status).toBe(200);
    expect(closed.body.phase).toBe('closed');

    const entered = closed.body.phaseEnteredAt;
    expect(Object.keys(entered)).toEqual(['detected', 'triage', 'response', 'review', 'closed']);
    const times = Object.values(entered as Record<string, string>).map(Date.parse);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const row = await waitFor('the closed read-model row', async () => {
      const { rows } = await stack.db.pool.query('SELECT * FROM incidents WHERE incident_id = $1', [id]);
      if (rows[0]?.phase !== 'closed') throw new Error(`read model says ${rows[0]?.phase}`);
      return rows[0];
    }, 10_000, 100);
    expect(row).toMatchObject({ commander: 'dana', category: 'ransomware', strategy: 'contain_first', severity: 'critical', escalation_level: 0 });
    for (const column of ['acknowledged_at', 'assessed_at', 'contained_at', 'resolved_at', 'closed_at']) expect(row[column]).toBeInstanceOf(Date);
    expect(row.acknowledged_at <= row.contained_at && row.contained_at <= row.resolved_at && row.resolved_at <= row.closed_at).toBe(true);

    // A closed incident takes no more decisions.
    expect((await post(`/v1/incidents/${id}/notes`, stack.keys.manager, { text: 'late' })).status).toBe(409);
    expect((await get(id)).body.phase).toBe('closed');
  });

  it('walks a SEV2 with evidence_first to closed: evidence before the approval wait, one approval only', async () => {
    const id = await open('high', [host]);
    // Approving containment before the assessment does not fit the phase.
    const premature = await post(`/v1/incidents/${id}/containment/approval`, stack.keys.manager, { approved: true });
    expect(premature.status).toBe(409);
    expect(premature.body.detail).toMatch(/phase detected; a containment approval needs phase response/);

    await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {});
    await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'high', category: 'intrusion', strategy: 'evidence_first', externalAssistance: true });
    const waiting = await waitFor('the approval wait', async () => {
      const state = (await get(id)).body;
      if (!state.response?.awaitingApproval) throw new Error('not waiting yet');
      return state;
    }, 20_000, 100);
    expect(waiting.response.completed).toEqual(['forensics']);
    expect(waiting.response.artifactsCollected).toBe(6);
    expect(waiting.nextDeadline.kind).toBe('approveContainment');

    // One approval only: a later refusal is turned away. (Simultaneous opposite decisions, where
    // either may win, are a fault scenario of their own.)
    const approval = await post(`/v1/incidents/${id}/containment/approval`, stack.keys.manager, { approved: true });
    expect(approval.status).toBe(200);
    const refusal = await post(`/v1/incidents/${id}/containment/approval`, stack.keys.manager, { approved: false, reason: 'production host' });
    expect(refusal.status).toBe(409);
    expect(refusal.body.detail).toMatch(/already/i);

    const inReview = await untilPhase(id, 'review');
    expect(inReview.response.completed).toEqual(['forensics', 'containment', 'eradication', 'recovery']);
    expect(inReview.assessment).toMatchObject({ strategy: 'evidence_first', externalAssistance: true });

    // Evidence was collected before containment ran: every artifact predates the first action.
    const order = await stack.db.pool.query(
      `SELECT (SELECT max(collected_at) FROM evidence_artifacts WHERE incident_id = $1) AS last_evidence,
              (SELECT min(recorded_at) FROM dry_run_actions WHERE incident_id = $1 AND adapter = 'containment') AS first_action,
              (SELECT count(*)::int FROM custody_entries c JOIN evidence_artifacts a USING (artifact_id) WHERE a.incident_id = $1) AS custody`,
      [id],
    );
    expect(order.rows[0].first_action).toBeInstanceOf(Date);
    expect(order.rows[0].last_evidence < order.rows[0].first_action).toBe(true);
    expect(order.rows[0].custody).toBe(12); // six host artifacts, two hand-overs each
    expect(inReview.response.patchResults).toEqual([expect.objectContaining({ asset: host, patched: true })]);

    await post(`/v1/incidents/${id}/review`, stack.keys.manager, { lessons: 'VPN logs were kept too briefly', actionItems: [] });
    const closed = await post(`/v1/incidents/${id}/close`, stack.keys.manager, { resolution: 'resolved', summary: 'attacker evicted' });
    expect(closed.status).toBe(200);
    expect(Object.keys(closed.body.phaseEnteredAt)).toEqual(['detected', 'triage', 'response', 'review', 'closed']);
    const row = await waitFor('the closed read-model row', async () => {
      const { rows } = await stack.db.pool.query('SELECT phase, strategy, contained_at, resolved_at FROM incidents WHERE incident_id = $1', [id]);
      if (rows[0]?.phase !== 'closed') throw new Error(`read model says ${rows[0]?.phase}`);
      return rows[0];
    }, 10_000, 100);
    expect(row.strategy).toBe('evidence_first');
    expect(row.contained_at <= row.resolved_at).toBe(true);
  });

  it('dismisses a false positive at triage', async () => {
    const id = await open('medium', []);
    await post(`/v1/incidents/${id}/acknowledge`, stack.keys.responder, {});
    const dismissed = await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, {
      severity: 'low',
      category: 'benign',
      strategy: 'contain_first',
      externalAssistance: false,
      dismiss: { reason: 'scheduled vulnerability scan' },
    });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ phase: 'dismissed', dismissal: { reason: 'scheduled vulnerability scan' } });
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.responder, {})).status).toBe(409);
  });

  it('escalates by hand up to the top of the chain, then answers 409', async () => {
    const id = await open('low', []);
    const targets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(`/v1/incidents/${id}/escalations`, stack.keys.responder, { reason: `customer data suspected (${i})` });
      expect(res.status).toBe(200);
      targets.push(res.body.escalations.at(-1).target);
    }
    expect(targets).toEqual(['ir_manager', 'ciso', 'external_assistance']);
    const top = await post(`/v1/incidents/${id}/escalations`, stack.keys.manager, { reason: 'again' });
    expect(top.status).toBe(409);
    // The opening page and each escalation went out once (the opening page may race the first
    // escalation); each escalation is a numbered page, so a later repeat is not taken for a redelivery.
    const notices = await stack.db.pool.query(`SELECT idempotency_key AS k FROM dry_run_actions WHERE incident_id = $1 AND adapter = 'notifier'`, [id]);
    expect(notices.rows.map((x) => x.k).sort()).toEqual([
      `escalation:${id}:0:acknowledge`,
      `escalation:${id}:1:manual:1`,
      `escalation:${id}:2:manual:2`,
      `escalation:${id}:3:manual:3`,
    ]);
  });

  it('rejects decisions that do not fit: assessment before acknowledgement, review before the review phase, unknown role', async () => {
    const id = await open('high', []);
    const assess = await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'high', category: 'x', strategy: 'contain_first', externalAssistance: false });
    expect(assess.status).toBe(409);
    const review = await post(`/v1/incidents/${id}/review`, stack.keys.manager, { lessons: 'x', actionItems: [] });
    expect(review.status).toBe(409);
    const role = await stack.request('PUT', `/v1/incidents/${id}/roles/overlord`, { key: stack.keys.manager, body: { person: 'x' } });
    expect(role.status).toBe(404);
    const badStrategy = await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'high', category: 'x', strategy: 'pray', externalAssistance: 'no' });
    expect(badStrategy.status).toBe(400);
    expect(badStrategy.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['externalAssistance', 'strategy']);
    // None of it changed the incident.
    expect((await get(id)).body).toMatchObject({ phase: 'detected', escalationLevel: 0 });
  });
});
