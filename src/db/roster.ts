import type { Pool } from 'pg';
import type { EscalationTarget } from '../domain/escalation';
import type { AdminActor, AdminAudit } from './admin-audit';
import { inTransaction } from './transaction';

export interface RosterEntry {
  target: EscalationTarget;
  people: string[];
  updatedBy: string;
  updatedAt: string;
}

/**
 * The people or teams behind each escalation level, kept by admins. A change is recorded in the
 * administration audit chain (with the people before and after) before it commits.
 */
export class Roster {
  constructor(
    private readonly pool: Pool,
    private readonly audit?: AdminAudit,
  ) {}

  async set(target: EscalationTarget, people: string[], updatedBy: AdminActor): Promise<RosterEntry> {
    return inTransaction(this.pool, async (client) => {
      const before = await client.query('SELECT people FROM roster WHERE target = $1 FOR UPDATE', [target]);
      const { rows } = await client.query(
        `INSERT INTO roster (target, people, updated_by) VALUES ($1, $2, $3)
         ON CONFLICT (target) DO UPDATE SET people = EXCLUDED.people, updated_by = EXCLUDED.updated_by, updated_at = now()
         RETURNING target, people, updated_by, updated_at`,
        [target, JSON.stringify(people), updatedBy.name],
      );
      await this.audit?.record('set_roster', target, updatedBy, { target, before: before.rows[0]?.people ?? [], people });
      return toEntry(rows[0]);
    });
  }

  async list(): Promise<RosterEntry[]> {
    const { rows } = await this.pool.query('SELECT target, people, updated_by, updated_at FROM roster ORDER BY target');
    return rows.map(toEntry);
  }

  /** The people to page for a level; the level's own name when nobody is rostered. */
  async peopleFor(target: EscalationTarget): Promise<string[]> {
    const { rows } = await this.pool.query('SELECT people FROM roster WHERE target = $1', [target]);
    const people: string[] | undefined = rows[0]?.people;
    return people?.length ? people : [target];
  }
}

function toEntry(row: { target: EscalationTarget; people: string[]; updated_by: string; updated_at: Date }): RosterEntry {
  return { target: row.target, people: row.people, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() };
}
