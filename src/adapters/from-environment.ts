import type { Pool } from 'pg';
import { dryRunAdapters } from './dry-run';
import { loadConfig } from '../config';
import { httpEventSink } from './event-sink';
import type { Adapters } from './ports';
import { webhookAdapters, signedEndpoint, type SignedEndpoint, type WebhookTarget } from './webhook';
import { parseWebhookSecrets, type WebhookSecret } from './webhook-signing';

/** The secret every adapter signs with unless it has its own. */
export const DEFAULT_SECRET_VARIABLE = 'FIREBREAK_WEBHOOK_SECRET';

const WEBHOOK_VARIABLES = {
  notifier: { url: 'FIREBREAK_NOTIFY_WEBHOOK_URL', secret: 'FIREBREAK_NOTIFY_WEBHOOK_SECRET' },
  containment: { url: 'FIREBREAK_CONTAINMENT_WEBHOOK_URL', secret: 'FIREBREAK_CONTAINMENT_WEBHOOK_SECRET' },
  forensics: { url: 'FIREBREAK_FORENSICS_WEBHOOK_URL', secret: 'FIREBREAK_FORENSICS_WEBHOOK_SECRET' },
  scanner: { url: 'FIREBREAK_SCANNER_WEBHOOK_URL', secret: 'FIREBREAK_SCANNER_WEBHOOK_SECRET' },
} as const;

/** Playbooks' webhook steps: their URLs are in the playbooks, their secret here. */
export const PLAYBOOK_SECRET_VARIABLE = 'FIREBREAK_PLAYBOOK_WEBHOOK_SECRET';

/**
 * Dry-run for every adapter unless its webhook URL is set. Each webhook signs with its own
 * secrets (FIREBREAK_<ADAPTER>_WEBHOOK_SECRET) or, without them, FIREBREAK_WEBHOOK_SECRET; one of
 * the two must then be set. Lifecycle events go to EVENT_SINK_URL, signed with EVENT_SINK_SECRET;
 * without a URL there is no sink. A URL must be https, or http to a loopback host. Fails at start,
 * naming the variable, rather than send a request that cannot be trusted.
 */
export function adaptersFromEnvironment(pool: Pool, env: NodeJS.ProcessEnv = process.env): Adapters {
  const adapters = dryRunAdapters(pool);
  const endpoint = (name: keyof typeof WEBHOOK_VARIABLES): SignedEndpoint | undefined => {
    const variables = WEBHOOK_VARIABLES[name];
    const url = env[variables.url];
    if (!url) return undefined;
    const secret = adapterSecret(env, variables.secret);
    if (!secret) throw new Error(`${variables.url} is set: ${variables.secret} or ${DEFAULT_SECRET_VARIABLE} must be set too`);
    return signedEndpoint({ url, secret: secret.text }, { url: variables.url, secret: secret.variable });
  };
  const notifier = endpoint('notifier');
  const containment = endpoint('containment');
  const forensics = endpoint('forensics');
  const scanner = endpoint('scanner');
  const eventSink = eventSinkTarget(env);
  return {
    ...(eventSink ? { eventSink: httpEventSink(eventSink) } : {}),
    notifier: notifier ? webhookAdapters.notifier(notifier) : adapters.notifier,
    containment: containment ? webhookAdapters.containment(containment) : adapters.containment,
    forensics: forensics ? webhookAdapters.forensics(forensics) : adapters.forensics,
    scanner: scanner ? webhookAdapters.scanner(scanner) : adapters.scanner,
  };
}

/**
 * The secrets playbooks' webhook steps sign with: FIREBREAK_PLAYBOOK_WEBHOOK_SECRET, else
 * FIREBREAK_WEBHOOK_SECRET; none, and webhook steps fail for good rather than send unsigned.
 */
export function playbookWebhookSecrets(env: NodeJS.ProcessEnv = process.env): WebhookSecret[] | undefined {
  const secret = adapterSecret(env, PLAYBOOK_SECRET_VARIABLE);
  return secret ? parseWebhookSecrets(secret.variable, secret.text) : undefined;
}

function adapterSecret(env: NodeJS.ProcessEnv, own: string): { variable: string; text: string } | undefined {
  if (env[own]) return { variable: own, text: env[own] };
  const shared = env[DEFAULT_SECRET_VARIABLE];
  return shared ? { variable: DEFAULT_SECRET_VARIABLE, text: shared } : undefined;
}

function eventSinkTarget(env: NodeJS.ProcessEnv): WebhookTarget | undefined {
  if (!env.EVENT_SINK_URL) return undefined;
  // The same rules as the process configuration (https or loopback http, secrets that parse).
  return loadConfig({ DATABASE_URL: 'unused', ...env }).eventSink;
}
