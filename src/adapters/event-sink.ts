import { CloudEvent, HTTP } from 'cloudevents';
import { LIFECYCLE_EVENT_SOURCE, SEQUENCE_ATTRIBUTE, type SequencedLifecycleEvent } from '../domain/lifecycle-events';
import type { EventSink, EventSinkAnswer } from './ports';
import { signature, SIGNATURE_HEADER, TIMESTAMP_HEADER, type WebhookTarget } from './webhook';

/** A lifecycle event as a CloudEvents 1.0 event; the same outbox row always gives the same event. */
export function toCloudEvent(event: SequencedLifecycleEvent): CloudEvent<Record<string, unknown>> {
  return new CloudEvent<Record<string, unknown>>({
    specversion: '1.0',
    id: event.id,
    source: LIFECYCLE_EVENT_SOURCE,
    type: event.type,
    subject: event.incidentId,
    time: event.time,
    datacontenttype: 'application/json',
    data: event.data,
    [SEQUENCE_ATTRIBUTE]: event.sequence,
  });
}

/** Answers worth trying again: the receiver is busy or timed out, not refusing the event. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * The event sink over HTTP: CloudEvents structured mode (`application/cloudevents+json`), signed
 * like every other webhook (X-Firebreak-Timestamp, X-Firebreak-Signature over "<timestamp>.<body>").
 */
export function httpEventSink(target: WebhookTarget): EventSink {
  return {
    async deliver(event): Promise<EventSinkAnswer> {
      const message = HTTP.structured(toCloudEvent(event));
      const body = String(message.body);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': String(message.headers['content-type']),
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signature(target.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { outcome: 'delivered' };
      if (response.status >= 400 && response.status < 500 && !RETRYABLE_4XX.has(response.status)) {
        return { outcome: 'refused', status: response.status, reason: `event sink refused with ${response.status}: ${text.slice(0, 200)}` };
      }
      throw new Error(`event sink answered ${response.status}: ${text.slice(0, 200)}`);
    },
  };
}
