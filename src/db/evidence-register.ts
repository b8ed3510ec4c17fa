import type { Pool } from 'pg';
import type { Asset } from '../domain/asset';

export interface ArtifactRecord {
  incidentId: string;
  asset: Asset;
  artifactType: string;
  volatilityRank: number;
  sha256: string;
  sizeBytes: number;
  location: string;
  collectedBy: string;
  collectedAt: Date;
}

/** The custodian every collected artifact is handed to. */
export const EVIDENCE_STORE = 'evidence-store';

/**
 * Collected evidence and its chain of custody. Recording is idempotent on the artifact's
 * natural key, so a retried collection neither duplicates the artifact nor its custody entries.
 */
export class EvidenceRegister {
  constructor(private readonly pool: Pool) {}

  async has(incidentId: string, asset: Asset, artifactType: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'SELECT 1 FROM evidence_artifacts WHERE incident_id = $1 AND asset_kind = $2 AND asset_id = $3 AND artifact_type = $4',
      [incidentId, asset.kind, asset.id, artifactType],
    );
    return rowCount === 1;
  }

  /** Records the artifact and its first two hand-overs: asset → collector → evidence store. */
  async recordCollected(a: ArtifactRecord): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query(
        `INSERT INTO evidence_artifacts (incident_id, asset_kind, asset_id, artifact_type, volatility_rank, sha256, size_bytes,
                                         location, collected_by, collected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT ON CONSTRAINT evidence_artifacts_natural_key DO NOTHING
         RETURNING artifact_id`,
        [a.incidentId, a.asset.kind, a.asset.id, a.artifactType, a.volatilityRank, a.sha256, a.sizeBytes, a.location, a.collectedBy, a.collectedAt],
      );
      const artifactId = inserted.rows[0]?.artifact_id;
      if (artifactId !== undefined) {
        const source = `${a.asset.kind}:${a.asset.id}`;
        await client.query(
          `INSERT INTO custody_entries (artifact_id, seq, action, from_custodian, to_custodian, sha256, at)
           VALUES ($1, 1, 'collected', $2, $3, $4, $5), ($1, 2, 'transferred', $3, $6, $4, $5)`,
          [artifactId, source, a.collectedBy, a.sha256, a.collectedAt, EVIDENCE_STORE],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

export class PatchRegister {
  constructor(private readonly pool: Pool) {}

  async recordCheck(incidentId: string, asset: Asset, patched: boolean, detail: string | undefined, at: Date): Promise<void> {
    await this.pool.query(
      `INSERT INTO patch_checks (incident_id, asset_kind, asset_id, patched, detail, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (incident_id, asset_kind, asset_id)
       DO UPDATE SET patched = EXCLUDED.patched, detail = EXCLUDED.detail, checks = patch_checks.checks + 1, checked_at = EXCLUDED.checked_at`,
      [incidentId, asset.kind, asset.id, patched, detail ?? null, at],
    );
  }
}
