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
