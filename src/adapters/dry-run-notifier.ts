import type { Pool } from 'pg';
import type { Notification, Notifier } from './notifier';

/**
 * The default notifier: sends nothing, records what it would have sent in
 * `dry_run_actions`, once per idempotency key, so operators and tests can see it.
 */
export class DryRunNotifier implements Notifier {
  readonly name = 'dry-run';

  constructor(private readonly pool: Pool) {}

  async send(notification: Notification): Promise<void> {
    await this.pool.query(
      `INSERT INTO dry_run_actions (idempotency_key, adapter, incident_id, action)
       VALUES ($1, 'notifier', $2, $3)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [notification.idempotencyKey, notification.incidentId, JSON.stringify(notification)],
    );
  }
}
