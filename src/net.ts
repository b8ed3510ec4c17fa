import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral range on Linux; elsewhere, the range IANA suggests (49152–65535). */
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
const IANA_EPHEMERAL = { low: 49152, high: 65535 };
/**
 * Ports below this are left alone: well-known services, the ones developers run by habit, and the
 * stretch the Temporal server's own ports come from (`freeServerPort`, at most 32767), so that a
 * port chosen here never meets one chosen there before either is bound.
 */
const LOWEST_CHOSEN = 32_768;
const ATTEMPTS = 50;

export interface PortRange {
  low: number;
  high: number;
}

/** The kernel's ephemeral range from `ip_local_port_range`'s text ("32768\t60999"), or undefined if it does not read as one. */
export function parseEphemeralRange(text: string): PortRange | undefined {
  const fields = text.trim().split(/\s+/).map(Number);
  if (fields.length !== 2) return undefined;
  const [low, high] = fields as [number, number];
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1 || high > 65535 || low > high) return undefined;
  return { low, high };
}

/**
 * Where to choose a port that no outgoing connection and no other program's bind to port 0 can
 * be handed meanwhile: the larger stretch outside the ephemeral range, above 32767. Undefined when
 * that stretch is too small to choose from.
 */
export function rangeOutside(ephemeral: PortRange): PortRange | undefined {
  const below = { low: LOWEST_CHOSEN, high: ephemeral.low - 1 };
  const above = { low: Math.max(LOWEST_CHOSEN, ephemeral.high + 1), high: 65535 };
  const size = (r: PortRange) => r.high - r.low + 1;
  const larger = size(below) >= size(above) ? below : above;
  return size(larger) >= 1_000 ? larger : undefined;
}

/** The kernel's ephemeral range, or IANA's where it cannot be read. */
export function ephemeralRange(): PortRange {
  try {
    return parseEphemeralRange(readFileSync(EPHEMERAL_RANGE_FILE, 'utf8')) ?? IANA_EPHEMERAL;
  } catch {
    return IANA_EPHEMERAL;
  }
}

/** Ports this process has handed out, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for a server that a test or the
 * benchmarks start a moment later. It is chosen outside the kernel's ephemeral range: a port the
 * kernel picked for a bind to port 0 is one it may give the next outgoing connection or the next
 * program's bind to port 0, and in the seconds before the server binds it, one did (pitfall 63).
 */
export async function freePort(): Promise<number> {
  const range = rangeOutside(ephemeralRange());
  const port = range && (await randomFreePort(range, handedOut, ATTEMPTS));
  if (port === undefined) return kernelChosenPort();
  handedOut.add(port);
  return port;
}

/** A port drawn at random from `range`, not in `avoid`, that nothing listens on; undefined after `attempts` draws. */
export async function randomFreePort(range: PortRange, avoid: ReadonlySet<number>, attempts: number): Promise<number | undefined> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = range.low + Math.floor(Math.random() * (range.high - range.low + 1));
    if (!avoid.has(port) && (await isFree(port))) return port;
  }
  return undefined;
}

/** Whether nothing listens on 127.0.0.1:`port` now: a listener opens there (and is closed again). */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, attempt: () => Promise<T>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}
