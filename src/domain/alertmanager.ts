import { z } from 'zod';
import { type Alert, AlertSchema, MAX_LABEL_VALUE, MAX_LABELS } from './alert-schema';
import type { Severity } from './severity';
import { identifier, storableString } from './text';

/**
 * The Prometheus Alertmanager webhook payload, version "4"
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 *
 * Objects use `z.object`, not `z.strictObject`: Alertmanager adds fields within version 4
 * (`truncatedAlerts` arrived that way), and rejecting a whole notification over a field we
 * do not read would drop real alerts. Unknown keys are stripped, so they never reach storage.
 * Everything we keep is bounded, because the sender is a network peer.
 */

export const ALERTMANAGER_SOURCE = 'alertmanager';

const MAX_MAP_ENTRIES = 100;
const MAX_ALERTS = 1_000;

/** Label and annotation maps: bounded keys, values and entry count. */
const stringMap = z
  .record(storableString(256).min(1), storableString(4_096))
  .refine((m) => Object.keys(m).length <= MAX_MAP_ENTRIES, { message: `at most ${MAX_MAP_ENTRIES} entries` })
  .meta({ maxProperties: MAX_MAP_ENTRIES });

// Alertmanager writes Go RFC3339Nano timestamps, always with `Z` or an offset. The length cap
// keeps `sourceRef` (fingerprint:startsAt:resolved) inside its 256-character limit, since
// zod's datetime check allows any number of fractional digits.
const timestamp = z.iso.datetime({ offset: true }).max(64);

const status = z.enum(['firing', 'resolved']);

export const AlertmanagerAlertSchema = z.object({
  status,
  labels: stringMap,
  annotations: stringMap,
  startsAt: timestamp,
  // "0001-01-01T00:00:00Z" (Go's zero time) for alerts with no end yet; it is a valid datetime.
  endsAt: timestamp,
  // Empty when the alert did not come from Prometheus (e.g. posted to the Alertmanager API).
  // Prometheus puts the URL-encoded rule expression in it, so it can be long.
  generatorURL: storableString(8_192),
  // Alertmanager's fingerprint is 16 hex digits; it becomes the dedup key, so keep it tight.
  fingerprint: z.string().regex(/^[0-9a-zA-Z]{1,64}$/, 'must be 1 to 64 letters or digits'),
});

export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  // Built from the route's matchers and group labels, so it can carry many label pairs.
  groupKey: storableString(8_192),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status,
  receiver: storableString(256),
  groupLabels: stringMap,
  commonLabels: stringMap,
  commonAnnotations: stringMap,
  externalURL: storableString(2_048),
  alerts: z.array(AlertmanagerAlertSchema).max(MAX_ALERTS),
});

export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

const SEVERITY_BY_LABEL: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  page: 'critical',
  emergency: 'critical',
  p1: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  p2: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  minor: 'medium',
  p3: 'medium',
  info: 'low',
  informational: 'low',
  low: 'low',
  none: 'low',
  p4: 'low',
  p5: 'low',
};

/** Maps the conventional `severity` label to a Firebreak severity; unknown or missing is `medium`. */
export function severityFromLabel(label: string | undefined): Severity {
  if (label === undefined) return 'medium';
  const key = label.trim().toLowerCase();
  // hasOwn, not `in`: a label like "constructor" must not reach Object.prototype.
  return Object.hasOwn(SEVERITY_BY_LABEL, key) ? (SEVERITY_BY_LABEL[key] ?? 'medium') : 'medium';
}

// C0 controls other than \t \n \r, DEL, and the C1 block: AlertSchema rejects the first two,
// and C1 characters are as invisible and confusing in a title.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Cuts to `max` UTF-16 units without leaving half a surrogate pair behind. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const head = s.slice(0, max);
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

/** Free text made fit for AlertSchema's `boundedText`; undefined when nothing is left. */
function cleanText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  // Trim again after cutting: the cut may end on whitespace, which boundedText would trim anyway.
  const cleaned = cut(value.replace(CONTROL_CHARS, ' ').trim(), max).trim();
  return cleaned.length > 0 ? cleaned : undefined;
}

