import type { AssetKind } from './asset';
import { SEVERITIES, type Severity } from './severity';

/**
 * What an API key may report, set when it is issued. `null` means "any": keys issued before
 * constraints existed carry no limits and correlate across sources, so their incidents go on as
 * they were.
 */
export interface KeyConstraints {
  /** The alert sources the key may report for; null: any source. */
  sources: readonly string[] | null;
  /** Dedup keys join incidents of any source; otherwise they are scoped to the alert's source. */
  correlateAcrossSources: boolean;
  /** Alerts above it are recorded at it (the severity sent stays in the stored alert); null: no cap. */
  maxSeverity: Severity | null;
  /** The asset kinds its alerts may name; null: any kind. */
  assetKinds: readonly AssetKind[] | null;
}

/** A key with no constraints: people's keys, and integration keys issued before constraints existed. */
export const UNCONSTRAINED: KeyConstraints = { sources: null, correlateAcrossSources: true, maxSeverity: null, assetKinds: null };

export interface ConstraintViolation {
  /** The alert's field at fault, as validation names fields (`source`, `assets.2.kind`). */
  field: string;
  message: string;
}

interface ReportedAlert {
  source: string;
  severity: Severity;
  assets?: ReadonlyArray<{ kind: AssetKind }> | undefined;
}

/** Why the key may not report this alert at all, or undefined. A capped severity is not a violation. */
export function constraintViolation(constraints: KeyConstraints, alert: ReportedAlert): ConstraintViolation | undefined {
  if (constraints.sources && !constraints.sources.includes(alert.source)) {
    return { field: 'source', message: `this key reports only for ${constraints.sources.join(', ')}, not ${alert.source}` };
  }
  if (constraints.assetKinds) {
    const allowed = constraints.assetKinds;
    const at = (alert.assets ?? []).findIndex((a) => !allowed.includes(a.kind));
    if (at >= 0) return { field: `assets.${at}.kind`, message: `this key may name only ${allowed.join(', ')} assets, not ${alert.assets![at]!.kind}` };
  }
  return undefined;
}

/** `critical` is the highest: a lower index is a higher severity. */
const rank = (severity: Severity) => SEVERITIES.indexOf(severity);

/** The severity an alert is recorded at: the one sent, or the key's cap when it sent more. */
export function cappedSeverity(constraints: KeyConstraints, severity: Severity): Severity {
  const cap = constraints.maxSeverity;
  return cap !== null && rank(severity) < rank(cap) ? cap : severity;
}

/**
 * The dedup key an alert's incident is found by. Scoped keys prefix the source and a space, which
 * neither a source nor a dedup key can contain (both are printable ASCII without spaces), so a
 * scoped key never reaches an incident of another source, nor one opened by a correlating key.
 */
export function incidentDedupKey(constraints: KeyConstraints, source: string, dedupKey: string): string {
  return constraints.correlateAcrossSources ? dedupKey : `${source} ${dedupKey}`;
}
