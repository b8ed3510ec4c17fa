import type { Pool } from 'pg';
import { inTransaction } from './transaction';
import type { Asset } from '../domain/asset';
import { GENESIS_HASH, verifyChain, type ChainVerdict } from '../domain/audit-chain';
import { CURRENT_CUSTODY_HASH_VERSION, custodyLinkHash, type EvidenceRecord, type VersionedCustodyLink } from '../domain/custody-link';

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
        const version = CURRENT_CUSTODY_HASH_VERSION;
        const evidence = evidenceRecordOf(a);
        const collected: VersionedCustodyLink = { artifactId: String(artifactId), seq: 1, action: 'collected', fromCustodian: `${a.asset.kind}:${a.asset.id}`, toCustodian: a.collectedBy, sha256: a.sha256, at, prevHash: GENESIS_HASH, version };
        const collectedHash = custodyLinkHash(collected, evidence);
        const transferred: VersionedCustodyLink = { artifactId: String(artifactId), seq: 2, action: 'transferred', fromCustodian: a.collectedBy, toCustodian: EVIDENCE_STORE, sha256: a.sha256, at, prevHash: collectedHash, version };
        for (const [link, hash] of [[collected, collectedHash], [transferred, custodyLinkHash(transferred)]] as const) {
          await client.query(
            `INSERT INTO custody_entries (artifact_id, seq, action, from_custodian, to_custodian, sha256, at, prev_hash, hash, hash_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [artifactId, link.seq, link.action, link.fromCustodian, link.toCustodian, link.sha256, link.at, link.prevHash, hash, link.version],
          );
        }
      }
    });
  }
}

/** What the first custody link commits to: the artifact's row, as written. */
function evidenceRecordOf(a: ArtifactRecord): EvidenceRecord {
  return {
    incidentId: a.incidentId, assetKind: a.asset.kind, assetId: a.asset.id, artifactType: a.artifactType, volatilityRank: a.volatilityRank,
    sha256: a.sha256, sizeBytes: a.sizeBytes, location: a.location, collectedBy: a.collectedBy, collectedAt: a.collectedAt.toISOString(),
  };
}

export interface CustodyRecord extends VersionedCustodyLink {
  hash: string;
  assetKind: string;
  assetId: string;
  artifactType: string;
}

/** Every hand-over of an incident's evidence, per artifact, with each artifact's chain verified. */
export async function custodyOf(pool: Pool, incidentId: string): Promise<Array<{ artifactId: string; artifactType: string; asset: string; links: CustodyRecord[]; verification: ChainVerdict }>> {
  const { rows } = await pool.query(
    `SELECT c.artifact_id, c.seq, c.action, c.from_custodian, c.to_custodian, c.sha256, c.at, c.prev_hash, c.hash, c.hash_version,
            a.incident_id, a.asset_kind, a.asset_id, a.artifact_type, a.volatility_rank, a.sha256 AS artifact_sha256, a.size_bytes,
            a.location, a.collected_by, a.collected_at
       FROM custody_entries c JOIN evidence_artifacts a USING (artifact_id)
      WHERE a.incident_id = $1 ORDER BY c.artifact_id, c.seq`,
    [incidentId],
  );
  const byArtifact = new Map<string, { evidence: EvidenceRecord; links: CustodyRecord[] }>();
  for (const r of rows) {
    const link: CustodyRecord = {
      artifactId: String(r.artifact_id), seq: r.seq, action: r.action, fromCustodian: r.from_custodian, toCustodian: r.to_custodian,
      sha256: r.sha256, at: r.at.toISOString(), prevHash: r.prev_hash, hash: r.hash, version: r.hash_version,
      assetKind: r.asset_kind, assetId: r.asset_id, artifactType: r.artifact_type,
    };
    const artifact: { evidence: EvidenceRecord; links: CustodyRecord[] } = byArtifact.get(link.artifactId) ?? {
      evidence: {
        incidentId: r.incident_id, assetKind: r.asset_kind, assetId: r.asset_id, artifactType: r.artifact_type, volatilityRank: r.volatility_rank,
        sha256: r.artifact_sha256, sizeBytes: Number(r.size_bytes), location: r.location, collectedBy: r.collected_by, collectedAt: r.collected_at.toISOString(),
      },
      links: [],
    };
    artifact.links.push(link);
    byArtifact.set(link.artifactId, artifact);
  }
  return [...byArtifact.entries()].map(([artifactId, { evidence, links }]) => ({
    artifactId,
    artifactType: links[0]!.artifactType,
    asset: `${links[0]!.assetKind}:${links[0]!.assetId}`,
    links,
    verification: verifyChain(links, ({ artifactId: id, seq, action, fromCustodian, toCustodian, sha256, at, prevHash, version }) =>
      custodyLinkHash({ artifactId: id, seq, action, fromCustodian, toCustodian, sha256, at, prevHash, version }, evidence),
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
