/**
 * Observables as incidents keep them: the kinds, the TLP marking, and the rules for merging and
 * relating them. No I/O and no parsing libraries, because the incident workflow runs this code;
 * validation and normalisation, which need them, live in ./observable at the API's edge.
 */

export const OBSERVABLE_KINDS = [
  'ipv4',
  'ipv6',
  'cidr',
  'domain',
  'url',
  'email',
  'hostname',
  'account',
  'md5',
  'sha1',
  'sha256',
  'file_path',
  'registry_key',
  'cve',
  'other',
] as const;
export type ObservableKind = (typeof OBSERVABLE_KINDS)[number];

/** Traffic Light Protocol 2.0 (FIRST), least to most restrictive. */
export const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/**
 * Amber unless the sender says otherwise: what a detection tool reports about our own systems is
 * for the organisation and those who help it, not for the public (clear, green), yet responders
 * across the organisation must be able to act on it (which red would forbid). TheHive marks
 * observables amber by default for the same reason.
 */
export const DEFAULT_TLP: Tlp = 'amber';

/** The more restrictive of two markings: a value seen under two markings keeps the stricter. */
export const stricterTlp = (a: Tlp, b: Tlp): Tlp => (TLP_LEVELS.indexOf(a) >= TLP_LEVELS.indexOf(b) ? a : b);

/** An observable in its one written form, with its marking. */
export interface ObservableRef {
  kind: ObservableKind;
  value: string;
  tlp: Tlp;
}

/** One entry per kind and value; a value sent twice keeps the stricter marking. Sorted, so writers lock rows in one order. */
export function dedupeObservables(observables: readonly ObservableRef[]): ObservableRef[] {
  const byKey = new Map<string, ObservableRef>();
  for (const o of observables) {
    const key = observableKey(o);
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, tlp: stricterTlp(seen.tlp, o.tlp) } : o);
  }
  return [...byKey.values()].sort(byKindAndValue);
}

/** The one order writers lock observable rows in: by kind, then value. */
export function byKindAndValue(a: { kind: string; value: string }, b: { kind: string; value: string }): number {
  return a.kind === b.kind ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.kind < b.kind ? -1 : 1;
}

export const observableKey = (o: { kind: string; value: string }) => `${o.kind}\u0000${o.value}`;

// --- on the incident ---------------------------------------------------------------------------

/** An observable as an incident keeps it: when it was first and last seen, and where it came from. */
export interface ObservableRecord extends ObservableRef {
  firstSeen: string;
  lastSeen: string;
  /** The alert that first brought it, when an alert did. */
  alertId?: string;
  /** The person who added it by hand, when one did. */
  addedBy?: string;
}

/** How many observables an incident's state keeps; the observables table keeps every one. */
export const OBSERVABLES_KEPT = 500;

/**
 * Adds what is new (up to the cap) and moves `lastSeen` of what was seen before; a stricter
 * marking wins. Returns the same array when nothing changed.
 */
export function mergeObservables(
  kept: readonly ObservableRecord[],
  incoming: readonly ObservableRef[],
  seen: { at: string; alertId?: string; addedBy?: string },
): readonly ObservableRecord[] {
  if (incoming.length === 0) return kept;
  const index = new Map(kept.map((o, i) => [observableKey(o), i]));
  const merged = [...kept];
  let changed = false;
  for (const o of incoming) {
    const i = index.get(observableKey(o));
    if (i === undefined) {
      if (merged.length >= OBSERVABLES_KEPT) continue;
      index.set(observableKey(o), merged.length);
      merged.push({ ...o, firstSeen: seen.at, lastSeen: seen.at, ...(seen.alertId ? { alertId: seen.alertId } : {}), ...(seen.addedBy ? { addedBy: seen.addedBy } : {}) });
      changed = true;
      continue;
    }
    const before = merged[i]!;
    const lastSeen = seen.at > before.lastSeen ? seen.at : before.lastSeen;
    const tlp = stricterTlp(before.tlp, o.tlp);
    if (lastSeen !== before.lastSeen || tlp !== before.tlp) {
      merged[i] = { ...before, lastSeen, tlp };
      changed = true;
    }
  }
  return changed ? merged : kept;
}

/** Why an analyst's observable cannot be added, if it cannot. */
export function observableAdditionRejection(kept: readonly ObservableRecord[], addition: ObservableRef, incidentId: string): string | undefined {
  const existing = kept.find((o) => o.kind === addition.kind && o.value === addition.value);
  if (existing) return `${addition.kind} ${addition.value} is already on incident ${incidentId} (first seen ${existing.firstSeen})`;
  if (kept.length >= OBSERVABLES_KEPT) return `incident ${incidentId} holds the most observables it keeps (${OBSERVABLES_KEPT})`;
  return undefined;
}

// --- correlation -------------------------------------------------------------------------------

/** Another incident that saw the same observable, as each of the two incidents records it. */
export interface IncidentRelation {
  incidentId: string;
  kind: ObservableKind;
  value: string;
  /** The alert whose observable revealed the relation. */
  alertId: string;
  at: string;
}

/** What an incident is told when an alert shows it shares observables with another open incident. */
export interface RelatedIncidentNotice {
  incidentId: string;
  alertId: string;
  shared: Array<{ kind: ObservableKind; value: string }>;
  at: string;
}

/** How many relations an incident's state keeps (a value seen everywhere would otherwise grow it without end). */
export const RELATIONS_KEPT = 200;

/** The relations the notice adds (one per shared observable not yet related to that incident). */
export function newRelations(kept: readonly IncidentRelation[], notice: RelatedIncidentNotice): IncidentRelation[] {
  const known = new Set(kept.map((r) => `${r.incidentId}\u0000${observableKey(r)}`));
  const added: IncidentRelation[] = [];
  for (const s of notice.shared) {
    const key = `${notice.incidentId}\u0000${observableKey(s)}`;
    if (known.has(key) || kept.length + added.length >= RELATIONS_KEPT) continue;
    known.add(key);
    added.push({ incidentId: notice.incidentId, kind: s.kind, value: s.value, alertId: notice.alertId, at: notice.at });
  }
  return added;
}
