import type { AuditEntryInput } from '../domain/audit-chain';
import type { EscalationRecord, EscalationRule, IncidentState } from '../domain/incident';
import type { EscalationTarget } from '../domain/escalation';
import type { PolicyTable } from '../domain/policy';
import type { Notice } from '../activities/types';

export type AuditInput = Omit<AuditEntryInput, 'at' | 'actor' | 'actorRole' | 'outcome'> & Partial<AuditEntryInput>;

/**
 * One incident's run as the modules of its workflow see it: the state, and the operations that
 * record and announce a change. The workflow function builds it; the phase modules and the
 * playbook interpreter work through it alone, so none of them holds state of its own.
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
  /** Whom a notice at a level of the incident's chain addresses (every target since 0.3.0). */
  addressed(level: number): { target: EscalationTarget; targets?: EscalationTarget[] };
  /** Waits until `done()` holds or continue-as-new is due, escalating each time the pending deadline passes first. */
  awaitWithEscalation(done: () => boolean): Promise<void>;
}
