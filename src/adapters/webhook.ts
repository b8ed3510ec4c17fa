import { ApplicationFailure } from '@temporalio/common';
import { webhookUrlProblem } from '../domain/webhook-url';
import type { Adapters, AssetAction, CollectedArtifact, EvidenceRequest, Notification, PatchStatus } from './ports';
import { webhookSecrets, webhookSignatureHeaders, type WebhookSecret, type WebhookSecrets } from './webhook-signing';

export interface WebhookTarget {
  /** https, or http to a loopback host. */
  url: string;
  /** The text of a secrets variable (`<keyId>:<secret>[,…]`, or one secret), or parsed secrets: each one signs. */
  secret: WebhookSecrets;
  timeoutMs?: number;
  /** The most of an answer that is read; the rest is not downloaded. */
  maxAnswerBytes?: number;
}

/** Answers are small JSON objects; a bigger one is cut off here, not read into memory. */
export const MAX_ANSWER_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/** What came back, with at most `maxAnswerBytes` of the body. */
export interface WebhookAnswer {
  status: number;
  text: string;
  /** The body went on past the cap. */
  truncated: boolean;
}

/** A target checked once: its URL allowed, its secrets parsed. */
export interface SignedEndpoint {
  url: string;
  secrets: WebhookSecret[];
  timeoutMs: number;
  maxAnswerBytes: number;
}

/** Refuses a URL that is not https (plain http only to loopback) and secrets that do not parse. */
export function signedEndpoint(target: WebhookTarget, names: { url?: string; secret?: string } = {}): SignedEndpoint {
  const problem = webhookUrlProblem(target.url);
  if (problem) throw new Error(`${names.url ?? 'the webhook URL'} ${problem}`);
  return {
    url: target.url,
    secrets: webhookSecrets(target.secret, names.secret),
    timeoutMs: target.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAnswerBytes: target.maxAnswerBytes ?? MAX_ANSWER_BYTES,
  };
}

export interface SignedPost {
  /** `webhook-id`: the same for every retry of one message, so the receiver can drop a repeat. */
  id: string;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
  /** Aborts the request besides the time-out (an activity's cancellation). */
  signal?: AbortSignal;
}

/**
 * POSTs one signed request. A redirect is not followed (the signed request goes only where it was
 * configured to; the 3xx is answered to the caller), and the answer is read up to the cap.
 * Rejects as fetch does on a refused connection or the time-out (`TimeoutError`).
 */
export async function postSigned(endpoint: SignedEndpoint, post: SignedPost): Promise<WebhookAnswer> {
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': post.contentType,
      ...post.headers,
      ...webhookSignatureHeaders(endpoint.secrets, post.id, post.body),
    },
    body: post.body,
    redirect: 'manual',
    signal: post.signal ? AbortSignal.any([timeout, post.signal]) : timeout,
  });
  return { status: response.status, ...(await readCapped(response, endpoint.maxAnswerBytes)) };
}

/** Reads at most `maxBytes` of the body and drops the connection's remainder. */
export async function readCapped(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

/** The first words of an answer, for an error message. */
export function excerpt(text: string): string {
  return text.slice(0, 200);
}

/**
 * POSTs a signed JSON action. A 2xx answer is success; a 3xx (not followed) or a 4xx means the
 * receiver refused this request for good (non-retryable); a 5xx, a time-out or a network error is
 * retried by the activity's retry policy.
 */
export async function postAction(target: WebhookTarget | SignedEndpoint, kind: string, idempotencyKey: string, payload: unknown): Promise<WebhookAnswer> {
  const endpoint = endpointOf(target);
  const body = JSON.stringify({ kind, idempotencyKey, ...(payload as object) });
  const answer = await postSigned(endpoint, { id: idempotencyKey, body, contentType: 'application/json', headers: { 'idempotency-key': idempotencyKey } });
  if (answer.status >= 300 && answer.status < 500) {
    const what = answer.status < 400 ? 'redirected (not followed) with' : 'refused with';
    throw ApplicationFailure.nonRetryable(`webhook ${kind} ${what} ${answer.status}: ${excerpt(answer.text)}`, 'WebhookRefused');
  }
  if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook ${kind} failed with ${answer.status}: ${excerpt(answer.text)}`);
  return answer;
}

/** The JSON a forensics or scanner webhook answers; one past the size cap or not JSON is refused for good. */
function jsonAnswer(kind: string, answer: WebhookAnswer, endpoint: SignedEndpoint): unknown {
  if (answer.truncated) throw ApplicationFailure.nonRetryable(`${kind} webhook answered more than ${endpoint.maxAnswerBytes} bytes`, 'WebhookBadAnswer');
  try {
    return answer.text ? JSON.parse(answer.text) : undefined;
  } catch {
    throw ApplicationFailure.nonRetryable(`${kind} webhook answered with something other than JSON`, 'WebhookBadAnswer');
  }
}

function endpointOf(target: WebhookTarget | SignedEndpoint): SignedEndpoint {
  return 'secrets' in target ? target : signedEndpoint(target);
}

function expectArtifact(answer: unknown): CollectedArtifact {
  const a = answer as Partial<CollectedArtifact> | undefined;
  if (!a || typeof a.location !== 'string' || typeof a.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(a.sha256) || typeof a.sizeBytes !== 'number') {
    throw ApplicationFailure.nonRetryable('forensics webhook answered without {location, sha256, sizeBytes}', 'WebhookBadAnswer');
  }
  return { location: a.location, sha256: a.sha256, sizeBytes: a.sizeBytes };
}

/** Each adapter as a webhook: real tools plug in behind a URL without code changes. */
export const webhookAdapters = {
  notifier: (t: WebhookTarget | SignedEndpoint): Adapters['notifier'] => {
    const endpoint = endpointOf(t);
    return { send: async (n: Notification) => void (await postAction(endpoint, 'notify', n.idempotencyKey, n)) };
  },
  containment: (t: WebhookTarget | SignedEndpoint): Adapters['containment'] => {
    const endpoint = endpointOf(t);
    return { execute: async (a: AssetAction) => void (await postAction(endpoint, 'asset_action', a.idempotencyKey, a)) };
  },
  forensics: (t: WebhookTarget | SignedEndpoint): Adapters['forensics'] => {
    const endpoint = endpointOf(t);
    return { collect: async (r: EvidenceRequest) => expectArtifact(jsonAnswer('forensics', await postAction(endpoint, 'collect_evidence', r.idempotencyKey, r), endpoint)) };
  },
  scanner: (t: WebhookTarget | SignedEndpoint): Adapters['scanner'] => {
    const endpoint = endpointOf(t);
    return {
      async patchStatus(r): Promise<PatchStatus> {
        const answered = await postAction(endpoint, 'patch_status', `patch:${r.incidentId}:${r.asset.kind}:${r.asset.id}:${Date.now()}`, r);
        const answer = jsonAnswer('scanner', answered, endpoint) as Partial<PatchStatus> | undefined;
        if (typeof answer?.patched !== 'boolean') throw ApplicationFailure.nonRetryable('scanner webhook answered without {patched}', 'WebhookBadAnswer');
        return { patched: answer.patched, detail: typeof answer.detail === 'string' ? answer.detail : undefined };
      },
    };
  },
};
