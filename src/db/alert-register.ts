import type { Pool, PoolClient } from 'pg';

export interface AlertRecord {
  alertId: string;
  source: string;
  sourceRef: string;
  incidentId: string;
  dedupKey: string;
  severity: string;
  title: string;
  payload: unknown;
}

export type RegistrationOutcome =
  /** First time this (source, sourceRef) is seen; `opensIncident` when its dedup key is new too. */
  | { kind: 'new'; opensIncident: boolean }
  /** The same alert was sent before; it is attached to `incidentId` already. */
  | { kind: 'replay'; incidentId: string };

/**
 * Records alerts once per (source, sourceRef). `register` runs `deliver` inside the transaction
 * that inserts the alert, so an alert is stored only if Temporal accepted it, and an alert that
 * Temporal accepted but the commit lost is sent again on the caller's retry (the workflow
 * ignores an alert id it has seen).
 */
export class AlertRegister {
  constructor(private readonly pool: Pool) {}

  async register(alert: AlertRecord, deliver: (outcome: { opensIncident: boolean }) => Promise<void>): Promise<RegistrationOutcome> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await this.insertAlert(client, alert);
      if (!inserted) {
        // On the same connection: taking a second one from the pool while holding this one
        // deadlocks a busy pool.
        const { rows } = await client.query('SELECT incident_id FROM alerts WHERE source = $1 AND source_ref = $2', [alert.source, alert.sourceRef]);
        await client.query('ROLLBACK');
        return { kind: 'replay', incidentId: rows[0]?.incident_id ?? alert.incidentId };
      }
      // A concurrent first alert of the same key waits here on the primary key until the other
      // transaction commits, so exactly one of them opens the incident.
      const key = await client.query(
        `INSERT INTO incident_keys (dedup_key, incident_id) VALUES ($1, $2)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key`,
        [alert.dedupKey, alert.incidentId],
      );
      const opensIncident = key.rowCount === 1;
      await deliver({ opensIncident });
      await client.query('COMMIT');
      return { kind: 'new', opensIncident };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async insertAlert(client: PoolClient, alert: AlertRecord): Promise<boolean> {
    const result = await client.query(
      `INSERT INTO alerts (alert_id, source, source_ref, incident_id, dedup_key, severity, title, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT DO NOTHING RETURNING alert_id`,
      [alert.alertId, alert.source, alert.sourceRef, alert.incidentId, alert.dedupKey, alert.severity, alert.title, JSON.stringify(alert.payload)],
    );
    return result.rowCount === 1;
  }

  async countForIncident(incidentId: string): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*)::int AS n FROM alerts WHERE incident_id = $1', [incidentId]);
    return rows[0].n;
  }
}
