import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { signature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../adapters/webhook';
import { keepAlive } from './keep-alive';

/** A playbook's generic webhook action: one signed POST to the URL its step names. */
export interface WebhookActionRequest {
  incidentId: string;
  stepId: string;
  url: string;
  /** The step's parameters, without `url`. */
  params: Record<string, unknown>;
  /** Which start of the step this is (1 the first time; a step is started again after its escalation). */
  attempt: number;
}

export interface WebhookActionResult {
  status: number;
  /** The receiver's answer when it is a JSON object of at most ANSWER_KEPT_BYTES: it becomes the step's outcome. */
  answer?: Record<string, unknown>;
}

export interface WebhookActionActivities {
  /**
   * POSTs `{incidentId, stepId, params}` signed like every other webhook, with
   * `Idempotency-Key: <incidentId>:<stepId>:<attempt>` (the same across the activity's retries; a
   * step started again after its escalation, once people fixed a refusal, is a new request). A 2xx is done; a 5xx, 408, 425, 429, a time-out or
   * an unreachable host fails for now (retried by the step's retry policy); any other answer is
   * final (non-retryable).
   */
  callWebhook(request: WebhookActionRequest): Promise<WebhookActionResult>;
}

export interface WebhookActionDependencies {
  /** The signing secret; without one the action fails for good rather than send unsigned requests. */
  secret: string | undefined;
  timeoutMs?: number;
}

export const ATTEMPT_HEADER = 'X-Firebreak-Attempt';
/** An answer is kept in the history as the step's outcome, so only a small one. */
export const ANSWER_KEPT_BYTES = 16_384;
/** Busy or timed out, not a refusal: as for the event sink. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

export function createWebhookActionActivities(deps: WebhookActionDependencies): WebhookActionActivities {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return {
    async callWebhook({ incidentId, stepId, url, params, attempt }) {
      const what = `webhook step "${stepId}"`;
      if (!deps.secret) throw ApplicationFailure.nonRetryable(`${what}: no webhook secret is configured (FIREBREAK_WEBHOOK_SECRET)`, 'WebhookNotConfigured');
      if (!isHttpUrl(url)) throw ApplicationFailure.nonRetryable(`${what}: ${JSON.stringify(url)} is not an http(s) URL`, 'WebhookBadRequest');
      const body = JSON.stringify({ incidentId, stepId, params });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const context = Context.current();
      let response: Response;
      try {
        response = await keepAlive(
          fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `${incidentId}:${stepId}:${attempt}`,
              [TIMESTAMP_HEADER]: timestamp,
              [SIGNATURE_HEADER]: signature(deps.secret, timestamp, body),
              [ATTEMPT_HEADER]: String(attempt),
            },
            body,
            // A redirect is not followed: the signed request goes only where the playbook says.
            redirect: 'manual',
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), context.cancellationSignal]),
          }),
          { stepId, attempt },
        );
      } catch (err) {
        const reason = (err as { name?: unknown } | undefined)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(err);
        throw ApplicationFailure.retryable(`${what}: ${reason}`, 'WebhookUnreachable');
      }
      const text = await response.text().catch(() => '');
      const status = response.status;
      if (status >= 200 && status < 300) return { status, ...answerOf(text) };
      const detail = `${what} answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      if (status >= 500 || RETRYABLE_4XX.has(status)) throw ApplicationFailure.retryable(detail, 'WebhookFailed');
      throw ApplicationFailure.nonRetryable(detail, 'WebhookRefused');
    },
  };
}

function answerOf(text: string): { answer?: Record<string, unknown> } {
  if (!text || Buffer.byteLength(text) > ANSWER_KEPT_BYTES) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { answer: parsed as Record<string, unknown> } : {};
  } catch {
    return {};
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * fetch says "fetch failed" and puts the reason (ECONNREFUSED, …) in `cause`. Read by shape, not
 * `instanceof`: fetch's errors may come from another realm (a test runner's, for one).
 */
function describe(err: unknown): string {
  const { message, cause } = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof message !== 'string') return String(err);
  const why = cause?.code ?? cause?.message;
  return typeof why === 'string' ? `${message} (${why})` : message;
}
