/**
 * Records the replay fixtures: drives incidents through every path on the time-skipping server
 * and saves each run's history under test/fixtures/histories as `<version>-<path>[.runN].json`.
 * Run with `npm run record-histories` after a workflow change that needs new fixtures; keep the
 * old ones (they prove the change replays, or that it was versioned with `patched()`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runChain } from '../../src/audit/history-source';
import type { Asset } from '../../src/domain/asset';
import type { Assessment } from '../../src/domain/decisions';
import { hours, minutes, seconds } from '../../src/domain/duration';
import { openFollowUps, type FollowUpState } from '../../src/domain/follow-up';
import type { IncidentState } from '../../src/domain/incident';
import { pinPlaybook } from '../support/playbooks';
import type { Principal } from '../../src/domain/principal';
import { ApplicationFailure } from '@temporalio/common';
import { chainFor, DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import type { Severity } from '../../src/domain/severity';
import { followUpWorkflowIdFor, workflowIdFor } from '../../src/temporal/contract';
import {
  acknowledgeUpdate,
  addObservableUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  closeUpdate,
  commentFollowUpUpdate,
  completeFollowUpUpdate,
  reassignFollowUpUpdate,
  skipFollowUpUpdate,
  declareRegimeUpdate,
  assignRoleUpdate,
  escalateUpdate,
  addTaskUpdate,
  applyPlaybookUpdate,
  commentTaskUpdate,
  completeTaskUpdate,
  reassignTaskUpdate,
  skipTaskUpdate,
  recordFilingUpdate,
  recordReviewUpdate,
  relatedIncidentSignal,
  stateQuery,
  type IncidentWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTestWorker, createTimeSkippingEnv, RecordingActivities, startWithDecisionInFirstTask, withIncident } from '../support/time-skipping';

export const FIXTURE_VERSION = '0.6.0';
export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const host: Asset = { kind: 'host', id: 'web-01' };

const input = (name: string, severity: Severity, extra: Partial<IncidentWorkflowInput> = {}): IncidentWorkflowInput => ({
  incidentId: `fixture-${name}`,
  dedupKey: `fixture-${name}`,
  title: `Fixture: ${name}`,
  source: 'edr',
  severity,
  policy: DEFAULT_POLICY,
  ...extra,
});

async function record(name: string, workflowInput: IncidentWorkflowInput, drive: (env: TestWorkflowEnvironment, handle: WorkflowHandle, activities: RecordingActivities) => Promise<void>, activities = new RecordingActivities()): Promise<void> {
  const env = await createTimeSkippingEnv();
  try {
    await withIncident(
      env,
      workflowInput,
      async (handle) => {
        await drive(env, handle, activities);
        await writeRuns(env, name, workflowIdFor(workflowInput.incidentId));
      },
      activities,
    );
  } finally {
    await env.teardown();
  }
}

/** Writes every run of a workflow as fixtures named `<version>-<name>[.run<n>].json`. */
async function writeRuns(env: TestWorkflowEnvironment, name: string, workflowId: string): Promise<void> {
  const runs = await runChain(env.client, workflowId);
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const [i, run] of runs.entries()) {
    const suffix = runs.length > 1 ? `.run${i + 1}` : '';
    // Stack traces name the recording machine's folders and mean nothing to a replay.
    const scrubbed = JSON.stringify(run.history, (key, value) => (key === 'stackTrace' ? '' : value), 1);
    writeFileSync(path.join(FIXTURE_DIR, `${FIXTURE_VERSION}-${name}${suffix}.json`), scrubbed + '\n');
  }
}

/** A workflow whose first task carries a decision besides its start. */
async function recordDecidedInFirstTask(
  name: string,
  start: Parameters<typeof startWithDecisionInFirstTask>[2],
  first: Parameters<typeof startWithDecisionInFirstTask>[3],
  drive: (env: TestWorkflowEnvironment, handle: WorkflowHandle) => Promise<void>,
): Promise<void> {
  const env = await createTimeSkippingEnv();
  try {
    const worker = await createTestWorker(env, new RecordingActivities());
    const { handle, answered } = await startWithDecisionInFirstTask(env, worker.options.taskQueue, start, first);
    await worker.runUntil(async () => {
      await answered;
      await drive(env, handle);
      await writeRuns(env, name, handle.workflowId);
    });
  } finally {
    await env.teardown();
  }
}

