import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { incidentWorkflowsPath } from '../../src/worker/incident-worker';
import { bundleIncidentWorkflows } from '../../src/worker/workflow-bundle';
import type { DecisionKeyring } from '../../src/domain/decision-signature';
import { testKeyring } from './decision-keys';

const cache = globalThis as { __firebreakBundles?: Map<string, Promise<WorkflowBundleWithSourceMap>> };

/**
 * Bundling takes seconds; suites in one process share a single bundle of the workflows per keyring
 * (by default trusting the test key test-1).
 */
export function incidentWorkflowBundle(keyring: DecisionKeyring = testKeyring('test-1')): Promise<WorkflowBundleWithSourceMap> {
  cache.__firebreakBundles ??= new Map();
  const id = JSON.stringify(keyring);
  let bundle = cache.__firebreakBundles.get(id);
  if (!bundle) {
    bundle = bundleIncidentWorkflows({ workflowsPath: incidentWorkflowsPath(), keyring, logger: quietLogger });
    cache.__firebreakBundles.set(id, bundle);
  }
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
