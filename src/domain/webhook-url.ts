/**
 * Where a signed webhook may go: https anywhere, plain http only to this machine (a receiver
 * beside the worker, or a test's). Anything else would carry incident details and signatures in
 * clear text over the network.
 */

/** `localhost`, 127.0.0.0/8 and ::1: names and addresses that never leave the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why `url` may not receive webhooks, or undefined when it may. */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') return isLoopbackHost(parsed.hostname) ? undefined : 'must be an https URL (plain http only to a loopback host: localhost, 127.0.0.0/8, ::1)';
  return 'must be an https URL';
}
