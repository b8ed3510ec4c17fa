import type { TimelinePosition } from '../audit/timeline';
import type { ChainHead } from '../domain/audit-chain';
import { countPart, decodeParts, encodeParts, type CursorPart } from './cursor';

/** A SHA-256 in hex, as the audit chain and the timeline digest write it. */
const hashPart: CursorPart = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const seqPart: CursorPart = (v) => countPart(v) && (v as number) >= 1 && (v as number) <= 2_147_483_647;

/** The audit log: after this entry, whose hash the next page's first entry must link to. */
export function encodeAuditCursor(head: ChainHead): string {
  return encodeParts([head.seq, head.hash]);
}

export function decodeAuditCursor(cursor: string): ChainHead {
  const [seq, hash] = decodeParts(cursor, [seqPart, hashPart]) as [number, string];
  return { seq, hash };
}

/** The timeline: after this many items, whose running digest the next page recomputes. */
export function encodeTimelineCursor(position: TimelinePosition): string {
  return encodeParts([position.position, position.digest]);
}

export function decodeTimelineCursor(cursor: string): TimelinePosition {
  const [position, digest] = decodeParts(cursor, [countPart, hashPart]) as [number, string];
  return { position, digest };
}
