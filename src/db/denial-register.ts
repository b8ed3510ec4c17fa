import type { Pool } from 'pg';
import { denialEntry, DENIAL_WINDOW_MS, windowStartOf, type Denial, type DenialWindow } from '../domain/denial-window';
import type { AuditLog } from './audit-log';

/** A claim older than this was left by a flush that died: another flush appends it (the entry key makes that once). */
const STALE_CLAIM_MS = 60_000;
/** Appended windows are kept this long, so a late denial finds its window appended and counts in the next. */
const KEEP_APPENDED_MS = 60 * 60_000;
/** A denial that finds its window claimed moves on to the next; more than this many claimed in a row is a clock gone wrong. */
const MAX_WINDOW_HOPS = 5;

export interface DenialRegisterOptions {
  windowMs?: number;
  /** The clock windows are counted by; tests move it instead of sleeping. */
  now?: () => Date;
}

/**
 * Counts denials per key, incident and window in `denial_windows`, and appends one audit entry per
 * closed window through the audit log's public API. The audit chain stays append-only: counting
 * happens beside it, and a window's entry is written once, after the window has closed.
 */
export class DenialRegister {
  readonly windowMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    private readonly auditLog: AuditLog,
    options: DenialRegisterOptions = {},
  ) {
    this.windowMs = options.windowMs ?? DENIAL_WINDOW_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** Counts one denial in its window, or the next open one if its window has been claimed. */
  async count(denial: Omit<Denial, 'at'>): Promise<void> {
    const at = this.now();
    let windowStart = windowStartOf(at, this.windowMs);
    for (let hop = 0; hop < MAX_WINDOW_HOPS; hop++) {
      const { rowCount } = await this.pool.query(
        `INSERT INTO denial_windows (key_id, incident_id, window_start, window_ms, actor, actor_role, count, statuses, actions, first_at, last_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, jsonb_build_object($7::text, 1), jsonb_build_object($8::text, 1), $9, $9)
         ON CONFLICT (key_id, incident_id, window_start) DO UPDATE SET
           count = denial_windows.count + 1,
           statuses = jsonb_set(denial_windows.statuses, ARRAY[$7::text], to_jsonb(COALESCE((denial_windows.statuses ->> $7::text)::int, 0) + 1)),
           actions = jsonb_set(denial_windows.actions, ARRAY[$8::text], to_jsonb(COALESCE((denial_windows.actions ->> $8::text)::int, 0) + 1)),
           first_at = LEAST(denial_windows.first_at, EXCLUDED.first_at),
           last_at = GREATEST(denial_windows.last_at, EXCLUDED.last_at)
         WHERE denial_windows.claimed_at IS NULL`,
        [denial.keyId, denial.incidentId, windowStart, this.windowMs, denial.actor, denial.actorRole, String(denial.status), denial.action, at],
      );
      if (rowCount === 1) break;
      // Its window closed and was claimed meanwhile (another replica's clock is ahead): count it in the next.
      windowStart = new Date(windowStart.getTime() + this.windowMs);
    }
  }

  /** The name and role of a key, revoked or not, for a denial of a request that named it. */
  async keyHolder(keyId: string): Promise<{ actor: string; actorRole: string } | undefined> {
    const { rows } = await this.pool.query('SELECT name, role FROM api_keys WHERE key_id = $1', [keyId]);
    return rows[0] && { actor: rows[0].name, actorRole: rows[0].role };
  }

  /**
   * Appends one audit entry per closed window not yet appended, and answers how many it appended.
   * Safe to run from every replica at once: a window is claimed by one, and its entry key makes a
   * second append of it (after a crash between append and mark) a no-op.
   */
  async appendClosed(): Promise<number> {
    const now = this.now();
    const { rows } = await this.pool.query(
      `UPDATE denial_windows SET claimed_at = $1
        WHERE appended_at IS NULL
          AND ((claimed_at IS NULL AND window_start + window_ms * interval '1 millisecond' <= $1) OR claimed_at < $2)
        RETURNING key_id, incident_id, window_start, window_ms, actor, actor_role, count, statuses, actions, first_at, last_at`,
      [now, new Date(now.getTime() - STALE_CLAIM_MS)],
    );
    for (const r of rows) {
      const window: DenialWindow = {
        keyId: r.key_id,
        incidentId: r.incident_id,
        windowStart: r.window_start,
        windowMs: r.window_ms,
        actor: r.actor,
        actorRole: r.actor_role,
        count: r.count,
        statuses: r.statuses,
        actions: r.actions,
        firstAt: r.first_at,
        lastAt: r.last_at,
      };
      await this.auditLog.append(window.incidentId, [denialEntry(window)]);
      await this.pool.query('UPDATE denial_windows SET appended_at = $4 WHERE key_id = $1 AND incident_id = $2 AND window_start = $3', [
        window.keyId,
        window.incidentId,
        window.windowStart,
        now,
      ]);
    }
    await this.pool.query('DELETE FROM denial_windows WHERE appended_at < $1', [new Date(now.getTime() - KEEP_APPENDED_MS)]);
    return rows.length;
  }

  /** The open windows' counts of an incident, not yet in its chain (for a test, or an operator). */
  async pending(incidentId: string): Promise<Array<{ keyId: string; count: number }>> {
    const { rows } = await this.pool.query('SELECT key_id, count FROM denial_windows WHERE incident_id = $1 AND appended_at IS NULL ORDER BY window_start', [incidentId]);
    return rows.map((r) => ({ keyId: r.key_id, count: r.count }));
  }
}
