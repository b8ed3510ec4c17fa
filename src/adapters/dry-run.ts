import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Adapters, AssetAction, CollectedArtifact, EvidenceRequest, Notification, PatchStatus } from './ports';

/**
 * The default adapters: they touch nothing outside and record what they would have done in
 * `dry_run_actions`, once per idempotency key, so operators and tests can see it.
 */
export class DryRunRecorder {
  constructor(private readonly pool: Pool) {}

  async record(adapter: string, idempotencyKey: string, incidentId: string, action: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO dry_run_actions (idempotency_key, adapter, incident_id, action)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [idempotencyKey, adapter, incidentId, JSON.stringify(action)],
    );
  }
}

export function dryRunAdapters(pool: Pool): Adapters {
  const recorder = new DryRunRecorder(pool);
  return {
    notifier: {
      send: (n: Notification) => recorder.record('notifier', n.idempotencyKey, n.incidentId, n),
    },
    containment: {
      execute: (a: AssetAction) => recorder.record('containment', a.idempotencyKey, a.incidentId, a),
    },
    forensics: {
      async collect(request: EvidenceRequest): Promise<CollectedArtifact> {
        // A stand-in artifact: a manifest naming what would have been captured, hashed for real.
        const manifest = Buffer.from(JSON.stringify({ incidentId: request.incidentId, asset: request.asset, artifactType: request.artifactType }));
        const artifact = {
          location: `dry-run://evidence/${request.incidentId}/${request.asset.kind}/${encodeURIComponent(request.asset.id)}/${request.artifactType}`,
          sha256: createHash('sha256').update(manifest).digest('hex'),
          sizeBytes: manifest.length,
        };
        await recorder.record('forensics', request.idempotencyKey, request.incidentId, { ...request, ...artifact });
        return artifact;
      },
    },
    scanner: {
      // Without a scanner there is nothing to wait for: report patched, and say so.
      async patchStatus(): Promise<PatchStatus> {
        return { patched: true, detail: 'dry-run scanner: no scanner configured' };
      },
    },
  };
}
