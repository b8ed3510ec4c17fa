import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './transaction';
import { Batched } from '../batched';
import { incidentIdFor } from '../domain/identity';
import type { ObservableRef } from '../domain/observable-record';
import { ObservableRegister, type SharedWith } from './observable-register';

/**
 * How many other open incidents one alert is related to: the most recently active ones. A value
 * seen in every incident (a public resolver, say) must not fan out to all of them.
 */
export const RELATED_INCIDENTS_PER_ALERT = 20;

export interface AlertRecord {
  alertId: string;
  source: string;
  sourceRef: string;
  dedupKey: string;
  severity: string;
  title: string;
  payload: unknown;
  /** The API key that reported it. */
  keyId: string;
  /** Normalised, without duplicates, sorted (dedupeObservables). */
  observables: ObservableRef[];
  receivedAt: string;
}

/** What Temporal said when the alert was handed to the incident's workflow. */
export type Delivery = 'delivered' | 'incident-closed';

export type RegistrationOutcome =
  /** First time this (source, sourceRef) is seen; `opensIncident` when it started a new incident. */
  | { kind: 'new'; incidentId: string; opensIncident: boolean }
  /** The same alert was sent before; it is attached to `incidentId` already. */
  | { kind: 'replay'; incidentId: string };

/** What PostgreSQL says of an alert before it is delivered: stored already (on which incident), and its key's incident. */
interface Known {
  replayOf: string | null;
  incidentId: string | null;
}

export interface DeliveryTarget {
  incidentId: string;
  opensIncident: boolean;
  /** Other open incidents that saw an observable this alert brings to the incident for the first time. */
  related: SharedWith[];
}

/**
 * Records alerts once per (source, sourceRef) and picks the incident of their dedup key.
 *
 * What it guarantees: an alert answered (register returns) is stored once and was accepted by
 * Temporal before it was stored; an alert whose registration failed may already be in its
 * incident's workflow, and the sender's retry stores it without counting it twice (the workflow
 * ignores an alert id it has seen). A replayed alert (stored already) is not delivered again.
 *
 * Two ways, by what the key's row says:
 * - An alert without observables to a key that has an incident (nearly every alert of a storm):
 *   one autocommit read (replay? which incident?), `deliver`, then one autocommit insert, each
 *   shared with the concurrent requests of this process (Batched). No transaction, and no
 *   connection held while Temporal answers.
 * - Otherwise (the first alert of a key, an alert with observables, an incident found closed):
 *   `deliver` runs inside the transaction that inserts the alert, so it is stored only if Temporal
 *   accepted it; the key's row lock makes concurrent first alerts of a key open one incident. When
 *   the key's incident turns out to be closed, the key moves to its next generation (a new incident
 *   id) and the alert is delivered there, when `reopen` allows. The alert's observables are
 *   recorded on its incident in the same transaction.
 */
export class AlertRegister {
  private readonly observables: ObservableRegister;
  /** Lookups and inserts of concurrent requests, each sent as one statement (see Batched). */
  private readonly lookups = new Batched<AlertRecord, Known>((alerts) => this.known(alerts));
  private readonly inserts = new Batched<{ alert: AlertRecord; incidentId: string }, void>((batch) => this.storeDelivered(batch));

  constructor(private readonly pool: Pool) {
    this.observables = new ObservableRegister(pool);
  }

  async register(alert: AlertRecord, options: { reopen: boolean }, deliver: (target: DeliveryTarget) => Promise<Delivery>): Promise<RegistrationOutcome> {
    if (alert.observables.length === 0) {
      const known = await this.lookups.add(alert);
      if (known.replayOf) return { kind: 'replay', incidentId: known.replayOf };
      if (known.incidentId) {
        // The key's row is committed only after Temporal accepted its first alert, so its workflow exists.
        const delivery = await deliver({ incidentId: known.incidentId, opensIncident: false, related: [] });
        if (delivery === 'delivered' || !options.reopen) {
          // A concurrent copy of the same alert may have stored it first: either way it is stored once, and the workflow counted it once.
          await this.inserts.add({ alert, incidentId: known.incidentId });
          return { kind: 'new', incidentId: known.incidentId, opensIncident: false };
        }
        // Closed: the transaction below moves the key on (rare: once per closed incident's next alert).
      }
    }
    return this.registerInTransaction(alert, options, deliver);
  }

  /** Whether each alert is stored already (and on which incident), and its key's current incident: one statement for all. */
  private async known(alerts: AlertRecord[]): Promise<Known[]> {
    const { rows } = await this.pool.query(
      `SELECT a.incident_id AS replay_of, k.incident_id
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS i(source, source_ref, dedup_key, n)
         LEFT JOIN alerts a ON a.source = i.source AND a.source_ref = i.source_ref
         LEFT JOIN incident_keys k ON k.dedup_key = i.dedup_key
        ORDER BY i.n`,
      [alerts.map((a) => a.source), alerts.map((a) => a.sourceRef), alerts.map((a) => a.dedupKey)],
    );
    return rows.map((r) => ({ replayOf: r.replay_of, incidentId: r.incident_id }));
  }

