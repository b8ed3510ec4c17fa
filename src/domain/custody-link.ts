import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { custodyHash, type CustodyLink } from './audit-chain';

/**
 * How a custody link is hashed.
 * 1: the link's own fields (chains written before version 2; they still verify).
 * 2: the link's fields and its version; an artifact's first link also commits to the whole
 *    evidence record, so a changed location, size, incident, asset or artifact type breaks the chain.
 */
export type CustodyHashVersion = 1 | 2;
export const CURRENT_CUSTODY_HASH_VERSION: CustodyHashVersion = 2;

/** Everything the evidence register says about an artifact, as its first custody link commits to it. */
export interface EvidenceRecord {
  incidentId: string;
  assetKind: string;
  assetId: string;
  artifactType: string;
  volatilityRank: number;
  sha256: string;
  sizeBytes: number;
  location: string;
  collectedBy: string;
  /** ISO 8601, milliseconds. */
  collectedAt: string;
}

export interface VersionedCustodyLink extends CustodyLink {
  version: CustodyHashVersion;
}

/** The link's hash under its version; a version-2 first link needs its evidence record. */
export function custodyLinkHash(link: VersionedCustodyLink, evidence?: EvidenceRecord): string {
  const { version, ...fields } = link;
  if (version === 1) return custodyHash(fields);
  if (link.seq !== 1) return sha256Of({ ...fields, version });
  if (!evidence) throw new Error(`custody link 1 of artifact ${link.artifactId} commits to its evidence record, and none was given`);
  const { incidentId, assetKind, assetId, artifactType, volatilityRank, sha256, sizeBytes, location, collectedBy, collectedAt } = evidence;
  return sha256Of({ ...fields, version, evidence: { incidentId, assetKind, assetId, artifactType, volatilityRank, sha256, sizeBytes, location, collectedBy, collectedAt } });
}

function sha256Of(value: unknown): string {
  return createHash('sha256').update(canonicalize(value) ?? '', 'utf8').digest('hex');
}
