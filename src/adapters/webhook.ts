import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Adapters, AssetAction, CollectedArtifact, EvidenceRequest, Notification, PatchStatus } from './ports';

export const SIGNATURE_HEADER = 'X-Firebreak-Signature';
export const TIMESTAMP_HEADER = 'X-Firebreak-Timestamp';

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the receiver checks both and rejects old timestamps. */
export function signature(secret: string, timestamp: string, body: string): string {
  return 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export interface WebhookTarget {
  url: string;
  secret: string;
  timeoutMs?: number;
}

/**
 * POSTs a signed JSON action. A 2xx answer is success; a 4xx means the receiver refused this
 * request for good (non-retryable); a 5xx, a time-out or a network error is retried by the
 * activity's retry policy.
 */
export async function postAction(target: WebhookTarget, kind: string, idempotencyKey: string, payload: unknown): Promise<unknown> {
  const body = JSON.stringify({ kind, idempotencyKey, ...(payload as object) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const response = await fetch(target.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signature(target.secret, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
  });
  const text = await response.text();
  if (response.status >= 400 && response.status < 500) {
    throw ApplicationFailure.nonRetryable(`webhook ${kind} refused with ${response.status}: ${text.slice(0, 200)}`, 'WebhookRefused');
  }
  if (!response.ok) throw new Error(`webhook ${kind} failed with ${response.status}`);
  return text ? JSON.parse(text) : undefined;
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
  notifier: (t: WebhookTarget): Adapters['notifier'] => ({
    send: async (n: Notification) => void (await postAction(t, 'notify', n.idempotencyKey, n)),
  }),
  containment: (t: WebhookTarget): Adapters['containment'] => ({
    execute: async (a: AssetAction) => void (await postAction(t, 'asset_action', a.idempotencyKey, a)),
  }),
  forensics: (t: WebhookTarget): Adapters['forensics'] => ({
    collect: async (r: EvidenceRequest) => expectArtifact(await postAction(t, 'collect_evidence', r.idempotencyKey, r)),
  }),
  scanner: (t: WebhookTarget): Adapters['scanner'] => ({
    async patchStatus(r): Promise<PatchStatus> {
      const answer = (await postAction(t, 'patch_status', `patch:${r.incidentId}:${r.asset.kind}:${r.asset.id}:${Date.now()}`, r)) as Partial<PatchStatus> | undefined;
      if (typeof answer?.patched !== 'boolean') throw ApplicationFailure.nonRetryable('scanner webhook answered without {patched}', 'WebhookBadAnswer');
      return { patched: answer.patched, detail: typeof answer.detail === 'string' ? answer.detail : undefined };
    },
  }),
};
