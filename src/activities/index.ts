import { Context } from '@temporalio/activity';
import type { Adapters } from '../adapters/ports';
import type { AuditLog } from '../db/audit-log';
import type { EvidenceRegister, PatchRegister } from '../db/evidence-register';
import type { IncidentRepository } from '../db/incident-repository';
import type { ReportRepository } from '../db/report-repository';
import type { Roster } from '../db/roster';
import { summaryMarkdown } from '../reports/summary';
import type { PatchResult } from '../domain/incident';
import { EVIDENCE_BY_ASSET } from '../domain/response-plan';
import { keepAlive } from './keep-alive';
import { notificationFor } from './notices';
import type { IncidentActivities, ReportActivities } from './types';

export interface ActivityDependencies {
  incidents: IncidentRepository;
  auditLog: AuditLog;
  roster: Roster;
  reports: ReportRepository;
  evidence: EvidenceRegister;
  patches: PatchRegister;
  adapters: Adapters;
  /** Backoff between scanner polls, first and largest (milliseconds). */
  patchPoll?: { initialMs: number; maxMs: number };
}

const DEFAULT_PATCH_POLL = { initialMs: 5_000, maxMs: 5 * 60_000 };

/** Thin activities: each validates little, calls one adapter or repository, and returns a small result. */
/** The weekly report: computed from the read model, sent to whoever is rostered as CISO. */
export function createReportActivities(deps: Pick<ActivityDependencies, 'reports' | 'roster' | 'adapters'>): ReportActivities {
  return {
    async sendSummaryReport({ from, to }) {
      const report = await deps.reports.summary(new Date(from), new Date(to));
      await deps.adapters.notifier.send({
        idempotencyKey: `summary-report:${from}:${to}`,
        incidentId: '',
        recipient: 'ciso',
        people: await deps.roster.peopleFor('ciso'),
        subject: `Security incidents ${from.slice(0, 10)} – ${to.slice(0, 10)}: ${report.opened.total} opened, ${report.slaBreaches.total} SLA breaches`,
        body: summaryMarkdown(report),
      });
    },
  };
}

export function createActivities(deps: ActivityDependencies): IncidentActivities {
  const poll = deps.patchPoll ?? DEFAULT_PATCH_POLL;
  return {
    async recordIncident(state, audit) {
      return deps.incidents.record(state, audit);
    },

    async recordFollowUps(state, audit) {
      await deps.auditLog.append(state.incidentId, audit);
      await deps.incidents.recordTasks(state.incidentId, state.version, state.tasks);
    },

    async notify(notice) {
      const notification = notificationFor(notice);
      if (notice.kind !== 'escalation') return deps.adapters.notifier.send(notification);
      // The roster is read now, at escalation time: a change reaches incidents already running.
      const e = notice.escalation;
      const rostered = await Promise.all((e.targets ?? [e.target]).map((target) => deps.roster.peopleFor(target)));
      const people = [...new Set([...rostered.flat(), ...(e.commander ? [e.commander] : [])])];
      await deps.adapters.notifier.send({ ...notification, people });
    },

    async contain({ incidentId, asset, action }) {
      await keepAlive(deps.adapters.containment.execute({ idempotencyKey: `contain:${incidentId}:${asset.kind}:${asset.id}:${action}`, incidentId, asset, action }), { action });
    },

    async recover({ incidentId, asset, action }) {
      await keepAlive(deps.adapters.containment.execute({ idempotencyKey: `recover:${incidentId}:${asset.kind}:${asset.id}:${action}`, incidentId, asset, action }), { action });
    },

    async collectEvidence({ incidentId, asset, collector }) {
      const types = EVIDENCE_BY_ASSET[asset.kind];
      let collected = 0;
      for (const [rank, artifactType] of types.entries()) {
        Context.current().heartbeat({ artifactType });
        if (!(await deps.evidence.has(incidentId, asset, artifactType))) {
          const artifact = await keepAlive(
            deps.adapters.forensics.collect({ idempotencyKey: `evidence:${incidentId}:${asset.kind}:${asset.id}:${artifactType}`, incidentId, asset, artifactType }),
            { artifactType },
          );
          await deps.evidence.recordCollected({ incidentId, asset, artifactType, volatilityRank: rank + 1, collectedBy: collector, collectedAt: new Date(), ...artifact });
        }
        collected += 1;
      }
      return { artifacts: collected };
    },

    async verifyPatches({ incidentId, assets, until }) {
      const deadline = Date.parse(until);
      const results = new Map<string, PatchResult>();
      let wait = poll.initialMs;
      for (;;) {
        for (const asset of assets) {
          const key = `${asset.kind}:${asset.id}`;
          if (results.get(key)?.patched) continue;
          const status = await keepAlive(deps.adapters.scanner.patchStatus({ incidentId, asset }), { asset: key });
          const checkedAt = new Date();
          await deps.patches.recordCheck(incidentId, asset, status.patched, status.detail, checkedAt);
          results.set(key, { asset, patched: status.patched, checkedAt: checkedAt.toISOString() });
        }
        const all = [...results.values()];
        const progress = { patched: all.filter((r) => r.patched).length, of: assets.length };
        if (all.every((r) => r.patched) || Date.now() >= deadline) return all;
        // The backoff grows past the heartbeat timeout: keep heartbeating through the wait.
        await keepAlive(Context.current().sleep(Math.min(wait, Math.max(deadline - Date.now(), 0))), progress);
        wait = Math.min(wait * 2, poll.maxMs);
      }
    },
  };
}
