import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { sdkLogLevel, type LogLevel } from '../logger';

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const satisfies Record<SdkLogLevel, string>;

/** Keys pino writes itself: a field of the SDK's by one of these names is kept under `sdk_<name>`. */
const PINO_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

/**
 * The Temporal SDK's logger interface over a pino logger: its lines become the process's own JSON
 * lines, tagged `component: "temporal-sdk"`, with the SDK's fields (`sdkComponent`, `taskQueue`…)
 * beside the message. pino's level decides what is written.
 */
export function sdkLoggerOver(logger: Logger): SdkLogger {
  const sdk = logger.child({ component: 'temporal-sdk' });
  const log = (level: SdkLogLevel, message: string, meta?: LogMetadata) => {
    const pinoLevel = PINO_LEVEL[level];
    if (sdk.isLevelEnabled(pinoLevel)) sdk[pinoLevel](meta ? fieldsOf(meta) : {}, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

function fieldsOf(meta: LogMetadata): Record<string, unknown> {
  if (!Object.keys(meta).some((key) => PINO_KEYS.has(key))) return meta;
  return Object.fromEntries(Object.entries(meta).map(([key, value]) => [PINO_KEYS.has(key) ? `sdk_${key}` : key, value]));
}

/**
 * The level the SDK's Rust core logs at: LOG_LEVEL when it is warn or quieter, else warn. Below
 * warn the core reports its own machinery (each poll, each connection), which says nothing to an
 * operator; its warnings (a call retried, a poll that failed) come through unless LOG_LEVEL is
 * error or quieter.
 */
export function coreLogLevel(level: LogLevel): SdkLogLevel {
  const sdk = sdkLogLevel(level);
  return sdk === 'ERROR' ? 'ERROR' : 'WARN';
}

/**
 * Installs the process's Temporal runtime with every line the SDK logs, its Rust core's included,
 * written through `logger`: one JSON format on one stream, where the SDK's default writes plain
 * text to stderr. Call it first, before anything connects to Temporal or creates a worker (they
 * create the default runtime, and then this throws).
 */
export function installTemporalRuntimeLogging(logger: Logger, level: LogLevel): Runtime {
  const core = coreLogLevel(level);
  return Runtime.install({
    logger: sdkLoggerOver(logger),
    telemetryOptions: { logging: { forward: {}, filter: makeTelemetryFilterString({ core, other: core }) } },
  });
}
