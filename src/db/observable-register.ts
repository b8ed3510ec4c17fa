import type { Pool } from 'pg';
import { byKindAndValue, observableKey, TLP_LEVELS, type ObservableKind, type ObservableRecord, type ObservableRef, type Tlp } from '../domain/observable-record';
import type { Phase } from '../domain/incident';
import type { Severity } from '../domain/severity';

/** A pool or a client holding a transaction: the register writes on whichever the caller holds. */
type Queryable = Pick<Pool, 'query'>;

/** One incident's sighting of an observable, as the table keeps it. */
export interface ObservableSighting {
  incidentId: string;
  kind: ObservableKind;
  value: string;
  tlp: Tlp;
  alertId: string | null;
  addedBy: string | null;
  firstSeen: string;
  lastSeen: string;
}

/** An incident that saw a value, with what the read model says of it (null while it has no row yet). */
export interface IncidentSighting extends ObservableSighting {
  title: string | null;
  phase: Phase | null;
  severity: Severity | null;
}

/** Another open incident and the observables it shares with the one at hand. */
export interface SharedWith {
  incidentId: string;
  shared: Array<{ kind: ObservableKind; value: string }>;
}

// On a repeat: the earliest first sighting, the latest last one, the stricter marking, the first alert.
const MERGE_ON_CONFLICT = `
  ON CONFLICT (incident_id, kind, value) DO UPDATE SET
    first_seen = LEAST(observables.first_seen, EXCLUDED.first_seen),
    last_seen  = GREATEST(observables.last_seen, EXCLUDED.last_seen),
    tlp        = CASE WHEN array_position($2::text[], EXCLUDED.tlp) > array_position($2::text[], observables.tlp)
                      THEN EXCLUDED.tlp ELSE observables.tlp END,
    alert_id   = COALESCE(observables.alert_id, EXCLUDED.alert_id),
    added_by   = COALESCE(observables.added_by, EXCLUDED.added_by)`;

const pairs = (observables: ReadonlyArray<{ kind: string; value: string }>) => [observables.map((o) => o.kind), observables.map((o) => o.value)];

const sighting = (incidentId: string, r: Record<string, any>): ObservableSighting => ({
  incidentId,
  kind: r.kind,
  value: r.value,
  tlp: r.tlp,
  alertId: r.alert_id,
  addedBy: r.added_by,
  firstSeen: r.first_seen.toISOString(),
  lastSeen: r.last_seen.toISOString(),
});

/**
 * The observables table: every value each incident saw, with when it was first and last seen.
 * Writers pass observables sorted by kind and value (dedupeObservables does), so concurrent
 * writers lock rows in the same order and cannot deadlock.
 */
export class ObservableRegister {
  constructor(private readonly pool: Pool) {}

  /** Of these observables, those the incident has not seen before. */
  async newTo(db: Queryable, incidentId: string, observables: readonly ObservableRef[]): Promise<ObservableRef[]> {
    if (observables.length === 0) return [];
    const { rows } = await db.query(
      `SELECT kind, value FROM observables
        WHERE incident_id = $1 AND (kind, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [incidentId, ...pairs(observables)],
    );
    const known = new Set(rows.map(observableKey));
    return observables.filter((o) => !known.has(observableKey(o)));
  }

  /**
   * Other incidents, still open, that saw any of these observables: the most recently active
   * first, at most `limit` of them (a value seen everywhere must not fan out without end).
   */
  async openIncidentsSeeing(db: Queryable, incidentId: string, observables: ReadonlyArray<{ kind: string; value: string }>, limit: number): Promise<SharedWith[]> {
    if (observables.length === 0) return [];
    const { rows } = await db.query(
      `SELECT o.incident_id,
              array_agg(o.kind ORDER BY o.kind, o.value) AS kinds,
              array_agg(o.value ORDER BY o.kind, o.value) AS vals
         FROM observables o
         LEFT JOIN incidents i ON i.incident_id = o.incident_id
        WHERE (o.kind, o.value) IN (SELECT * FROM unnest($2::text[], $3::text[]))
          AND o.incident_id <> $1
          -- An incident without a read-model row yet is one being opened right now.
          AND (i.phase IS NULL OR i.phase NOT IN ('closed', 'dismissed'))
        GROUP BY o.incident_id
        ORDER BY max(o.last_seen) DESC, o.incident_id
        LIMIT $4`,
      [incidentId, ...pairs(observables), limit],
    );
    return rows.map((r) => ({ incidentId: r.incident_id, shared: (r.kinds as ObservableKind[]).map((kind, i) => ({ kind, value: r.vals[i] as string })) }));
  }

  /** An alert's observables on its incident; repeats move last_seen. */
  async recordAlert(db: Queryable, incidentId: string, alertId: string, observables: readonly ObservableRef[], seenAt: string): Promise<void> {
    if (observables.length === 0) return;
    await db.query(
      `INSERT INTO observables (incident_id, kind, value, tlp, alert_id, first_seen, last_seen)
       SELECT $1::text, o.kind, o.value, o.tlp, $6::text, $7::timestamptz, $7::timestamptz FROM unnest($3::text[], $4::text[], $5::text[]) AS o(kind, value, tlp)
       ${MERGE_ON_CONFLICT}`,
      [incidentId, TLP_LEVELS, ...pairs(observables), observables.map((o) => o.tlp), alertId, seenAt],
    );
  }

  /** Observables people added to an incident (from its state), idempotently. */
  async recordAdded(db: Queryable, incidentId: string, added: readonly ObservableRecord[]): Promise<void> {
    if (added.length === 0) return;
    const sorted = [...added].sort(byKindAndValue);
    await db.query(
      `INSERT INTO observables (incident_id, kind, value, tlp, first_seen, last_seen, added_by)
       SELECT $1::text, o.kind, o.value, o.tlp, o.first_seen, o.last_seen, o.added_by
         FROM jsonb_to_recordset($3::jsonb) AS o(kind text, value text, tlp text, first_seen timestamptz, last_seen timestamptz, added_by text)
       ${MERGE_ON_CONFLICT}`,
      [incidentId, TLP_LEVELS, JSON.stringify(sorted.map((o) => ({ kind: o.kind, value: o.value, tlp: o.tlp, first_seen: o.firstSeen, last_seen: o.lastSeen, added_by: o.addedBy })))],
    );
  }

  /** Every observable an incident saw, in the order they were first seen. */
  async forIncident(incidentId: string): Promise<ObservableSighting[]> {
    const { rows } = await this.pool.query(
      `SELECT kind, value, tlp, alert_id, added_by, first_seen, last_seen FROM observables
        WHERE incident_id = $1 ORDER BY first_seen, kind, value`,
      [incidentId],
    );
    return rows.map((r) => sighting(incidentId, r));
  }

  /** Every incident that saw a value (up to `limit`), the most recent sighting first. */
  async incidentsSeeing(kind: ObservableKind, value: string, limit: number): Promise<IncidentSighting[]> {
    const { rows } = await this.pool.query(
      `SELECT o.incident_id, o.kind, o.value, o.tlp, o.alert_id, o.added_by, o.first_seen, o.last_seen, i.title, i.phase, i.severity
         FROM observables o LEFT JOIN incidents i ON i.incident_id = o.incident_id
        WHERE o.kind = $1 AND o.value = $2
        ORDER BY o.last_seen DESC, o.incident_id
        LIMIT $3`,
      [kind, value, limit],
    );
    return rows.map((r) => ({ ...sighting(r.incident_id, r), title: r.title, phase: r.phase, severity: r.severity }));
  }
}
