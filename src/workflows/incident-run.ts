import type { AuditEntryInput } from '../domain/audit-chain';
import type { EscalationRecord, EscalationRule, IncidentState } from '../domain/incident';
import type { PolicyTable } from '../domain/policy';
import type { Notice } from '../activities/types';

export type AuditInput = Omit<AuditEntryInput, 'at' | 'actor' | 'actorRole' | 'outcome'> & Partial<AuditEntryInput>;

/**
 * One incident's run as the modules of its workflow see it: the state, and the operations that
 * record and announce a change. The workflow function builds it; the playbook interpreter and the
 * task watcher work through it alone, so none of them holds state of its own.
 */
export interface IncidentRun {
  readonly policy: PolicyTable;
  readonly escalationRule: EscalationRule;
  state(): IncidentState;
  set(next: IncidentState): void;
  /** Queues an audit entry; the next publish writes it with the state it led to. */
  audit(entry: AuditInput): void;
  /** Writes the read model and the queued audit entries. */
  publish(): Promise<void>;
  /** Audits and sends a page. */
  page(escalation: EscalationRecord): Promise<void>;
  notify(notice: Notice): Promise<void>;
  shouldContinueAsNew(): boolean;
  /** The fields every notice carries. */
  base(): { incidentId: string; title: string; severity: IncidentState['severity'] };
}
