import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../domain/audit-chain';
import type { ChainVerdict } from '../domain/audit-chain';
import type { AuditLog } from './audit-log';

/**
 * The audit chain of administration: keys issued and revoked, roster changes. The audit log keeps
 * one chain per incident id; this one has a reserved id that no incident can take (incident ids
 * are 16 hex characters).
 */
export const ADMINISTRATION_CHAIN = 'administration';

/** Who administered: a key's principal, or an operator at the command line. */
export interface AdminActor {
  name: string;
  role: string;
  keyId?: string;
}

export type AdminAction = 'issue_key' | 'revoke_key' | 'set_roster';

export class AdminAudit {
  constructor(private readonly log: AuditLog) {}

  /** One entry in the administration chain; `subject` names what it is about (a key id, a roster level). */
  async record(action: AdminAction, subject: string, actor: AdminActor, details: Record<string, unknown>, at: Date = new Date()): Promise<void> {
    await this.log.append(ADMINISTRATION_CHAIN, [
      {
        entryKey: `${action}:${subject}:${randomUUID()}`,
        at: at.toISOString(),
        actor: actor.name,
        actorRole: actor.role,
        action,
        outcome: 'applied',
        details: { ...(actor.keyId ? { keyId: actor.keyId } : {}), ...details },
      },
    ]);
  }

  async verified(): Promise<{ entries: AuditEntry[]; verification: ChainVerdict }> {
    return this.log.verified(ADMINISTRATION_CHAIN);
  }
}
