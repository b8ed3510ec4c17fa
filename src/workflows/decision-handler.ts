import { ApplicationFailure, currentUpdateInfo, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { decisionRoleRejection } from '../domain/decision-roles';
import { decisionSignatureRejection } from '../domain/decision-signature';
import type { Decided } from '../domain/decisions';
import type { AuditInput } from './incident-run';
import { DECISION_REJECTED } from './messages';
import { trustedDecisionKeys } from './trusted-decision-keys';

/** Who the audit log names for what a workflow does by itself. */
export const SYSTEM_ACTOR = 'firebreak';

/** Applied update ids kept across continue-as-new (a client retries within minutes, not thousands of decisions later). */
export const APPLIED_UPDATE_IDS_KEPT = 500;

/** A validator's refusal: the API answers it with 409 and the reason. */
export function rejectIf(reason: string | undefined): void {
  if (reason) throw ApplicationFailure.create({ type: DECISION_REJECTED, message: reason, nonRetryable: true });
}

/** A decision as the audit log keeps it: a pinned playbook by name, version and digest (history holds it whole). */
export function auditedDecision(decision: unknown): Record<string, unknown> {
  const { playbook, ...rest } = decision as Record<string, unknown> & { playbook?: { name: string; version: number; digest: string; chosen: string } };
  return playbook ? { ...rest, playbook: { name: playbook.name, version: playbook.version, digest: playbook.digest, chosen: playbook.chosen } } : rest;
}

/**
 * Whether a decision may be judged at all: signed by the API with a key this worker trusts, for this
 * incident, this update and this request, recently; and by a role that may make it (one table, the
 * API's too). Only then do the domain's rules about the incident apply. Validators do not run at
 * replay, so this never changes what a history replays to.
 */
export function authorisationRejection(incidentId: string, updateName: string, decided: Decided<unknown>): string | undefined {
  const updateId = currentUpdateInfo()?.id ?? '';
  const principal = decided?.principal;
  if (!principal || typeof principal !== 'object') return 'the decision names no principal';
  return (
    decisionSignatureRejection(decided.signature, { incidentId, update: updateName, updateId, principal, decision: decided.decision }, trustedDecisionKeys(), Date.now()) ??
    decisionRoleRejection(updateName, principal.role)
  );
}

/** What a workflow lends its decisions: its state, the update ids it applied, and how it records. */
export interface DecisionHost<S extends { version: number; incidentId: string }> {
  state(): S;
  appliedUpdateIds: Set<string>;
  audit(entry: AuditInput): void;
  publish(): Promise<void>;
}

/**
 * Registers a decision: validated synchronously (a refusal never enters history), applied once
 * per update id, audited under `decision:<update id>` with the person who took it, then published.
 */
export function registerDecision<S extends { version: number; incidentId: string }, T>(
  host: DecisionHost<S>,
  definition: UpdateDefinition<S, [Decided<T>]>,
  rejection: (decided: Decided<T>) => string | undefined,
  apply: (decided: Decided<T>) => void | Promise<void>,
): void {
  const alreadyApplied = () => {
    const id = currentUpdateInfo()?.id;
    return id !== undefined && host.appliedUpdateIds.has(id);
  };
  setHandler(
    definition,
    async (decided) => {
      if (alreadyApplied()) return host.state();
      const id = currentUpdateInfo()?.id;
      if (id) host.appliedUpdateIds.add(id);
      host.audit({
        entryKey: `decision:${id ?? `${definition.name}:${host.state().version}`}`,
        actor: decided.principal.name,
        actorRole: decided.principal.role,
        action: definition.name,
        outcome: 'applied',
        details: {
          keyId: decided.principal.keyId,
          // A person signed in to the console: who their IdP said they are, when they authenticated, and MFA.
          ...(decided.principal.person ? { person: decided.principal.person } : {}),
          decision: auditedDecision(decided.decision),
          ...(decided.signature ? { signedWith: decided.signature.keyId, issuedAt: decided.signature.issuedAt } : {}),
        },
      });
      await apply(decided);
      await host.publish();
      return host.state();
    },
    {
      validator: (decided: Decided<T>) => {
        if (alreadyApplied()) return;
        rejectIf(authorisationRejection(host.state().incidentId, definition.name, decided) ?? rejection(decided));
      },
    },
  );
}
