import { AlertSchema } from '../../src/domain/alert-schema';
import {
  ALERTMANAGER_SOURCE,
  type AlertmanagerAlert,
  AlertmanagerPayloadSchema,
  severityFromLabel,
  toFirebreakAlert,
} from '../../src/domain/alertmanager';

// Shaped after the version-4 example in the Alertmanager webhook_config documentation.
const firing = {
  status: 'firing',
  labels: { alertname: 'HighErrorRate', severity: 'critical', instance: 'api-3:9100', job: 'api' },
  annotations: {
    summary: 'High request error rate on api-3',
    description: '5xx responses are above 5% for 10 minutes.',
  },
  startsAt: '2026-03-01T10:00:00.123456789Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=rate%28http_errors_total%5B5m%5D%29+%3E+0.05&g0.tab=1',
  fingerprint: 'c5a3b2f1d4e6a7b8',
};

const resolved = {
  status: 'resolved',
  labels: { alertname: 'DiskFull', severity: 'warning', instance: 'db-1:9100', job: 'node' },
  annotations: { summary: 'Disk almost full on db-1' },
  startsAt: '2026-03-01T09:00:00+01:00',
  endsAt: '2026-03-01T09:30:00+01:00',
  generatorURL: '',
  fingerprint: '0f1e2d3c4b5a6978',
};

const payload = {
  version: '4',
  groupKey: '{}:{alertname="HighErrorRate"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'firebreak',
  groupLabels: { alertname: 'HighErrorRate' },
  commonLabels: { job: 'api' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts: [firing, resolved],
};

/** Parses one alert through the payload schema, as the webhook would. */
function parsedAlert(overrides: Record<string, unknown>): AlertmanagerAlert {
  const result = AlertmanagerPayloadSchema.parse({ ...payload, alerts: [{ ...firing, ...overrides }] });
  const [alert] = result.alerts;
  if (!alert) throw new Error('no alert parsed');
  return alert;
}

function issuePaths(body: unknown): string[] {
  const result = AlertmanagerPayloadSchema.safeParse(body);
  expect(result.success).toBe(false);
  return result.error?.issues.map((i) => i.path.join('.')) ?? [];
}

describe('the Alertmanager webhook payload', () => {
  it('accepts a version-4 payload with a firing and a resolved alert', () => {
    const parsed = AlertmanagerPayloadSchema.parse(payload);
    expect(parsed.alerts).toHaveLength(2);
    expect(parsed.alerts[0]?.fingerprint).toBe('c5a3b2f1d4e6a7b8');
    expect(parsed.alerts[1]?.status).toBe('resolved');
    expect(parsed.alerts[0]?.endsAt).toBe('0001-01-01T00:00:00Z');
  });

  it('strips fields a later Alertmanager may add instead of rejecting the notification', () => {
    const parsed = AlertmanagerPayloadSchema.parse({ ...payload, newField: 1, alerts: [{ ...firing, extra: true }] });
    expect(parsed).not.toHaveProperty('newField');
    expect(parsed.alerts[0]).not.toHaveProperty('extra');
  });

  it.each([
    ['version "3"', { ...payload, version: '3' }, 'version'],
    ['1,001 alerts', { ...payload, alerts: Array.from({ length: 1_001 }, () => firing) }, 'alerts'],
    ['a missing fingerprint', { ...payload, alerts: [{ ...firing, fingerprint: undefined }] }, 'alerts.0.fingerprint'],
    ['a fingerprint with punctuation', { ...payload, alerts: [{ ...firing, fingerprint: 'abc:def' }] }, 'alerts.0.fingerprint'],
    ['a 65-character fingerprint', { ...payload, alerts: [{ ...firing, fingerprint: 'a'.repeat(65) }] }, 'alerts.0.fingerprint'],
    [
      'a 5,000-character label value',
      { ...payload, alerts: [{ ...firing, labels: { ...firing.labels, job: 'x'.repeat(5_000) } }] },
      'alerts.0.labels.job',
    ],
    [
      'a 257-character annotation key',
      { ...payload, alerts: [{ ...firing, annotations: { ['k'.repeat(257)]: 'v' } }] },
      // zod names the offending key itself in the path.
      `alerts.0.annotations.${'k'.repeat(257)}`,
    ],
    [
      '101 labels',
      { ...payload, alerts: [{ ...firing, labels: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, 'v'])) }] },
      'alerts.0.labels',
    ],
    ['an unknown alert status', { ...payload, alerts: [{ ...firing, status: 'pending' }] }, 'alerts.0.status'],
    ['a start time without an offset', { ...payload, alerts: [{ ...firing, startsAt: '2026-03-01T10:00:00' }] }, 'alerts.0.startsAt'],
  ])('rejects %s, naming the field', (_label, body, path) => {
    expect(issuePaths(body)).toContain(path);
  });
});

