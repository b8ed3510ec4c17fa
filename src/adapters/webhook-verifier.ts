import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, webhookSecrets, type WebhookSecrets } from './webhook-signing';

/**
 * For receivers: checks a Firebreak webhook or lifecycle event before its body is parsed. The
 * signature is compared in constant time (by the Standard Webhooks library), the timestamp must
 * be within 5 minutes of the receiver's clock, and every secret the receiver holds is tried, so a
 * rotation needs no coordinated switch. Give it the raw body, exactly as received.
 */

export type WebhookVerdict =
  | { verified: true; /** The id of the receiver's secret that matched. */ keyId: string; id: string; timestamp: number }
  | { verified: false; reason: 'missing headers' | 'timestamp too old' | 'timestamp too new' | 'invalid timestamp' | 'no matching signature' };

/** Node's `req.headers`, a fetch `Headers`, or a plain object; names in any case. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface WebhookVerifier {
  verify(rawBody: string | Buffer, headers: WebhookHeaders): WebhookVerdict;
}

/** The tolerance the Standard Webhooks library applies, either way (old or from the future). */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** `secrets` as in the sender's variables: `<keyId>:<secret>[,…]` (or one secret), or parsed already. */
export function createWebhookVerifier(secrets: WebhookSecrets): WebhookVerifier {
  const keys = webhookSecrets(secrets).map((s) => ({ keyId: s.keyId, webhook: new Webhook(s.key, { format: 'raw' }) }));
  return {
    verify(rawBody, headers) {
      const h = {
        [WEBHOOK_ID_HEADER]: header(headers, WEBHOOK_ID_HEADER),
        [WEBHOOK_TIMESTAMP_HEADER]: header(headers, WEBHOOK_TIMESTAMP_HEADER),
        [WEBHOOK_SIGNATURE_HEADER]: header(headers, WEBHOOK_SIGNATURE_HEADER),
      };
      if (!h[WEBHOOK_ID_HEADER] || !h[WEBHOOK_TIMESTAMP_HEADER] || !h[WEBHOOK_SIGNATURE_HEADER]) return { verified: false, reason: 'missing headers' };
      const timestamp = h[WEBHOOK_TIMESTAMP_HEADER];
      if (!/^\d{1,12}$/.test(timestamp)) return { verified: false, reason: 'invalid timestamp' };
      for (const { keyId, webhook } of keys) {
        try {
          webhook.verify(rawBody, h as Record<string, string>, { jsonParse: false });
          return { verified: true, keyId, id: h[WEBHOOK_ID_HEADER], timestamp: Number(timestamp) };
        } catch (err) {
          if (!(err instanceof WebhookVerificationError)) throw err;
          // The timestamp is judged before any signature: the same for every secret.
          if (/too old/.test(err.message)) return { verified: false, reason: 'timestamp too old' };
          if (/too new/.test(err.message)) return { verified: false, reason: 'timestamp too new' };
        }
      }
      return { verified: false, reason: 'no matching signature' };
    },
  };
}

/** One header's value; a header sent twice is not trusted. */
function header(headers: WebhookHeaders, name: string): string {
  if (typeof (headers as Partial<Headers>).get === 'function') return (headers as Headers).get(name) ?? '';
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' ? value : '';
}
