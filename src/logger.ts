import pino, { type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The LOG_LEVEL variable, checked: a misspelt level names the variable and the choices. */
export function logLevelFrom(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const level = env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  return level as LogLevel;
}

/** The Temporal SDK's name for the same threshold, so LOG_LEVEL quiets its lines too. */
export function sdkLogLevel(level: LogLevel): 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' {
  const map = { fatal: 'ERROR', error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG', trace: 'TRACE', silent: 'ERROR' } as const;
  return map[level];
}

export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, redact: ['req.headers.authorization', '*.token', '*.secret'] });
}

/**
 * The request headers a request's log line shows; every other header (Authorization, Cookie,
 * a proxy's or a client's own) is left out, so no credential or unknown value reaches the logs.
 */
export const LOGGED_REQUEST_HEADERS = [
  'accept',
  'content-length',
  'content-type',
  'host',
  'idempotency-key',
  'traceparent',
  'user-agent',
  'x-forwarded-for',
  'x-request-id',
] as const;

interface SerializedRequest {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  remoteAddress?: unknown;
  remotePort?: unknown;
  headers?: Record<string, unknown>;
}

/** pino-http's `req` serializer: the request line and address, with the allow-listed headers only. */
/**
 * Query parameters that are secrets of a sign-in in flight: the authorization code and state on
 * the OpenID callback (single-use, but a log is no place for them), tokens some providers send.
 */
const SECRET_QUERY_PARAMETERS = ['code', 'state', 'session_state', 'id_token', 'access_token', 'token'];

/** The URL as logged: secret query parameters keep their name, their value becomes `[redacted]`. */
export function loggedUrl(url: string | undefined): string | undefined {
  if (!url || !url.includes('?')) return url;
  const [path, query] = [url.slice(0, url.indexOf('?')), url.slice(url.indexOf('?') + 1)];
  const params = new URLSearchParams(query);
  let redacted = false;
  for (const name of SECRET_QUERY_PARAMETERS) {
    if (params.has(name)) {
      params.set(name, '[redacted]');
      redacted = true;
    }
  }
  return redacted ? `${path}?${params.toString()}` : url;
}

export function loggedRequest(req: SerializedRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS) {
    const value = req.headers?.[name];
    if (value !== undefined) headers[name] = value;
  }
  return { id: req.id, method: req.method, url: loggedUrl(typeof req.url === 'string' ? req.url : undefined), remoteAddress: req.remoteAddress, remotePort: req.remotePort, headers };
}
