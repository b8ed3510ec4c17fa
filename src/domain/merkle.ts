import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ChainHead } from './audit-chain';

/** One leaf of a checkpoint: an incident's chain head. */
export interface HeadLeaf extends ChainHead {
  incidentId: string;
}

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** RFC 6962 leaf hash: SHA-256 over 0x00 and the leaf's RFC 8785 canonical JSON. */
export function leafHash(leaf: HeadLeaf): Buffer {
  const { incidentId, seq, hash } = leaf;
  return sha256(Buffer.from([0]), Buffer.from(canonicalize({ incidentId, seq, hash }) ?? '', 'utf8'));
}

/** The leaves in the one order a root is computed in: by incident id. */
export function orderedLeaves(leaves: readonly HeadLeaf[]): HeadLeaf[] {
  return [...leaves].sort((a, b) => (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0));
}

/**
 * The Merkle tree hash of RFC 6962 (section 2.1) over the heads ordered by incident id: the empty
 * tree is SHA-256 of nothing, an inner node SHA-256 over 0x01 and its children, split at the
 * largest power of two below the count. Hex.
 */
export function merkleRoot(leaves: readonly HeadLeaf[]): string {
  const hashes = orderedLeaves(leaves).map(leafHash);
  return treeHash(hashes, 0, hashes.length).toString('hex');
}

function treeHash(hashes: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 0) return sha256();
  if (n === 1) return hashes[from]!;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(Buffer.from([1]), treeHash(hashes, from, from + k), treeHash(hashes, from + k, to));
}
