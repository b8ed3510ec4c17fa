import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DecisionKeyring } from '../domain/decision-signature';

type WebpackConfigHook = NonNullable<BundleOptions['webpackConfigHook']>;
type WebpackConfig = Parameters<WebpackConfigHook>[0];
type WebpackPlugin = NonNullable<WebpackConfig['plugins']>[number];

/**
 * What the bundler writes in place of FIREBREAK_TRUSTED_DECISION_KEYS (src/workflows/trusted-decision-keys.ts):
 * a string literal found nowhere else in the bundle. The keys go in for it afterwards, once per
 * bundle, so a bundle built before the keys are known (npm run build) and one built at a worker's
 * start are the same bytes for the same keyring.
 */
export const TRUSTED_KEYS_PLACEHOLDER = JSON.stringify('firebreak:trusted-decision-keys:placeholder:5b0e3f9c2d71a846');

/**
 * Puts `keyring` in place of the placeholder; fails unless the placeholder occurs exactly once,
 * since a bundle trusting no keys, or keys only in some places, must not start.
 */
export function withTrustedKeys(code: string, keyring: DecisionKeyring): string {
  const parts = code.split(TRUSTED_KEYS_PLACEHOLDER);
  if (parts.length !== 2) throw new Error(`the workflow bundle holds the trusted decision keys' placeholder ${parts.length - 1} times, not once: it was not built by this version of Firebreak`);
  return parts[0] + JSON.stringify(keyring) + parts[1];
}

interface Compiler {
  webpack: {
    DefinePlugin: new (definitions: Record<string, string>) => { apply(c: unknown): void };
    Compilation: { PROCESS_ASSETS_STAGE_ANALYSE: number };
    sources: { RawSource: new (code: string) => unknown };
  };
  hooks: { thisCompilation: { tap(name: string, f: (compilation: Compilation) => void): void } };
}
interface Compilation {
  hooks: { processAssets: { tap(options: { name: string; stage: number }, f: (assets: Record<string, { source(): string | Buffer }>) => void): void } };
  updateAsset(name: string, source: unknown): void;
}

/** Writes the placeholder where the workflow code reads FIREBREAK_TRUSTED_DECISION_KEYS. */
const placeholderPlugin = {
  apply(compiler: Compiler) {
    new compiler.webpack.DefinePlugin({ FIREBREAK_TRUSTED_DECISION_KEYS: TRUSTED_KEYS_PLACEHOLDER }).apply(compiler);
  },
} as unknown as WebpackPlugin;

/**
 * Replaces the placeholder with the keyring in the finished bundle, after its inline source map is
 * written; workflow code that never reads the keys (a benchmark's trivial workflow) has none.
 */
function keysPlugin(keyring: DecisionKeyring): WebpackPlugin {
  return {
    apply(compiler: Compiler) {
      compiler.hooks.thisCompilation.tap('FirebreakTrustedDecisionKeys', (compilation) => {
        compilation.hooks.processAssets.tap({ name: 'FirebreakTrustedDecisionKeys', stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ANALYSE }, (assets) => {
          for (const [name, asset] of Object.entries(assets)) {
            const code = asset.source().toString();
            if (name.endsWith('.js') && code.includes(TRUSTED_KEYS_PLACEHOLDER)) compilation.updateAsset(name, new compiler.webpack.sources.RawSource(withTrustedKeys(code, keyring)));
          }
        });
      });
    },
  } as unknown as WebpackPlugin;
}

/**
 * Writes the trusted decision keys into the workflow bundle (src/workflows/trusted-decision-keys.ts
 * reads them): workflow code reads no environment, and a constant in the bundle is as deterministic
 * as code. Without a keyring the bundle keeps the placeholder (the prebuilt bundle of npm run build;
 * src/worker/prebuilt-bundle.ts puts the keys in at start). Uses the bundler's own webpack, so
 * Firebreak does not depend on webpack itself.
 */
export function trustingDecisionKeys(keyring?: DecisionKeyring): WebpackConfigHook {
  return (config: WebpackConfig) => {
    // Module ids are paths relative to webpack's context, by default the working directory: from
    // the workflows' folder instead, a bundle is the same bytes whichever directory a worker starts in.
    const entry = Array.isArray(config.entry) ? config.entry[0] : undefined;
    return {
      ...config,
      ...(typeof entry === 'string' ? { context: path.dirname(entry) } : {}),
      plugins: [...(config.plugins ?? []), placeholderPlugin, ...(keyring ? [keysPlugin(keyring)] : [])],
    };
  };
}

/**
 * How the incident workflows at `workflowsPath` are bundled, everywhere they are (at build, at a
 * worker's start, in tests and benchmarks): the modules of src/workflows/shared-modules.ts loaded
 * once per workflow thread and shared by its workflows, and the trusted keys as `hook` writes them.
 */
export function incidentBundleOptions(workflowsPath: string, hook: WebpackConfigHook = trustingDecisionKeys()): BundleOptions {
  const workflowsFolder = path.extname(workflowsPath) ? path.dirname(workflowsPath) : workflowsPath;
  return { workflowsPath, webpackConfigHook: hook, preloadModules: [path.join(workflowsFolder, 'shared-modules')] };
}

/** The incident workflows bundled once, trusting `keyring`'s decision-signing keys. */
export function bundleIncidentWorkflows(options: { workflowsPath: string; keyring: DecisionKeyring; logger?: BundleOptions['logger'] }): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...incidentBundleOptions(options.workflowsPath, trustingDecisionKeys(options.keyring)), ...(options.logger ? { logger: options.logger } : {}) });
}