/** A title is one line: a summary written over several becomes one, its line breaks spaces. */
function cleanTitle(value: string | undefined): string | undefined {
  return cleanText(value?.replace(/[\r\n]+/g, ' '), 300);
}

const hostIdentifier = identifier(256);
const categoryIdentifier = identifier(100);

/**
 * The host named by a Prometheus `instance` label, without its port.
 * "api-3:9100" → "api-3", "[2001:db8::1]:9100" → "2001:db8::1". A bare IPv6 address
 * ("2001:db8::1") is kept whole: its last group is not a port.
 */
function hostFromInstance(instance: string): string | undefined {
  let host = instance;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed) host = bracketed[1] ?? '';
  else if (instance.indexOf(':') === instance.lastIndexOf(':')) host = instance.replace(/:\d+$/, '');
  host = cut(host, 256);
  return hostIdentifier.safeParse(host).success ? host : undefined;
}

/** Labels that say most about an alert, kept first when an alert has more labels than fit. */
const LEADING_LABELS = ['alertname', 'severity', 'instance', 'job', 'namespace', 'service', 'pod', 'container', 'node', 'cluster', 'team'];
const labelKey = identifier(128);

/**
 * The labels shown on the alert: the well-known ones first, then the rest by name, at most
 * MAX_LABELS, each value cut to MAX_LABEL_VALUE. All of them stay in the alert's raw payload.
 */
function shownLabels(labels: Record<string, string>): Record<string, string> | undefined {
  const rank = (key: string) => (LEADING_LABELS.includes(key) ? LEADING_LABELS.indexOf(key) : LEADING_LABELS.length);
  const keys = Object.keys(labels)
    .filter((key) => labelKey.safeParse(key).success)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_LABELS);
  return keys.length ? Object.fromEntries(keys.map((key) => [key, cut(labels[key] ?? '', MAX_LABEL_VALUE)])) : undefined;
}

/** One Alertmanager alert as a Firebreak alert, with the status it was sent in. */
export function toFirebreakAlert(alert: AlertmanagerAlert): { alert: Alert; status: 'firing' | 'resolved' } {
  const { labels, annotations, fingerprint, startsAt, status: alertStatus } = alert;

  // An empty or whitespace-only annotation (a template that rendered nothing) falls through
  // to the next candidate, so the title is never empty.
  const title =
    cleanTitle(annotations.summary) ??
    cleanTitle(annotations.title) ??
    cleanTitle(labels.alertname) ??
    'Alertmanager alert';

  const description = cleanText(annotations.description, 10_000);
  const category = categoryIdentifier.safeParse(labels.category).success ? labels.category : undefined;
  const host = labels.instance === undefined ? undefined : hostFromInstance(labels.instance);
  const shown = shownLabels(labels);

  // startsAt identifies the firing episode: Alertmanager repeats a notification with the same
  // startsAt, so repeats collapse onto one alert, and the resolution is recorded once more.
  const sourceRef = alertStatus === 'firing' ? `${fingerprint}:${startsAt}` : `${fingerprint}:${startsAt}:resolved`;

  const candidate: Alert = {
    source: ALERTMANAGER_SOURCE,
    sourceRef,
    title,
    ...(description !== undefined && { description }),
    severity: severityFromLabel(labels.severity),
    ...(category !== undefined && { category }),
    // The contract: an alert's fingerprint is its dedup key, so every episode of it lands on one incident.
    dedupKey: fingerprint,
    occurredAt: startsAt,
    ...(host !== undefined && { assets: [{ kind: 'host' as const, id: host }] }),
    ...(shown !== undefined && { labels: shown }),
    raw: { labels, annotations, generatorURL: alert.generatorURL, status: alertStatus },
  };

  // Parse here so a mapping bug fails at the mapping, not later at the alert endpoint.
  return { alert: AlertSchema.parse(candidate), status: alertStatus };
}