/** A closed incident's follow-up workflow, run on its own (a child stops the test server skipping time). */
async function recordFollowUps(name: string, initial: FollowUpState, drive: (env: TestWorkflowEnvironment, handle: WorkflowHandle, activities: RecordingActivities) => Promise<void>): Promise<void> {
  const env = await createTimeSkippingEnv();
  try {
    const activities = new RecordingActivities();
    const worker = await createTestWorker(env, activities);
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('followUpWorkflow', { workflowId: followUpWorkflowIdFor(initial.incidentId), taskQueue: worker.options.taskQueue, args: [{ initial }] });
      await drive(env, handle, activities);
      await handle.result();
      await writeRuns(env, name, handle.workflowId);
    });
  } finally {
    await env.teardown();
  }
}

async function alert(handle: WorkflowHandle, severity: Severity, assets: Asset[], i = 0): Promise<void> {
  await handle.signal(alertSignal, { alertId: `a${i}`, source: 'edr', sourceRef: `r${i}`, title: 't', severity, receivedAt: new Date().toISOString(), assets });
}

async function triage(handle: WorkflowHandle, assessment: Pick<Assessment, 'severity' | 'strategy'> & Partial<Assessment>): Promise<void> {
  await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
  await handle.executeUpdate(assessUpdate, { args: [{ principal: maria, decision: { category: 'malware', externalAssistance: false, ...assessment } }] });
}

async function until(env: TestWorkflowEnvironment, handle: WorkflowHandle, done: (s: IncidentState) => boolean, step = seconds(1)): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (done(await handle.query(stateQuery))) return;
    await env.sleep(step);
  }
  throw new Error('the incident never got there');
}

const omar: Principal = { keyId: 'k-omar', name: 'omar', role: 'manager' };
const taskStep = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'task', title: `Do ${id}`, instructions: 'Do it.', owner: { role: 'responder' }, due: '4h', ...extra });
const complete = (handle: WorkflowHandle, taskId: string, by: Principal, extra: Record<string, unknown> = {}) =>
  handle.executeUpdate(completeTaskUpdate, { args: [{ principal: by, decision: { taskId, ...extra } }] });

async function reviewAndClose(handle: WorkflowHandle): Promise<void> {
  await handle.executeUpdate(recordReviewUpdate, { args: [{ principal: maria, decision: { lessons: 'fixture', actionItems: [] } }] });
  await handle.executeUpdate(closeUpdate, { args: [{ principal: maria, decision: { resolution: 'resolved', summary: 'fixture' } }] });
  await handle.result();
}

