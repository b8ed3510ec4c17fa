import pino from 'pino';
import { coreLogLevel, sdkLoggerOver } from '../../src/temporal/runtime-logging';

/** A pino logger whose lines are kept, parsed: a line that is not JSON fails the test where it is read. */
function capturedLogger(level: string) {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level, name: 'firebreak-test' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe("the Temporal SDK's log lines, through the process's own logger", () => {
  it('writes each SDK line as the process’s JSON line, at its level, with the SDK’s fields beside the message', () => {
    const { logger, lines } = capturedLogger('info');
    const sdk = sdkLoggerOver(logger);
    sdk.info('Worker state changed', { sdkComponent: 'worker', taskQueue: 'incidents', state: 'RUNNING' });
    sdk.log('WARN', 'poll failed', { sdkComponent: 'core', level: 'WARN', msg: 'kept' });
    sdk.error('activity failed');
    sdk.debug('below the threshold');
    sdk.trace('below the threshold');

    expect(lines).toEqual([
      expect.objectContaining({ level: 30, name: 'firebreak-test', component: 'temporal-sdk', msg: 'Worker state changed', sdkComponent: 'worker', taskQueue: 'incidents', state: 'RUNNING' }),
      // A field named as one pino writes keeps its value under its own name, and pino's stay pino's.
      expect.objectContaining({ level: 40, msg: 'poll failed', sdkComponent: 'core', sdk_level: 'WARN', sdk_msg: 'kept' }),
      expect.objectContaining({ level: 50, msg: 'activity failed', component: 'temporal-sdk' }),
    ]);
  });

  it('lets the core log at warn unless LOG_LEVEL is quieter', () => {
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].map((level) => coreLogLevel(level as never))).toEqual(['WARN', 'WARN', 'WARN', 'WARN', 'ERROR', 'ERROR', 'ERROR']);
  });
});
