import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './transaction';
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

export interface DeliveryTarget {
  incidentId: string;
  opensIncident: boolean;
  /** Other open incidents that saw an observable this alert brings to the incident for the first time. */
  related: SharedWith[];
}

/**
 * Records alerts once per (source, sourceRef) and picks the incident of their dedup key.
 * `deliver` runs inside the transaction that inserts the alert, so an alert is stored only if
 * Temporal accepted it. When the key's incident turns out to be closed, the key moves to its
 * next generation (a new incident id) and the alert is delivered there, when `reopen` allows.
 * The alert's observables are recorded on its incident in the same transaction.
 */
export class AlertRegister {
  private readonly observables: ObservableRegister;

  constructor(private readonly pool: Pool) {
    this.observables = new ObservableRegister(pool);
  }

  async register(alert: AlertRecord, options: { reopen: boolean }, deliver: (target: DeliveryTarget) => Promise<Delivery>): Promise<RegistrationOutcome> {
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

  private async insertAlert(client: PoolClient, alert: AlertRecord, incidentId: string): Promise<boolean> {
    const result = await client.query(
      `INSERT INTO alerts (alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT DO NOTHING RETURNING alert_id`,
      [alert.alertId, alert.source, alert.sourceRef, incidentId, alert.dedupKey, alert.severity, alert.title, JSON.stringify(alert.payload), alert.keyId],
    );
    return result.rowCount === 1;
  }
}