  /**
   * Stores alerts Temporal has accepted: one autocommit statement, so one commit (and one WAL
   * flush) for all. Sorted by id, so two replicas storing copies of the same alerts take their
   * index entries in the same order. A copy stored first by a concurrent request is left as it is.
   */
  private async storeDelivered(batch: Array<{ alert: AlertRecord; incidentId: string }>): Promise<void[]> {
    const sorted = [...batch].sort((a, b) => (a.alert.alertId < b.alert.alertId ? -1 : a.alert.alertId > b.alert.alertId ? 1 : 0));
    const column = (f: (e: { alert: AlertRecord; incidentId: string }) => string) => sorted.map(f);
    await this.pool.query(
      `INSERT INTO alerts (alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload, key_id)
       SELECT alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload::jsonb, key_id
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
           AS t(alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload, key_id)
       ON CONFLICT DO NOTHING`,
      [
        column((e) => e.alert.alertId),
        column((e) => e.alert.source),
        column((e) => e.alert.sourceRef),
        column((e) => e.incidentId),
        column((e) => e.alert.dedupKey),
        column((e) => e.alert.severity),
        column((e) => e.alert.title),
        column((e) => JSON.stringify(e.alert.payload)),
        column((e) => e.alert.keyId),
      ],
    );
    return batch.map(() => undefined);
  }

  private async registerInTransaction(alert: AlertRecord, options: { reopen: boolean }, deliver: (target: DeliveryTarget) => Promise<Delivery>): Promise<RegistrationOutcome> {
    return inTransaction(this.pool, async (client) => {
      let target = await this.currentIncident(client, alert.dedupKey);
      if (!(await this.insertAlert(client, alert, target.incidentId))) {
        // On the same connection: taking a second one from the pool while holding this one deadlocks a busy pool.
        const { rows } = await client.query('SELECT incident_id FROM alerts WHERE source = $1 AND source_ref = $2', [alert.source, alert.sourceRef]);
        return { kind: 'replay', incidentId: rows[0]?.incident_id ?? target.incidentId };
      }
      const deliverTo = async (t: Omit<DeliveryTarget, 'related'>) => deliver({ ...t, related: await this.relatedTo(client, t.incidentId, alert.observables) });
      for (let attempt = 0; (await deliverTo(target)) === 'incident-closed'; attempt++) {
        if (!options.reopen) break;
        if (attempt >= 3) throw new Error(`dedup key ${alert.dedupKey}: its incident kept closing under intake`);
        target = await this.nextGeneration(client, alert.dedupKey, target.incidentId);
        await client.query('UPDATE alerts SET incident_id = $1 WHERE alert_id = $2', [target.incidentId, alert.alertId]);
      }
      // Last, so the rows' locks are held only until the commit that follows.
      await this.observables.recordAlert(client, target.incidentId, alert.alertId, alert.observables, alert.receivedAt);
      return { kind: 'new', incidentId: target.incidentId, opensIncident: target.opensIncident };
    });
  }

  /** Open incidents sharing an observable that is new to this incident (a repeat relates nothing again). */
  private async relatedTo(client: PoolClient, incidentId: string, observables: ObservableRef[]): Promise<SharedWith[]> {
    const fresh = await this.observables.newTo(client, incidentId, observables);
    return this.observables.openIncidentsSeeing(client, incidentId, fresh, RELATED_INCIDENTS_PER_ALERT);
  }

  /** The key's current incident; the first alert of a key inserts the row and opens generation 1. */
  private async currentIncident(client: PoolClient, dedupKey: string): Promise<Omit<DeliveryTarget, 'related'>> {
    // A concurrent first alert of the same key waits here on the primary key until the other
    // transaction commits, so exactly one of them opens the incident.
    const inserted = await client.query(
      `INSERT INTO incident_keys (dedup_key, incident_id, generation) VALUES ($1, $2, 1)
       ON CONFLICT (dedup_key) DO NOTHING RETURNING incident_id`,
      [dedupKey, incidentIdFor(dedupKey, 1)],
    );
    if (inserted.rowCount === 1) return { incidentId: inserted.rows[0].incident_id, opensIncident: true };
    const { rows } = await client.query('SELECT incident_id FROM incident_keys WHERE dedup_key = $1', [dedupKey]);
    return { incidentId: rows[0].incident_id, opensIncident: false };
  }

  /** Moves the key past its closed incident; whoever moves it first opens the new incident. */
  private async nextGeneration(client: PoolClient, dedupKey: string, closedIncidentId: string): Promise<Omit<DeliveryTarget, 'related'>> {
    // The row lock waits for a concurrent mover to commit, then shows its result.
    const { rows } = await client.query('SELECT incident_id, generation FROM incident_keys WHERE dedup_key = $1 FOR UPDATE', [dedupKey]);
    if (rows[0].incident_id !== closedIncidentId) return { incidentId: rows[0].incident_id, opensIncident: false };
    const generation: number = rows[0].generation + 1;
    const incidentId = incidentIdFor(dedupKey, generation);
    await client.query('UPDATE incident_keys SET generation = $2, incident_id = $3 WHERE dedup_key = $1', [dedupKey, generation, incidentId]);
    return { incidentId, opensIncident: true };
  }

  private async insertAlert(client: Pick<PoolClient, 'query'>, alert: AlertRecord, incidentId: string): Promise<boolean> {
    const result = await client.query(
      `INSERT INTO alerts (alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT DO NOTHING RETURNING alert_id`,
      [alert.alertId, alert.source, alert.sourceRef, incidentId, alert.dedupKey, alert.severity, alert.title, JSON.stringify(alert.payload), alert.keyId],
    );
    return result.rowCount === 1;
  }
}
