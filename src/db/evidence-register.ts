import type { Pool } from 'pg';
import { inTransaction } from './transaction';
import type { Asset } from '../domain/asset';
import { custodyHash, GENESIS_HASH, verifyChain, type ChainVerdict, type CustodyLink } from '../domain/audit-chain';

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
    await inTransaction(this.pool, async (client) => {
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
        const at = a.collectedAt.toISOString();
        const collected: CustodyLink = { artifactId: String(artifactId), seq: 1, action: 'collected', fromCustodian: `${a.asset.kind}:${a.asset.id}`, toCustodian: a.collectedBy, sha256: a.sha256, at, prevHash: GENESIS_HASH };
        const transferred: CustodyLink = { artifactId: String(artifactId), seq: 2, action: 'transferred', fromCustodian: a.collectedBy, toCustodian: EVIDENCE_STORE, sha256: a.sha256, at, prevHash: custodyHash(collected) };
        for (const link of [collected, transferred]) {
          await client.query(
            `INSERT INTO custody_entries (artifact_id, seq, action, from_custodian, to_custodian, sha256, at, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [artifactId, link.seq, link.action, link.fromCustodian, link.toCustodian, link.sha256, link.at, link.prevHash, custodyHash(link)],
          );
        }
      }
    });
  }
}

export interface CustodyRecord extends CustodyLink {
  hash: string;
  assetKind: string;
  assetId: string;
  artifactType: string;
}

/** Every hand-over of an incident's evidence, per artifact, with each artifact's chain verified. */
export async function custodyOf(pool: Pool, incidentId: string): Promise<Array<{ artifactId: string; artifactType: string; asset: string; links: CustodyRecord[]; verification: ChainVerdict }>> {
  const { rows } = await pool.query(
    `SELECT c.artifact_id, c.seq, c.action, c.from_custodian, c.to_custodian, c.sha256, c.at, c.prev_hash, c.hash,
            a.asset_kind, a.asset_id, a.artifact_type
       FROM custody_entries c JOIN evidence_artifacts a USING (artifact_id)
      WHERE a.incident_id = $1 ORDER BY c.artifact_id, c.seq`,
    [incidentId],
  );
  const byArtifact = new Map<string, CustodyRecord[]>();
  for (const r of rows) {
    const link: CustodyRecord = {
      artifactId: String(r.artifact_id), seq: r.seq, action: r.action, fromCustodian: r.from_custodian, toCustodian: r.to_custodian,
      sha256: r.sha256, at: r.at.toISOString(), prevHash: r.prev_hash, hash: r.hash, assetKind: r.asset_kind, assetId: r.asset_id, artifactType: r.artifact_type,
    };
    byArtifact.set(link.artifactId, [...(byArtifact.get(link.artifactId) ?? []), link]);
  }
  return [...byArtifact.entries()].map(([artifactId, links]) => ({
    artifactId,
    artifactType: links[0]!.artifactType,
    asset: `${links[0]!.assetKind}:${links[0]!.assetId}`,
    links,
    verification: verifyChain(links, ({ artifactId: id, seq, action, fromCustodian, toCustodian, sha256, at, prevHash }) =>
      custodyHash({ artifactId: id, seq, action, fromCustodian, toCustodian, sha256, at, prevHash }),
    ),
  }));
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
