import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { excerpt, postSigned, type WebhookAnswer } from '../adapters/webhook';
import type { WebhookSecret } from '../adapters/webhook-signing';
import { webhookUrlProblem } from '../domain/webhook-url';
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
   * POSTs `{incidentId, stepId, params}` signed like every other webhook (Standard Webhooks), with
   * `Idempotency-Key` and `webhook-id` both `<incidentId>:<stepId>:<attempt>` (the same across the
   * activity's retries; a step started again after its escalation, once people fixed a refusal, is
   * a new request). A 2xx is done; a 5xx, 408, 425, 429, a time-out or an unreachable host fails
   * for now (retried by the step's retry policy); any other answer, a redirect included (it is not
   * followed), is final (non-retryable). The URL must be https, or http to a loopback host.
   */
  callWebhook(request: WebhookActionRequest): Promise<WebhookActionResult>;
}

export interface WebhookActionDependencies {
  /** The signing secrets (each one signs); without any the action fails for good rather than send unsigned requests. */
  secrets: readonly WebhookSecret[] | undefined;
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
      if (!deps.secrets?.length) throw ApplicationFailure.nonRetryable(`${what}: no webhook secret is configured (FIREBREAK_PLAYBOOK_WEBHOOK_SECRET or FIREBREAK_WEBHOOK_SECRET)`, 'WebhookNotConfigured');
      const refused = webhookUrlProblem(url);
      if (refused) throw ApplicationFailure.nonRetryable(`${what}: ${JSON.stringify(url)} ${refused}`, 'WebhookBadRequest');
      const idempotencyKey = `${incidentId}:${stepId}:${attempt}`;
      const context = Context.current();
      let answer: WebhookAnswer;
      try {
        answer = await keepAlive(
          postSigned(
            { url, secrets: [...deps.secrets], timeoutMs, maxAnswerBytes: ANSWER_KEPT_BYTES + 1 },
            {
              id: idempotencyKey,
              body: JSON.stringify({ incidentId, stepId, params }),
              contentType: 'application/json',
              headers: { 'idempotency-key': idempotencyKey, [ATTEMPT_HEADER]: String(attempt) },
              signal: context.cancellationSignal,
            },
          ),
          { stepId, attempt },
        );
      } catch (err) {
        const reason = (err as { name?: unknown } | undefined)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describe(err);
        throw ApplicationFailure.retryable(`${what}: ${reason}`, 'WebhookUnreachable');
      }
      const { status, text } = answer;
      if (status >= 200 && status < 300) return { status, ...(answer.truncated ? {} : answerOf(text)) };
      const detail = `${what} answered ${status}${text ? `: ${excerpt(text)}` : ''}`;
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
