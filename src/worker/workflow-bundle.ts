import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DecisionKeyring } from '../domain/decision-signature';

type WebpackConfigHook = NonNullable<BundleOptions['webpackConfigHook']>;
type WebpackConfig = Parameters<WebpackConfigHook>[0];

/**
 * Writes the trusted decision keys into the workflow bundle (src/workflows/trusted-decision-keys.ts
 * reads them): workflow code reads no environment, and a constant in the bundle is as deterministic
 * as code. Uses the bundler's own webpack, so Firebreak does not depend on webpack itself.
 */
export function trustingDecisionKeys(keyring: DecisionKeyring): WebpackConfigHook {
  return (config: WebpackConfig) => ({
    ...config,
    plugins: [
      ...(config.plugins ?? []),
      {
        apply(compiler: { webpack: { DefinePlugin: new (definitions: Record<string, string>) => { apply(c: unknown): void } } }) {
          new compiler.webpack.DefinePlugin({ FIREBREAK_TRUSTED_DECISION_KEYS: JSON.stringify(keyring) }).apply(compiler);
        },
      } as unknown as NonNullable<WebpackConfig['plugins']>[number],
    ],
  });
}

/** The incident workflows bundled once, trusting `keyring`'s decision-signing keys. */
export function bundleIncidentWorkflows(options: { workflowsPath: string; keyring: DecisionKeyring; logger?: BundleOptions['logger'] }): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: options.workflowsPath, webpackConfigHook: trustingDecisionKeys(options.keyring), ...(options.logger ? { logger: options.logger } : {}) });
}
