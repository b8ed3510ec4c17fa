import { DefaultLogger, Runtime } from '@temporalio/worker';

/**
 * Errors only, from the SDK and from its core: a loaded benchmark makes the core warn about every
 * slow workflow task, which would bury the results it prints.
 */
export function installQuietRuntime(): void {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
}
