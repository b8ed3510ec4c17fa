import { createHash } from 'node:crypto';

function digest(...parts: string[]): string {
  // NUL cannot occur in validated input, so it separates parts unambiguously.
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('hex').slice(0, 16);
}

/** One alert is one (source, sourceRef): the same pair always gets the same id. */
export function alertIdFor(source: string, sourceRef: string): string {
  return digest('alert', source, sourceRef);
}

/** Without an explicit dedup key an alert only deduplicates with itself. */
export function dedupKeyFor(alert: { source: string; sourceRef: string; dedupKey?: string | undefined }): string {
  return alert.dedupKey ?? `${alert.source}:${alert.sourceRef}`;
}

/**
 * Alerts sharing a dedup key share an incident id, so intake can `signalWithStart` on it. Once
 * that incident has closed, the key's next generation names the next incident.
 */
export function incidentIdFor(dedupKey: string, generation = 1): string {
  return generation === 1 ? digest('incident', dedupKey) : digest('incident', dedupKey, String(generation));
}

export const INCIDENT_ID_PATTERN = /^[0-9a-f]{16}$/;
