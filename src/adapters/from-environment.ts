import type { Pool } from 'pg';
import { dryRunAdapters } from './dry-run';
import { loadConfig } from '../config';
import { httpEventSink } from './event-sink';
import type { Adapters } from './ports';
import { webhookAdapters, type WebhookTarget } from './webhook';

const URL_VARIABLES = {
  notifier: 'FIREBREAK_NOTIFY_WEBHOOK_URL',
  containment: 'FIREBREAK_CONTAINMENT_WEBHOOK_URL',
  forensics: 'FIREBREAK_FORENSICS_WEBHOOK_URL',
  scanner: 'FIREBREAK_SCANNER_WEBHOOK_URL',
} as const;

/**
 * Dry-run for every adapter unless its webhook URL is set; webhooks are signed with
 * FIREBREAK_WEBHOOK_SECRET, which must then be set too. Lifecycle events go to EVENT_SINK_URL,
 * signed with EVENT_SINK_SECRET; without a URL there is no sink.
 */
export function adaptersFromEnvironment(pool: Pool, env: NodeJS.ProcessEnv = process.env): Adapters {
  const adapters = dryRunAdapters(pool);
  const target = (name: keyof typeof URL_VARIABLES): WebhookTarget | undefined => {
    const url = env[URL_VARIABLES[name]];
    if (!url) return undefined;
    const secret = env.FIREBREAK_WEBHOOK_SECRET;
    if (!secret || secret.length < 16) throw new Error(`${URL_VARIABLES[name]} is set: FIREBREAK_WEBHOOK_SECRET must be set too (16+ characters)`);
    return { url, secret };
  };
  const notifier = target('notifier');
  const containment = target('containment');
  const forensics = target('forensics');
  const scanner = target('scanner');
  const eventSink = eventSinkTarget(env);
  return {
    ...(eventSink ? { eventSink: httpEventSink(eventSink) } : {}),
    notifier: notifier ? webhookAdapters.notifier(notifier) : adapters.notifier,
    containment: containment ? webhookAdapters.containment(containment) : adapters.containment,
    forensics: forensics ? webhookAdapters.forensics(forensics) : adapters.forensics,
    scanner: scanner ? webhookAdapters.scanner(scanner) : adapters.scanner,
  };
}

function eventSinkTarget(env: NodeJS.ProcessEnv): WebhookTarget | undefined {
  if (!env.EVENT_SINK_URL) return undefined;
  // The same rules as the process configuration (an http(s) URL, a secret of 16+ characters).
  return loadConfig({ DATABASE_URL: 'unused', ...env }).eventSink;
}