describe('severityFromLabel', () => {
  it.each([
    ['critical', 'critical'],
    ['CRITICAL', 'critical'],
    ['page', 'critical'],
    ['emergency', 'critical'],
    ['P1', 'critical'],
    ['high', 'high'],
    ['error', 'high'],
    ['Major', 'high'],
    ['p2', 'high'],
    ['warning', 'medium'],
    ['warn', 'medium'],
    ['medium', 'medium'],
    ['minor', 'medium'],
    ['p3', 'medium'],
    ['info', 'low'],
    ['Informational', 'low'],
    ['low', 'low'],
    ['none', 'low'],
    ['p4', 'low'],
    ['p5', 'low'],
    [undefined, 'medium'],
    ['', 'medium'],
    ['urgent', 'medium'],
    ['constructor', 'medium'],
  ])('maps %p to %s', (label, expected) => {
    expect(severityFromLabel(label)).toBe(expected);
  });
});

describe('toFirebreakAlert', () => {
  const [firingParsed, resolvedParsed] = AlertmanagerPayloadSchema.parse(payload).alerts;
  if (!firingParsed || !resolvedParsed) throw new Error('example payload did not parse');

  it('maps a firing alert field by field', () => {
    const { alert, status } = toFirebreakAlert(firingParsed);
    expect(status).toBe('firing');
    expect(alert).toEqual({
      source: ALERTMANAGER_SOURCE,
      sourceRef: 'c5a3b2f1d4e6a7b8:2026-03-01T10:00:00.123456789Z',
      title: 'High request error rate on api-3',
      description: '5xx responses are above 5% for 10 minutes.',
      severity: 'critical',
      dedupKey: 'c5a3b2f1d4e6a7b8',
      occurredAt: '2026-03-01T10:00:00.123456789Z',
      assets: [{ kind: 'host', id: 'api-3' }],
      labels: { alertname: 'HighErrorRate', severity: 'critical', instance: 'api-3:9100', job: 'api' },
      raw: {
        labels: firing.labels,
        annotations: firing.annotations,
        generatorURL: firing.generatorURL,
        status: 'firing',
      },
    });
    expect(ALERTMANAGER_SOURCE).toBe('alertmanager');
    expect(() => AlertSchema.parse(alert)).not.toThrow();
  });

  it('maps a resolved alert to its own source reference on the same dedup key', () => {
    const { alert, status } = toFirebreakAlert(resolvedParsed);
    expect(status).toBe('resolved');
    expect(alert).toEqual({
      source: 'alertmanager',
      sourceRef: '0f1e2d3c4b5a6978:2026-03-01T09:00:00+01:00:resolved',
      title: 'Disk almost full on db-1',
      severity: 'medium',
      dedupKey: '0f1e2d3c4b5a6978',
      occurredAt: '2026-03-01T09:00:00+01:00',
      assets: [{ kind: 'host', id: 'db-1' }],
      labels: resolved.labels,
      raw: { labels: resolved.labels, annotations: resolved.annotations, generatorURL: '', status: 'resolved' },
    });
  });

  it('keeps the labels to show on the alert: the well-known first, at most 32, long values cut', () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`z${String(i).padStart(2, '0')}`, 'v']));
    const { labels } = toFirebreakAlert(parsedAlert({ labels: { ...many, job: 'node', 'bad key': 'x', alertname: 'DiskFull', instance: 'db-1:9100', team: 'y'.repeat(600) } })).alert;
    expect(Object.keys(labels ?? {})).toHaveLength(32);
    expect(Object.keys(labels ?? {}).slice(0, 5)).toEqual(['alertname', 'instance', 'job', 'team', 'z00']);
    expect(labels?.team).toHaveLength(512);
    expect(labels).not.toHaveProperty('bad key');
    expect(toFirebreakAlert(parsedAlert({ labels: {} })).alert.labels).toBeUndefined();
  });

  it('gives the firing and resolved notifications of one episode distinct references and one dedup key', () => {
    const fired = toFirebreakAlert(parsedAlert({})).alert;
    const ended = toFirebreakAlert(parsedAlert({ status: 'resolved' })).alert;
    expect(fired.sourceRef).toBe('c5a3b2f1d4e6a7b8:2026-03-01T10:00:00.123456789Z');
    expect(ended.sourceRef).toBe('c5a3b2f1d4e6a7b8:2026-03-01T10:00:00.123456789Z:resolved');
    expect(ended.dedupKey).toBe(fired.dedupKey);
  });

  it('takes the title from summary, then title, then alertname, then a default', () => {
    const titleOf = (labels: Record<string, string>, annotations: Record<string, string>) =>
      toFirebreakAlert(parsedAlert({ labels, annotations })).alert.title;
    expect(titleOf({ alertname: 'A' }, { summary: 'S', title: 'T' })).toBe('S');
    expect(titleOf({ alertname: 'A' }, { title: 'T' })).toBe('T');
    expect(titleOf({ alertname: 'A' }, {})).toBe('A');
    expect(titleOf({}, {})).toBe('Alertmanager alert');
    // A template that rendered nothing does not leave the title empty.
    expect(titleOf({ alertname: 'A' }, { summary: '   ' })).toBe('A');
  });

  it('trims the title and cuts it to 300 characters', () => {
    const { title } = toFirebreakAlert(parsedAlert({ annotations: { summary: `  ${'x'.repeat(400)}  ` } })).alert;
    expect(title).toBe('x'.repeat(300));
  });

  it('replaces control characters in the title with spaces, keeping tab and newline', () => {
    const { title } = toFirebreakAlert(parsedAlert({ annotations: { summary: 'disk\u0007full\u001b[31m on\tdb-1\n' } })).alert;
    expect(title).toBe('disk full [31m on\tdb-1');
  });

  it('refuses U+0000, which PostgreSQL cannot store, naming the annotation', () => {
    const result = AlertmanagerPayloadSchema.safeParse({ ...payload, alerts: [{ ...firing, annotations: { summary: 'disk\u0000full' } }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['alerts', 0, 'annotations', 'summary']);
  });

  it('cuts the description to 10,000 characters and leaves it out when absent', () => {
    // The payload schema caps annotations at 4,096, so only a caller building the alert
    // itself can reach the cut; build it directly.
    const long = toFirebreakAlert({ ...firingParsed, annotations: { description: 'd'.repeat(12_000) } }).alert;
    expect(long.description).toBe('d'.repeat(10_000));
    const none = toFirebreakAlert(parsedAlert({ annotations: { summary: 'S' } })).alert;
    expect(none).not.toHaveProperty('description');
  });

  it('keeps a category label only when it is an identifier', () => {
    const categoryOf = (category: string) =>
      toFirebreakAlert(parsedAlert({ labels: { ...firing.labels, category } })).alert.category;
    expect(categoryOf('availability')).toBe('availability');
    expect(categoryOf('not an identifier')).toBeUndefined();
    expect(categoryOf('c'.repeat(101))).toBeUndefined();
    expect(toFirebreakAlert(firingParsed).alert).not.toHaveProperty('category');
  });

  it.each([
    ['api-3:9100', 'api-3'],
    ['10.0.0.7:9100', '10.0.0.7'],
    ['db-1', 'db-1'],
    ['[2001:db8::1]:9100', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
  ])('names host %p as asset %p', (instance, id) => {
    const { assets } = toFirebreakAlert(parsedAlert({ labels: { alertname: 'A', instance } })).alert;
    expect(assets).toEqual([{ kind: 'host', id }]);
  });

  it('cuts a long instance to 256 characters', () => {
    const { assets } = toFirebreakAlert(parsedAlert({ labels: { instance: `${'h'.repeat(300)}:9100` } })).alert;
    expect(assets).toEqual([{ kind: 'host', id: 'h'.repeat(256) }]);
  });

  it.each([
    ['a space', 'api 3:9100'],
    ['non-ASCII characters', 'höst:9100'],
    ['only a port', ':9100'],
  ])('names no asset for an instance with %s', (_label, instance) => {
    const { alert } = toFirebreakAlert(parsedAlert({ labels: { alertname: 'A', instance } }));
    expect(alert).not.toHaveProperty('assets');
  });

  it('names no asset without an instance label', () => {
    const { alert } = toFirebreakAlert(parsedAlert({ labels: { alertname: 'A' } }));
    expect(alert).not.toHaveProperty('assets');
  });
});
