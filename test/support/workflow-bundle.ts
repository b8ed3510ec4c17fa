import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { incidentWorkflowsPath } from '../../src/worker/incident-worker';

const cache = globalThis as { __firebreakBundle?: Promise<WorkflowBundleWithSourceMap> };

/** Bundling takes seconds; suites in one process share a single bundle of the workflows. */
export function incidentWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cache.__firebreakBundle ??= bundleWorkflowCode({ workflowsPath: incidentWorkflowsPath(), logger: quietLogger });
  return cache.__firebreakBundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
