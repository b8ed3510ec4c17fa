import { CloudEvent, HTTP } from 'cloudevents';
import { LIFECYCLE_EVENT_SOURCE, SEQUENCE_ATTRIBUTE, type SequencedLifecycleEvent } from '../domain/lifecycle-events';
import type { EventSink, EventSinkAnswer } from './ports';
import { excerpt, postSigned, signedEndpoint, type SignedEndpoint, type WebhookTarget } from './webhook';

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

/** The receiver's words are kept on a refused row; more than this is not read. */
const SINK_ANSWER_BYTES = 4_096;

/**
 * The event sink over HTTP: CloudEvents structured mode (`application/cloudevents+json`), signed
 * as Standard Webhooks says, like every other webhook; `webhook-id` is the event's id, the same on
 * every redelivery. A redirect is not followed: it fails the attempt (the event waits, with the
 * answer recorded, until the URL is fixed), as a 5xx does.
 */
export function httpEventSink(target: WebhookTarget | SignedEndpoint): EventSink {
  const endpoint = 'secrets' in target ? target : signedEndpoint({ maxAnswerBytes: SINK_ANSWER_BYTES, ...target }, { url: 'EVENT_SINK_URL', secret: 'EVENT_SINK_SECRET' });
  return {
    async deliver(event): Promise<EventSinkAnswer> {
      const message = HTTP.structured(toCloudEvent(event));
      const body = String(message.body);
      const answer = await postSigned(endpoint, { id: event.id, body, contentType: String(message.headers['content-type']) });
      const { status } = answer;
      if (status >= 200 && status < 300) return { outcome: 'delivered' };
      if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
        return { outcome: 'refused', status, reason: `event sink refused with ${status}${answer.text ? `: ${excerpt(answer.text)}` : ''}` };
      }
      if (status >= 300 && status < 400) throw new Error(`event sink answered ${status} (a redirect is not followed; fix EVENT_SINK_URL)`);
      throw new Error(`event sink answered ${status}${answer.text ? `: ${excerpt(answer.text)}` : ''}`);
    },
  };
}