describe('record replay fixtures', () => {
  it('contain_first, SEV1, to closed', () =>
    record('contain-first-closed', input('contain-first-closed', 'critical'), async (env, handle) => {
      await alert(handle, 'critical', [host]);
      await triage(handle, { severity: 'critical', strategy: 'contain_first' });
      await until(env, handle, (s) => s.phase === 'review');
      await reviewAndClose(handle);
    }));

  it('evidence_first, SEV2 with approval, to closed', () =>
    record('evidence-first-closed', input('evidence-first-closed', 'high'), async (env, handle) => {
      await alert(handle, 'high', [host, { kind: 'account', id: 'svc-backup' }]);
      await triage(handle, { severity: 'high', strategy: 'evidence_first' });
      await until(env, handle, (s) => s.response?.awaitingApproval === true);
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] });
      await until(env, handle, (s) => s.phase === 'review');
      await reviewAndClose(handle);
    }));

  it('dismissed as a false positive', () =>
    record('dismissed', input('dismissed', 'medium'), async (_env, handle) => {
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await handle.executeUpdate(assessUpdate, {
        args: [{ principal: maria, decision: { severity: 'low', category: 'benign', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'pen test' } } }],
      });
      await handle.result();
    }));

  it('acknowledged in the first workflow task, beside the start, then dismissed', () => {
    const opening = input('acknowledged-in-first-task', 'medium');
    return recordDecidedInFirstTask(
      'acknowledged-in-first-task',
      { workflowType: 'incidentWorkflow', workflowId: workflowIdFor(opening.incidentId), args: [opening] },
      { update: acknowledgeUpdate, updateId: 'fixture-ack-1', decided: { principal: alice, decision: {} } },
      async (_env, handle) => {
        await handle.executeUpdate(assessUpdate, {
          args: [{ principal: maria, decision: { severity: 'low', category: 'benign', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'pen test' } } }],
        });
        await handle.result();
      },
    );
  });

  it('a regime declared in the first workflow task, beside the start, then acknowledged and dismissed', () => {
    const opening = input('regime-declared-in-first-task', 'medium');
    const startedAt = new Date().toISOString();
    return recordDecidedInFirstTask(
      'regime-declared-in-first-task',
      { workflowType: 'incidentWorkflow', workflowId: workflowIdFor(opening.incidentId), args: [opening] },
      {
        update: declareRegimeUpdate,
        updateId: 'fixture-regime-1',
        decided: { principal: maria, decision: { regime: 'gdpr_art33', startedAt, clocks: clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(startedAt), []) } },
      },
      async (_env, handle) => {
        await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
        await handle.executeUpdate(assessUpdate, {
          args: [{ principal: maria, decision: { severity: 'low', category: 'benign', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'pen test' } } }],
        });
        await handle.result();
      },
    );
  });

  it('unacknowledged SEV1 escalated to every level, then a manual escalation refused at the top', () =>
    record('escalated-to-top', input('escalated-to-top', 'critical'), async (env, handle) => {
      await env.sleep(minutes(50));
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await handle.executeUpdate(escalateUpdate, { args: [{ principal: maria, decision: { reason: 'again' } }] }).catch(() => undefined);
    }));

  it('approval refused after its deadline escalated', () =>
    record('approval-refused', input('approval-refused', 'high'), async (env, handle) => {
      await alert(handle, 'high', [host, { kind: 'address', id: '198.51.100.7' }]);
      await triage(handle, { severity: 'high', strategy: 'contain_first' });
      await env.sleep(hours(1) + minutes(1));
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: false, reason: 'production' } }] });
      await until(env, handle, (s) => s.phase === 'review');
    }));

  it('patch verification escalated before the scanner reported patched', () => {
    const activities = new RecordingActivities();
    activities.patchedAfter = 3;
    return record(
      'patch-verification-escalated',
      input('patch-verification-escalated', 'critical'),
      async (env, handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        await until(env, handle, (s) => s.phase === 'review', minutes(30));
      },
      activities,
    );
  });

  it('a stage refused by its adapter, escalated and retried', () => {
    const activities = new RecordingActivities();
    let calls = 0;
    activities.contain = async (r) => {
      calls += 1;
      if (calls === 1) {
        const { ApplicationFailure } = await import('@temporalio/common');
        throw ApplicationFailure.nonRetryable('refused with 403', 'WebhookRefused');
      }
      activities.actions.push(r);
    };
    return record(
      'stage-failed-retried',
      input('stage-failed-retried', 'critical'),
      async (env, handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        await until(env, handle, (s) => s.phase === 'review', minutes(1));
      },
      activities,
    );
  });

  it('regulatory clocks: a reminder, a missed GDPR deadline, a late filing with reasons', () =>
    record('regulatory-clocks', input('regulatory-clocks', 'high'), async (env, handle) => {
      const { openedAt } = await handle.query(stateQuery);
      const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'gdpr_art33', startedAt: openedAt, clocks } }] });
      await env.sleep(hours(73));
      await handle.executeUpdate(recordFilingUpdate, {
        args: [{ principal: maria, decision: { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-1', filedAt: new Date(Date.parse(clocks[0]!.dueAt!) + minutes(30)).toISOString(), lateReason: 'fixture' } }],
      });
    }));

  it('past the top of the chain: repeated pages for a missed acknowledgement, then for a missed assessment with the commander', () =>
    record('top-repeated', input('top-repeated', 'critical'), async (env, handle) => {
      await env.sleep(minutes(70));
      await handle.executeUpdate(assignRoleUpdate, { args: [{ principal: maria, decision: { role: 'commander', person: 'carol' } }] });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await env.sleep(hours(1) + minutes(20));
      await handle.executeUpdate(assessUpdate, { args: [{ principal: maria, decision: { severity: 'critical', category: 'malware', strategy: 'contain_first', externalAssistance: true } }] });
      await until(env, handle, (s) => s.phase === 'review');
    }));

  it('a configured chain: two targets on a level, a second pass, then the top on repeat', () =>
    record('configured-chain', input('configured-chain', 'high', { policy: { ...DEFAULT_POLICY, high: { ...DEFAULT_POLICY.high, escalation: { levels: [['on_call'], ['ir_manager', 'ciso']], loops: 1 } } } }), async (env, handle) => {
      await env.sleep(hours(2) + minutes(10));
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
    }));

  it('a containment stuck past its SLA: the timer breaches and pages while the stage runs', () => {
    const activities = new RecordingActivities();
    let stuck = true;
    activities.contain = async (r) => {
      if (stuck) {
        const { ApplicationFailure } = await import('@temporalio/common');
        throw ApplicationFailure.retryable('EDR did not answer in time');
      }
      activities.actions.push(r);
    };
    return record(
      'stage-sla-breached',
      input('stage-sla-breached', 'critical', { policy: { ...DEFAULT_POLICY, critical: { ...DEFAULT_POLICY.critical, deadlines: { ...DEFAULT_POLICY.critical.deadlines, contain: minutes(20) } } } }),
      async (env, handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        await until(env, handle, (s) => s.slaBreaches.some((b) => b.deadline === 'contain'), minutes(1));
        stuck = false;
        await until(env, handle, (s) => s.phase === 'review', minutes(1));
      },
      activities,
    );
  });

  it('regulatory corrections: NIS2 final report re-based on the notification filing, HIPAA settled by its counts, GDPR Art. 34 tracked', () =>
    record('regulatory-corrections', input('regulatory-corrections', 'high', { policy: { ...DEFAULT_POLICY, high: { ...DEFAULT_POLICY.high, deadlines: { ...DEFAULT_POLICY.high.deadlines, acknowledge: hours(24 * 365) } } } }), async (env, handle) => {
      const { openedAt } = await handle.query(stateQuery);
      const declare = (regime: string, extra: object = {}) =>
        handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime, startedAt: openedAt, clocks: clocksFor(regime, DEFAULT_REGIMES[regime]!, new Date(openedAt), []), ...extra } }] });
      await declare('nis2_art23');
      await declare('hipaa_breach', { affected: { total: 1200, maxInOneState: 700 } });
      await declare('gdpr_art34');
      await env.sleep(hours(10));
      const filedAt = new Date(await env.currentTimeMs()).toISOString();
      for (const stage of ['early_warning', 'notification']) {
        await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', stage, reference: `CSIRT-${stage}`, filedAt } }] });
      }
      await env.sleep(hours(24 * 61));
      await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime: 'gdpr_art34', stage: 'data_subjects', reference: 'letters', filedAt } }] });
    }));

  it('observables: brought by alerts, added by an analyst, and a correlation with another incident', () =>
    record('observables-correlated', input('observables-correlated', 'high'), async (env, handle) => {
      const { openedAt } = await handle.query(stateQuery);
      const observables = [{ kind: 'domain' as const, value: 'c2.example', tlp: 'amber' as const }];
      await handle.signal(alertSignal, { alertId: 'a1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'high', receivedAt: openedAt, assets: [], observables, labels: { alertname: 'Beacon' } });
      await handle.signal(relatedIncidentSignal, { incidentId: 'fixture-other', alertId: 'a1', shared: [{ kind: 'domain', value: 'c2.example' }], at: openedAt });
      await until(env, handle, (s) => (s.relatedIncidents ?? []).length === 1);
      await handle.executeUpdate(addObservableUpdate, { args: [{ principal: alice, decision: { kind: 'ipv4', value: '192.0.2.7', tlp: 'red' } }] });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
    }));

  it('an alert storm that continued as new', () =>
    record('continued-as-new', input('continued-as-new', 'low', { continueAsNewAfterEvents: 40 }), async (env, handle) => {
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      for (let i = 1; i <= 80; i++) await alert(handle, 'low', [], i);
      await until(env, handle, (s) => s.alertCount === 80);
      // A decision in the last run, so it holds commands of its own.
      await handle.executeUpdate(escalateUpdate, { args: [{ principal: maria, decision: { reason: 'storm keeps growing' } }] });
      await env.sleep(seconds(1));
    }));

  // 0.4.0: an alert delivered twice (an intake retry) is counted once, across continue-as-new too.
  it('alerts delivered twice in a run that continues as new once they stop', () =>
    record('alerts-redelivered', input('alerts-redelivered', 'low', { continueAsNewAfterEvents: 40 }), async (env, handle) => {
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      for (let i = 1; i <= 60; i++) await alert(handle, 'low', [], i);
      await until(env, handle, (s) => s.alertCount === 60);
      for (const i of [1, 30, 61]) await alert(handle, 'low', [], i);
      await until(env, handle, (s) => s.alertCount === 61);
      // Past its threshold the run continues as new after a quiet second with no alert.
      await env.sleep(seconds(5));
    }));

  // 0.4.0: the API pins the strategy's built-in playbook when nothing else is chosen.
  it('evidence_first as the built-in playbook, its containment decision missed once, then approved, to closed', () =>
    record('built-in-evidence-first-closed', input('built-in-evidence-first-closed', 'high'), async (env, handle) => {
      await alert(handle, 'high', [host, { kind: 'account', id: 'svc-backup' }]);
      const playbook = pinPlaybook(JSON.parse(readFileSync(path.join(__dirname, '../../src/domain/playbooks/evidence-first.json'), 'utf8')), 'strategy');
      await triage(handle, { severity: 'high', strategy: 'evidence_first', playbook });
      await until(env, handle, (s) => s.response?.awaitingApproval === true);
      await until(env, handle, (s) => s.escalations.some((e) => e.cause === 'approveContainment'), minutes(10));
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] });
      await until(env, handle, (s) => s.phase === 'review');
      await reviewAndClose(handle);
    }));

  // 0.4.0: incidents that run a pinned playbook.
  it('a playbook with parallel branches, a four-eyes gate and a wait, to closed', () =>
    record('playbook-closed', input('playbook-closed', 'high'), async (env, handle) => {
      const playbook = pinPlaybook({
        name: 'fixture-parallel',
        version: 1,
        title: 'Parallel',
        steps: [
          taskStep('scope', { outcomeFields: [{ name: 'hosts', type: 'number', required: true }] }),
          { id: 'approve', kind: 'approval', title: 'Approve isolation', approvers: ['manager'], distinctApprovers: 2, due: '1h', needs: ['scope'] },
          { id: 'isolate', kind: 'action', title: 'Isolate', action: 'contain', needs: ['approve'], params: { destructiveApprovedBy: 'approve' } },
          { id: 'evidence', kind: 'action', title: 'Evidence', action: 'collect_evidence', needs: ['scope'] },
          { id: 'cool_off', kind: 'wait', title: 'Let it settle', for: '2h', needs: ['isolate'] },
          { id: 'patches', kind: 'action', title: 'Verify patches', action: 'verify_patches', needs: ['cool_off'] },
          { id: 'release', kind: 'action', title: 'Release', action: 'recover', needs: ['patches', 'evidence'] },
          taskStep('critical_only', { needs: ['scope'], when: { '==': [{ var: 'severity' }, 'critical'] } }),
        ],
      });
      await alert(handle, 'high', [host]);
      await triage(handle, { severity: 'high', strategy: 'contain_first', playbook });
      await until(env, handle, (s) => s.tasks?.some((t) => t.taskId === 'scope') ?? false);
      await complete(handle, 'scope', alice, { outcome: { hosts: 1 } });
      await until(env, handle, (s) => s.tasks?.some((t) => t.taskId === 'approve') ?? false);
      await complete(handle, 'approve', maria, { approved: true });
      await complete(handle, 'approve', omar, { approved: true });
      await until(env, handle, (s) => s.phase === 'review', minutes(10));
      await reviewAndClose(handle);
    }));

  it('a playbook task reminded, overdue and escalated, reassigned, commented, skipped; an ad-hoc task; another playbook applied', () =>
    record('playbook-tasks', input('playbook-tasks', 'high'), async (env, handle) => {
      const first = pinPlaybook({ name: 'fixture-first', version: 1, title: 'First', steps: [taskStep('contact', { due: '1h', remindEvery: '20m' }), taskStep('interview', { needs: ['contact'] })] });
      const second = pinPlaybook({ name: 'fixture-second', version: 2, title: 'Second', steps: [taskStep('contact'), taskStep('reimage', { needs: ['contact'] })] }, 'applied');
      await alert(handle, 'high', []);
      await triage(handle, { severity: 'high', strategy: 'contain_first', playbook: first });
      await until(env, handle, (s) => s.tasks?.some((t) => t.taskId === 'contact') ?? false);
      await env.sleep(hours(1) + minutes(40)); // two reminders, then two overdue pages
      await until(env, handle, (s) => s.tasks?.[0]?.overduePages === 2);
      await handle.executeUpdate(reassignTaskUpdate, { args: [{ principal: maria, decision: { taskId: 'contact', assignee: 'alice', reason: 'on shift' } }] });
      await handle.executeUpdate(commentTaskUpdate, { args: [{ principal: alice, decision: { taskId: 'contact', text: 'ISP called back' } }] });
      await complete(handle, 'contact', alice);
      await until(env, handle, (s) => s.tasks?.some((t) => t.taskId === 'interview') ?? false);
      await handle.executeUpdate(addTaskUpdate, { args: [{ principal: maria, decision: { title: 'Call the vendor', owner: { role: 'manager' }, due: hours(8) } }] });
      await handle.executeUpdate(applyPlaybookUpdate, { args: [{ principal: maria, decision: { playbook: second } }] });
      await until(env, handle, (s) => s.tasks?.some((t) => t.taskId === 'reimage') ?? false);
      await handle.executeUpdate(skipTaskUpdate, { args: [{ principal: maria, decision: { taskId: 'reimage', reason: 'the laptop is replaced instead' } }] });
      await handle.executeUpdate(skipTaskUpdate, { args: [{ principal: maria, decision: { taskId: 'adhoc-1', reason: 'the vendor called us' } }] });
      await until(env, handle, (s) => s.phase === 'review');
      await reviewAndClose(handle);
    }));

  it('a playbook webhook step refused, escalated and retried', () => {
    const activities = new RecordingActivities();
    activities.webhookAnswers.push(ApplicationFailure.nonRetryable('tickets answered 403', 'WebhookRefused'), { status: 201, answer: { ticket: 'T-1' } });
    return record(
      'playbook-step-failed',
      input('playbook-step-failed', 'high'),
      async (env, handle) => {
        const playbook = pinPlaybook({ name: 'fixture-webhook', version: 1, title: 'Webhook', steps: [{ id: 'ticket', kind: 'action', title: 'Open a ticket', action: 'webhook', params: { url: 'https://tickets.example/hook' } }] });
        await alert(handle, 'high', []);
        await triage(handle, { severity: 'high', strategy: 'contain_first', playbook });
        await until(env, handle, (s) => s.phase === 'review', minutes(5));
        await reviewAndClose(handle);
      },
      activities,
    );
  });

  // 0.4.0: the review's action items outlive the incident.
  it('closed with action items: the follow-ups start as the incident closes', () =>
    record('follow-ups-started', input('follow-ups-started', 'critical'), async (env, handle) => {
      await alert(handle, 'critical', [host]);
      await triage(handle, { severity: 'critical', strategy: 'contain_first' });
      await until(env, handle, (s) => s.phase === 'review');
      const due = new Date(Date.now() + hours(24 * 14)).toISOString();
      await handle.executeUpdate(recordReviewUpdate, { args: [{ principal: maria, decision: { lessons: 'fixture', actionItems: [{ title: 'Patch the fleet', owner: 'alice', dueAt: due }] } }] });
      await handle.executeUpdate(closeUpdate, { args: [{ principal: maria, decision: { resolution: 'resolved', summary: 'fixture' } }] });
      await handle.result();
    }));

  it('follow-ups reminded, overdue and escalated, reassigned, commented, completed and skipped', () => {
    const closedAt = Date.now();
    const initial = openFollowUps({
      incidentId: 'fixture-follow-ups',
      title: 'Fixture: follow-ups',
      severity: 'high',
      chain: chainFor(DEFAULT_POLICY.high),
      commander: 'omar',
      closedAt: new Date(closedAt).toISOString(),
      incidentVersion: 30,
      items: [
        { title: 'Deploy file integrity monitoring', owner: 'alice', dueAt: new Date(closedAt + hours(72)).toISOString() },
        { title: 'Rotate the deploy keys', owner: 'alice', dueAt: new Date(closedAt + hours(240)).toISOString() },
      ],
    });
    return recordFollowUps('follow-ups-tracked', initial, async (env, handle, activities) => {
      const pages = () => activities.notices.filter((n) => n.kind === 'escalation').length;
      await env.sleep(hours(74)); // reminded on the due date, then overdue
      for (let i = 0; i < 60 && pages() < 1; i++) await env.sleep(seconds(1));
      await env.sleep(hours(24)); // paged again a day later
      for (let i = 0; i < 60 && pages() < 2; i++) await env.sleep(seconds(1));
      await handle.executeUpdate(reassignFollowUpUpdate, { args: [{ principal: maria, decision: { taskId: 'follow-up-1', assignee: 'dave', reason: 'alice is on leave' } }] });
      await handle.executeUpdate(commentFollowUpUpdate, { args: [{ principal: alice, decision: { taskId: 'follow-up-1', text: 'handed over' } }] });
      await handle.executeUpdate(completeFollowUpUpdate, { args: [{ principal: omar, decision: { taskId: 'follow-up-1' } }] });
      await handle.executeUpdate(skipFollowUpUpdate, { args: [{ principal: maria, decision: { taskId: 'follow-up-2', reason: 'superseded' } }] });
    });
  });

  it('follow-ups commented on in their first workflow task, then completed', () => {
    const closedAt = Date.now();
    const initial = openFollowUps({
      incidentId: 'fixture-follow-ups-first-task',
      title: 'Fixture: follow-ups decided in the first task',
      severity: 'high',
      chain: chainFor(DEFAULT_POLICY.high),
      commander: 'omar',
      closedAt: new Date(closedAt).toISOString(),
      incidentVersion: 20,
      items: [{ title: 'Rotate the deploy keys', owner: 'alice', dueAt: new Date(closedAt + hours(72)).toISOString() }],
    });
    return recordDecidedInFirstTask(
      'follow-ups-commented-in-first-task',
      { workflowType: 'followUpWorkflow', workflowId: followUpWorkflowIdFor(initial.incidentId), args: [{ initial }] },
      { update: commentFollowUpUpdate, updateId: 'fixture-comment-1', decided: { principal: maria, decision: { taskId: 'follow-up-1', text: 'keys listed' } } },
      async (_env, handle) => {
        await handle.executeUpdate(completeFollowUpUpdate, { args: [{ principal: omar, decision: { taskId: 'follow-up-1' } }] });
        await handle.result();
      },
    );
  });
});
