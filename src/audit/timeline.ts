import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntry } from '../domain/audit-chain';
import { isFollowUpEntry } from '../domain/follow-up';
import { isNotice } from '../domain/incident';
import { eventTypeName, type RunHistory } from './history-source';
import type { TimelineItem } from '../domain/timeline-item';
// What a playbook run records about its steps and tasks, read from recordIncident's input.
import { STEP_ACTIONS } from '../domain/timeline-steps';

export type { TimelineItem };

type Event = Record<string, any>;

/** Decodes a JSON payload as the default payload converter wrote it (base64 in history JSON). */
function decode(payload: Event | undefined): unknown {
  if (!payload?.data) return undefined;
  try {
    return JSON.parse(Buffer.from(String(payload.data), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

const firstArg = (payloads: Event | undefined) => decode(payloads?.payloads?.[0]);

const STAGE_ACTIVITIES = new Set(['contain', 'recover', 'collectEvidence', 'verifyPatches', 'callWebhook']);

/**
 * The timeline of an incident: every decision, signal, notification, escalation, stage result and
 * phase change from its history, with the rejected and denied requests (which never enter
 * history) and the follow-ups after the close from the audit log, and every evidence hand-over
 * from the custody chain, in time order.
 */
export function buildTimeline(runs: RunHistory[], audit: AuditEntry[], custody: Array<{ artifactType: string; asset: string; links: Array<{ seq: number; action: string; fromCustodian: string; toCustodian: string; sha256: string; at: string }> }>): TimelineItem[] {
  const items: TimelineItem[] = [];
  let phase: string | undefined;
  for (const [runIndex, run] of runs.entries()) {
    const scheduled = new Map<string, { type: string; input: any }>();
    const started = new Map<string, { attempt: number; lastFailure?: string }>();
    const updates = new Map<string, TimelineItem>();
    for (const event of run.history.events as Event[]) {
      const at = String(event.eventTime);
      const eventId = Number(event.eventId);
      const base = { at, source: 'history' as const, runId: run.runId, eventId };
      switch (eventTypeName(event)) {
        case 'WorkflowExecutionStarted':
          if (runIndex === 0) items.push({ ...base, kind: 'opened', action: 'open', outcome: 'recorded', details: firstArg(event.workflowExecutionStartedEventAttributes?.input) });
          else items.push({ ...base, kind: 'run', action: 'continued_as_new', outcome: 'recorded' });
          break;
        case 'WorkflowExecutionSignaled': {
          const attrs = event.workflowExecutionSignaledEventAttributes;
          const arg = firstArg(attrs?.input) as any;
          if (attrs?.signalName === 'alert') items.push({ ...base, kind: 'alert', action: arg?.status === 'resolved' ? 'alert_resolved' : 'alert', actor: arg?.source, outcome: 'recorded', details: arg });
          // Intake found another open incident that saw one of this incident's observables.
          else if (attrs?.signalName === 'relatedIncident') items.push({ ...base, kind: 'correlation', action: 'related_incident', actor: 'firebreak', outcome: 'recorded', details: arg });
          else if (attrs?.signalName === 'note') items.push({ ...base, kind: 'note', action: 'note', actor: arg?.principal?.name, outcome: 'recorded', details: arg?.decision });
          break;
        }
        case 'WorkflowExecutionUpdateAccepted': {
          const attrs = event.workflowExecutionUpdateAcceptedEventAttributes;
          const request = attrs?.acceptedRequest;
          const arg = firstArg(request?.input?.args) as any;
          const item: TimelineItem = { ...base, kind: 'decision', action: String(request?.input?.name), actor: arg?.principal?.name, outcome: 'accepted', details: arg?.decision };
          updates.set(String(attrs?.protocolInstanceId ?? request?.meta?.updateId), item);
          items.push(item);
          break;
        }
        case 'WorkflowExecutionUpdateCompleted': {
          const attrs = event.workflowExecutionUpdateCompletedEventAttributes;
          const item = updates.get(String(attrs?.meta?.updateId));
          if (item) item.outcome = attrs?.outcome?.failure ? 'failed' : 'applied';
          break;
        }
        case 'ActivityTaskScheduled': {
          const attrs = event.activityTaskScheduledEventAttributes;
          const type = String(attrs?.activityType?.name);
          const input = firstArg(attrs?.input) as any;
          scheduled.set(String(eventId), { type, input });
          if (type === 'recordIncident') {
            const entries = decode(attrs?.input?.payloads?.[1]);
            for (const entry of Array.isArray(entries) ? (entries as Event[]) : []) {
              if (!STEP_ACTIONS.has(String(entry['action']))) continue;
              items.push({ ...base, at: String(entry['at'] ?? at), kind: 'step', action: String(entry['action']), actor: entry['actor'], outcome: String(entry['outcome'] ?? 'recorded'), details: entry['details'] });
            }
          } else if (type === 'notify' && input?.kind === 'escalation') {
            const e = input.escalation;
            const escalation = !isNotice(e);
            items.push({ ...base, kind: escalation ? 'escalation' : 'notification', action: escalation ? `escalate_to_${e.target}` : `notify_${e.target}`, actor: e.by?.name, outcome: 'scheduled', details: e });
          } else if (type === 'notify') {
            items.push({ ...base, kind: 'notification', action: String(input?.kind), outcome: 'scheduled', details: input });
          }
          break;
        }
        case 'ActivityTaskStarted': {
          // Recorded once, for the attempt that ended: earlier attempts show as its number and last failure.
          const attrs = event.activityTaskStartedEventAttributes;
          started.set(String(eventId), { attempt: Number(attrs?.attempt ?? 1), lastFailure: attrs?.lastFailure?.message });
          break;
        }
        case 'ActivityTaskCompleted':
        case 'ActivityTaskFailed':
        case 'ActivityTaskTimedOut': {
          const attrs = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
          const source = scheduled.get(String(attrs?.scheduledEventId));
          if (!source || !STAGE_ACTIVITIES.has(source.type)) break;
          const outcome = eventTypeName(event) === 'ActivityTaskCompleted' ? 'completed' : 'failed';
          const start = started.get(String(attrs?.startedEventId));
          items.push({
            ...base,
            kind: 'stage',
            action: source.input?.action ?? source.type,
            outcome,
            details: {
              activity: source.type,
              asset: source.input?.asset ?? source.input?.assets,
              result: firstArg(attrs?.result),
              failure: attrs?.failure?.message,
              attempts: start?.attempt ?? 1,
              lastRetriedFailure: start?.lastFailure,
            },
          });
          break;
        }
        case 'UpsertWorkflowSearchAttributes': {
          const next = decode(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.FirebreakPhase) as string | undefined;
          if (next && next !== phase) {
            items.push({ ...base, kind: 'phase', action: `enter_${next}`, outcome: 'recorded', details: { from: phase ?? null, to: next } });
            phase = next;
          }
          break;
        }
        case 'WorkflowExecutionCompleted':
          items.push({ ...base, kind: 'run', action: 'completed', outcome: 'recorded' });
          break;
        case 'WorkflowExecutionTerminated':
          items.push({ ...base, kind: 'run', action: 'terminated', outcome: 'recorded', details: event.workflowExecutionTerminatedEventAttributes?.reason });
          break;
      }
    }
  }
  for (const entry of audit) {
    const refused = entry.outcome === 'rejected' || entry.outcome === 'denied';
    // The follow-ups run after the incident's history has ended: their record is the audit log.
    if (!refused && !isFollowUpEntry(entry)) continue;
    items.push({ at: entry.at, kind: refused ? 'decision' : 'follow_up', action: entry.action, actor: entry.actor, outcome: entry.outcome, details: entry.details, source: 'audit-log', auditSeq: entry.seq });
  }
  for (const artifact of custody) {
    for (const link of artifact.links) {
      items.push({
        at: link.at,
        kind: 'custody',
        action: link.action,
        actor: link.toCustodian,
        outcome: 'recorded',
        details: { artifact: artifact.artifactType, asset: artifact.asset, from: link.fromCustodian, to: link.toCustodian, sha256: link.sha256, seq: link.seq },
        source: 'custody',
      });
    }
  }
  // Stable: items at the same instant keep history order.
  return items.map((item, i) => ({ item, i })).sort((a, b) => Date.parse(a.item.at) - Date.parse(b.item.at) || a.i - b.i).map(({ item }) => item);
}

/** Where the next page of a timeline starts: how many items came before it, and their running digest. */
export interface TimelinePosition {
  position: number;
  digest: string;
}

export interface TimelinePage {
  items: TimelineItem[];
  verification: { valid: boolean; problems: Array<{ kind: 'timeline_changed'; position: number; reason: string }> };
  next?: TimelinePosition;
}

const TIMELINE_GENESIS = '0'.repeat(64);

/** The running digest after one more item: SHA-256 over the previous digest and the item's canonical JSON. */
function nextDigest(digest: string, item: TimelineItem): string {
  return createHash('sha256').update(digest, 'utf8').update(canonicalize(item) ?? '', 'utf8').digest('hex');
}

/**
 * One page of a timeline. The cursor carries the running digest of every item before the page;
 * the page recomputes it (a hash per item, no query) and says `timeline_changed` when the items
 * the previous pages showed are no longer the ones before this page: read page by page, the
 * timeline is one consistent record or the verdict says where it stopped being one.
 */
export function timelinePage(items: readonly TimelineItem[], options: { after?: TimelinePosition; limit: number }): TimelinePage {
  const start = Math.min(options.after?.position ?? 0, items.length);
  let digest = TIMELINE_GENESIS;
  for (const item of items.slice(0, start)) digest = nextDigest(digest, item);
  const problems: TimelinePage['verification']['problems'] = [];
  if (options.after && (options.after.position > items.length || options.after.digest !== digest)) {
    problems.push({ kind: 'timeline_changed', position: options.after.position, reason: `the ${options.after.position} items before this page are not the ones the previous pages showed` });
  }
  const shown = items.slice(start, start + options.limit);
  for (const item of shown) digest = nextDigest(digest, item);
  const end = start + shown.length;
  return { items: shown, verification: { valid: problems.length === 0, problems }, ...(end < items.length ? { next: { position: end, digest } } : {}) };
}
