import type { AuditEntryInput } from '../../src/domain/audit-chain';
import { LIFECYCLE_EVENT_TYPES as T, lifecycleEventId, lifecycleEventsOf } from '../../src/domain/lifecycle-events';

const at = '2026-11-25T10:00:00.000Z';
const system = (entryKey: string, action: string, details: Record<string, unknown>): AuditEntryInput => ({ entryKey, at, actor: 'firebreak', actorRole: 'system', action, outcome: 'recorded', details });
const decided = (updateId: string, action: string, decision: Record<string, unknown>, outcome = 'applied'): AuditEntryInput => ({
  entryKey: outcome === 'applied' ? `decision:${updateId}` : `${outcome}:${updateId}`,
  at,
  actor: 'dana',
  actorRole: 'manager',
  action,
  outcome,
  details: { keyId: 'k1', decision },
});
const phase = (p: string) => system(`phase:${p}`, 'enter_phase', { phase: p, severity: 'SEV1' });

describe('lifecycle events from audit entries', () => {
  it('turns an opened incident into one opened event, not a phase change to detected', () => {
    const events = lifecycleEventsOf('inc-1', [system('opened', 'open', { title: 'Credential dumping', source: 'edr', severity: 'SEV1', dedupKey: 'web-01' }), phase('detected')]);
    expect(events).toEqual([
      { id: lifecycleEventId('inc-1', 'opened'), type: T.opened, incidentId: 'inc-1', time: at, entryKey: 'opened', data: { title: 'Credential dumping', source: 'edr', severity: 'SEV1', dedupKey: 'web-01', phase: 'detected' } },
    ]);
  });

  it('gives an acknowledgement and the phase change it causes, in the order they were audited', () => {
    const events = lifecycleEventsOf('inc-1', [decided('u1', 'acknowledge', {}), phase('triage')]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [T.acknowledged, { by: { name: 'dana', role: 'manager' } }],
      [T.phaseChanged, { phase: 'triage', severity: 'SEV1' }],
    ]);
  });

  it('counts escalations but not the first page or an approval request, and names who escalated by hand', () => {
    const page = (key: string, action: string, details: Record<string, unknown>, actor?: string) => ({ ...system(key, action, details), ...(actor ? { actor, actorRole: 'responder' } : {}) });
    const events = lifecycleEventsOf('inc-1', [
      page('page:0:acknowledge', 'notify', { level: 0, target: 'on_call', targets: ['on_call'], cause: 'acknowledge', reason: 'incident opened' }),
      page('page:1:acknowledge:2', 'escalate', { level: 1, target: 'ir_manager', targets: ['ir_manager'], cause: 'acknowledge', reason: 'missed', page: 2, loop: 0 }),
      page('page:3:manual:3', 'escalate', { level: 3, target: 'external_assistance', cause: 'manual', reason: 'customer data', page: 3 }, 'sam'),
      decided('u2', 'escalate', { reason: 'customer data' }),
    ]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [T.escalated, { level: 1, targets: ['ir_manager'], cause: 'acknowledge', reason: 'missed', page: 2, loop: 0 }],
      [T.escalated, { level: 3, targets: ['external_assistance'], cause: 'manual', reason: 'customer data', page: 3, by: { name: 'sam', role: 'responder' } }],
    ]);
  });

  it('gives one event per containment action, each with its own id', () => {
    const outcomes = [
      { asset: { kind: 'host', id: 'web-01' }, action: 'isolate_host', status: 'done' },
      { asset: { kind: 'account', id: 'svc' }, action: 'disable_account', status: 'not_approved' },
    ];
    const events = lifecycleEventsOf('inc-1', [system('stage:containment', 'containment', { outcomes })]);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [T.containmentAction, outcomes[0]],
      [T.containmentAction, outcomes[1]],
    ]);
    expect(events.map((e) => e.id)).toEqual([lifecycleEventId('inc-1', 'stage:containment', 0), lifecycleEventId('inc-1', 'stage:containment', 1)]);
  });

  it('gives the containment actions of a playbook’s contain step too, under the step’s entry', () => {
    const outcomes = [{ asset: { kind: 'host', id: 'web-01' }, action: 'isolate_host', status: 'done' }];
    const events = lifecycleEventsOf('inc-1', [system('stage:containment:contain', 'containment', { stepId: 'contain', outcomes })]);
    expect(events.map((e) => [e.type, e.data, e.id])).toEqual([[T.containmentAction, outcomes[0], lifecycleEventId('inc-1', 'stage:containment:contain', 0)]]);
  });

  it('reports a recorded filing with its regime, stage and reference', () => {
    const [event] = lifecycleEventsOf('inc-1', [decided('u3', 'recordFiling', { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-1', filedAt: at, lateReason: 'processor late' })]);
    expect(event).toMatchObject({ type: T.filingRecorded, data: { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-1', filedAt: at, lateReason: 'processor late', by: { name: 'dana', role: 'manager' } } });
  });

  it('closes with the closing decision’s resolution, and dismisses with the assessment’s reason', () => {
    const closed = lifecycleEventsOf('inc-1', [decided('u4', 'close', { resolution: 'resolved', summary: 'host rebuilt' }), phase('closed')]);
    expect(closed.map((e) => [e.type, e.data])).toEqual([[T.closed, { phase: 'closed', severity: 'SEV1', resolution: 'resolved', summary: 'host rebuilt', by: { name: 'dana', role: 'manager' } }]]);
    const dismissed = lifecycleEventsOf('inc-2', [decided('u5', 'assess', { severity: 'low', dismiss: { reason: 'scanner test' } }), phase('dismissed')]);
    expect(dismissed.map((e) => [e.type, e.data])).toEqual([[T.dismissed, { phase: 'dismissed', severity: 'SEV1', reason: 'scanner test', by: { name: 'dana', role: 'manager' } }]]);
  });

  it('makes no event of notes, reminders, breaches, other decisions or refused requests', () => {
    const events = lifecycleEventsOf('inc-1', [
      decided('u6', 'addNote', { text: 'x' }),
      decided('u7', 'acknowledge', {}, 'rejected'),
      decided('u8', 'acknowledge', {}, 'denied'),
      system('reminder:1', 'review_reminder', {}),
      system('sla-breach:acknowledge:detected', 'sla_breach', {}),
      system('stage:forensics', 'forensics', { artifacts: 3 }),
    ]);
    expect(events).toEqual([]);
  });

  it('derives ids from the incident, the entry and the position only, so a redelivery keeps its id', () => {
    const id = lifecycleEventId('inc-1', 'phase:triage');
    expect(lifecycleEventId('inc-1', 'phase:triage')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([id, lifecycleEventId('inc-2', 'phase:triage'), lifecycleEventId('inc-1', 'phase:review'), lifecycleEventId('inc-1', 'phase:triage', 1)]).size).toBe(4);
  });
});
