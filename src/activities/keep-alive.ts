import { Context } from '@temporalio/activity';

/** How often a long adapter call tells Temporal its worker is alive; well inside ADAPTER_HEARTBEAT_TIMEOUT. */
const KEEP_ALIVE_MS = 5_000;

/**
 * Heartbeats while an outside system works on a request, so that when the worker dies mid-call
 * Temporal retries the activity on another worker after the heartbeat timeout, not after the
 * (much longer) start-to-close timeout.
 */
export async function keepAlive<T>(work: Promise<T>, details?: unknown): Promise<T> {
  const context = Context.current();
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), KEEP_ALIVE_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
