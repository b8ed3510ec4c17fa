/**
 * Records the replay fixtures: drives incidents through every path on the time-skipping server
 * and saves each run's history under test/fixtures/histories as `<version>-<path>[.runN].json`.
 * Run with `npm run record-histories` after a workflow change that needs new fixtures; keep the
 * old ones (they prove the change replays, or that it was versioned with `patched()`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runChain } from '../../src/audit/history-source';
import type { Asset } from '../../src/domain/asset';
import type { Assessment } from '../../src/domain/decisions';
import { hours, minutes, seconds } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import type { Severity } from '../../src/domain/severity';
import { workflowIdFor } from '../../src/temporal/contract';
import {
  acknowledgeUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  closeUpdate,
  declareRegimeUpdate,
  escalateUpdate,
  recordFilingUpdate,
  recordReviewUpdate,
  stateQuery,
  type IncidentWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, RecordingActivities, withIncident } from '../support/time-skipping';

export const FIXTURE_VERSION = '0.2.0';
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
        const runs = await runChain(env.client, workflowIdFor(workflowInput.incidentId));
        mkdirSync(FIXTURE_DIR, { recursive: true });
        for (const [i, run] of runs.entries()) {
          const suffix = runs.length > 1 ? `.run${i + 1}` : '';
          // Stack traces name the recording machine's folders and mean nothing to a replay.
          const scrubbed = JSON.stringify(run.history, (key, value) => (key === 'stackTrace' ? '' : value), 1);
          writeFileSync(path.join(FIXTURE_DIR, `${FIXTURE_VERSION}-${name}${suffix}.json`), scrubbed + '\n');
        }
      },
      activities,
    );
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
        args: [{ principal: maria, decision: { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-1', filedAt: new Date(Date.parse(clocks[0]!.dueAt) + hours(1)).toISOString(), lateReason: 'fixture' } }],
      });
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
});
