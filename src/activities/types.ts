import type { HistoryOrigin } from '../audit/history-source';
import type { Asset } from '../domain/asset';
import type { AuditEntryInput, ChainHead } from '../domain/audit-chain';
import type { FollowUpState } from '../domain/follow-up';
import type { EscalationRecord, IncidentState, PatchResult } from '../domain/incident';
import type { Severity } from '../domain/severity';

interface NoticeBase {
  incidentId: string;
  title: string;
  severity: Severity;
}

/** Everything the workflow tells people goes through `notify` as one of these. */
export type Notice =
  | (NoticeBase & { kind: 'escalation'; escalation: EscalationRecord })
  | (NoticeBase & { kind: 'review_scheduled'; recipient: string; dueAt?: string })
  | (NoticeBase & { kind: 'review_reminder'; recipient: string; reminder: number; dueAt?: string })
  | (NoticeBase & { kind: 'regulatory_reminder'; recipient: string; regime: string; stage: string; reminder: number; dueAt: string })
  | (NoticeBase & { kind: 'task_opened'; recipient: string; taskId: string; taskTitle: string; dueAt: string })
  | (NoticeBase & { kind: 'task_reminder'; recipient: string; taskId: string; taskTitle: string; reminder: number; dueAt: string })
  | (NoticeBase & { kind: 'playbook_notice'; recipient: string; stepId: string; message: string });

export interface ActionRequest {
  incidentId: string;
  asset: Asset;
  action: string;
}

export interface EvidenceRequest {
  incidentId: string;
  asset: Asset;
  /** Who holds the evidence first: the collecting system. */
  collector: string;
}

export interface PatchVerificationRequest {
  incidentId: string;
  assets: Asset[];
  /** Poll until every asset is patched or this instant passes. */
  until: string;
}

/** The activities the incident workflow schedules; implemented in this folder. */
export interface IncidentActivities {
  /**
   * Appends the audit entries since the last call (each once, by its key) and upserts the
   * incident's read-model row (older snapshots never overwrite newer ones), in one transaction.
   * Answers the audit chain's head after them, which the workflow keeps in its state (before 0.5.0
   * it answered nothing).
   */
  recordIncident(state: IncidentState, audit: AuditEntryInput[]): Promise<ChainHead>;
  /**
   * A closed incident's follow-ups: appends their audit entries to the incident's chain and writes
   * their rows of the task read model (older snapshots never overwrite newer ones).
   */
  recordFollowUps(state: FollowUpState, audit: AuditEntryInput[]): Promise<void>;
  /** Sends a notice once per (incident, kind, level or sequence). */
  notify(notice: Notice): Promise<void>;
  /** Runs one containment action through the containment adapter, once per (incident, asset, action). */
  contain(request: ActionRequest): Promise<void>;
  /** Collects an asset's evidence in order of volatility, recording hashes and custody. */
  collectEvidence(request: EvidenceRequest): Promise<{ artifacts: number }>;
  /** Asks the scanner until every asset is patched or the deadline passes; records each answer. */
  verifyPatches(request: PatchVerificationRequest): Promise<PatchResult[]>;
  /** Undoes one containment action (recovery). */
  recover(request: ActionRequest): Promise<void>;
}

/** Activities for auditors: they read histories and replay them, so they run in the worker, which has the workflow code. */
export interface AuditActivities {
  /** Copies every run of a closed incident into PostgreSQL; fails (and is retried) while it is still running. */
  archiveHistory(incidentId: string): Promise<{ runs: number }>;
  /** Replays the incident's history (from Temporal or the archive) against the current workflow code. */
  replayIncident(incidentId: string): Promise<ReplayReport>;
}

export interface ReplayReport {
  incidentId: string;
  source: HistoryOrigin;
  runs: Array<{ runId: string; replayed: boolean; divergence?: { eventId?: number; kind: string; reason: string } }>;
}

export interface ReportActivities {
  /** Computes the summary for the period and sends it, as Markdown, to the CISO through the notifier. */
  sendSummaryReport(period: { from: string; to: string }): Promise<void>;
}
