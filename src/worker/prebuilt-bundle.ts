import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Runtime, type BundleOptions, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { DecisionKeyring } from '../domain/decision-signature';
import { incidentBundleOptions, TRUSTED_KEYS_PLACEHOLDER, trustingDecisionKeys, withTrustedKeys } from './workflow-bundle';

/**
 * The incident workflows bundled once, by `npm run build` (scripts/build-workflow-bundle.js), with
 * a placeholder for the trusted decision keys; a worker puts its keyring in at start instead of
 * running webpack. Next to the compiled code: dist/workflow-bundle. From the TypeScript sources
 * (ts-jest) the folder does not exist, and the workflows are bundled at start as before.
 */
export const PREBUILT_BUNDLE_DIRECTORY = path.resolve(__dirname, '../../workflow-bundle');
export const BUNDLE_FILE = 'incident-workflows.js';
export const MANIFEST_FILE = 'manifest.json';

/** Another folder to load the prebuilt bundle from, or `off` to bundle at start even where one exists. */
export const WORKFLOW_BUNDLE_ENV = 'FIREBREAK_WORKFLOW_BUNDLE';

/** Where the prebuilt bundle is looked for; undefined when FIREBREAK_WORKFLOW_BUNDLE=off. */
export function prebuiltBundleDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env[WORKFLOW_BUNDLE_ENV];
  if (setting === 'off') return undefined;
  return setting ? path.resolve(setting) : PREBUILT_BUNDLE_DIRECTORY;
}

/** What the build records beside the bundle, so a loader can tell it still matches the code it was built from. */
export interface BundleManifest {
  placeholder: string;
  /** The workflows' entry point, relative to the bundle's folder. */
  workflows: string;
  /** Every code file webpack read to build it (compiled workflows, what they import), relative to the bundle's folder, with its SHA-256. */
  sources: Record<string, string>;
  /** SHA-256 over `sources`, to name the build in one value. */
  digest: string;
  /** SHA-256 of the bundle file itself, with its placeholder. */
  bundle: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function sourcesDigest(sources: Record<string, string>): string {
  return sha256(
    Object.keys(sources)
      .sort()
      .map((file) => `${file}\0${sources[file]}\n`)
      .join(''),
  );
}

const quietBundler = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/**
 * Bundles the workflows at `workflowsPath` with the keys' placeholder into `directory`: the bundle
 * (its source map inline, where the worker reads it, and beside it in a .map file for tools) and
 * the manifest of what it was built from.
 */
export async function buildPrebuiltBundle(options: { workflowsPath: string; directory: string; logger?: BundleOptions['logger'] }): Promise<BundleManifest> {
  let read: string[] = [];
  const placeholderHook = trustingDecisionKeys();
  // The placeholder's hook, and a plugin that records which files webpack read, for the manifest.
  const recordingInputs: NonNullable<BundleOptions['webpackConfigHook']> = (config) => {
    const configured = placeholderHook(config);
    const recordInputs = {
      apply(compiler: { hooks: { done: { tap(name: string, f: (stats: { compilation: { modules: Iterable<{ resource?: string }> } }) => void): void } } }) {
        compiler.hooks.done.tap('FirebreakBundleManifest', (stats) => {
          read = [...stats.compilation.modules].flatMap((m) => (m.resource ? [m.resource.split('?')[0]!] : []));
        });
      },
    } as unknown as NonNullable<typeof config.plugins>[number];
    return { ...configured, plugins: [...(configured.plugins ?? []), recordInputs] };
  };
  const { code } = await bundleWorkflowCode({ ...incidentBundleOptions(options.workflowsPath, recordingInputs), logger: options.logger ?? quietBundler });
  withTrustedKeys(code, {}); // fails unless the placeholder is there exactly once
  const directory = path.resolve(options.directory);
  const sources: Record<string, string> = {};
  // The modules webpack bundled: the workflows, what they import, the SDK's workflow runtime. Not
  // the TypeScript that compiled workflows' source maps point to (an image ships dist/ alone), nor
  // the entry point webpack generates, which lives in memory only.
  for (const file of read) {
    if (!existsSync(file) || !statSync(file).isFile()) continue;
    sources[path.relative(directory, file).split(path.sep).join('/')] = sha256(readFileSync(file));
  }
  const manifest: BundleManifest = {
    placeholder: TRUSTED_KEYS_PLACEHOLDER,
    workflows: path.relative(directory, options.workflowsPath).split(path.sep).join('/'),
    sources,
    digest: sourcesDigest(sources),
    bundle: sha256(code),
  };
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, BUNDLE_FILE), code);
  const inlineMap = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,(\S+)\s*$/.exec(code)?.[1];
  if (inlineMap) writeFileSync(path.join(directory, `${BUNDLE_FILE}.map`), Buffer.from(inlineMap, 'base64'));
  // The manifest last: a folder without one (a build cut short) is not a bundle.
  writeFileSync(path.join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export type PrebuiltLoad =
  | { bundle: WorkflowBundleWithSourceMap; directory: string; digest: string }
  | { bundle?: undefined; directory: string; reason: string; /** No bundle at all, rather than one that no longer matches. */ missing: boolean };

/**
 * The prebuilt bundle in `directory`, trusting `keyring`, if it is there and still matches every
 * file it was built from; otherwise why not. Fails (a worker must not start) when the bundle
 * matches its sources but does not hold the keys' placeholder exactly once.
 */
export function loadPrebuiltBundle(keyring: DecisionKeyring, directory: string = PREBUILT_BUNDLE_DIRECTORY): PrebuiltLoad {
  const read = readPrebuiltBundle(directory);
  return read.code === undefined ? read : { bundle: { code: withTrustedKeys(read.code, keyring), sourceMap: '' }, directory, digest: read.digest };
}

/** The prebuilt bundle's code as built, its placeholder in place, if it still matches what it was built from. */
function readPrebuiltBundle(directory: string): { code: string; directory: string; digest: string } | { code?: undefined; directory: string; reason: string; missing: boolean } {
  const manifestFile = path.join(directory, MANIFEST_FILE);
  if (!existsSync(manifestFile)) return { directory, missing: true, reason: `no prebuilt workflow bundle in ${directory}` };
  const stale = (why: string) => ({ directory, missing: false, reason: `the prebuilt workflow bundle in ${directory} ${why}; run \`npm run build\`` });
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
  } catch {
    return stale(`has a manifest that cannot be read`);
  }
  if (manifest.placeholder !== TRUSTED_KEYS_PLACEHOLDER || typeof manifest.sources !== 'object' || manifest.sources === null) return stale('was built by another version of Firebreak');
  if (sourcesDigest(manifest.sources) !== manifest.digest) return stale('has a manifest that does not match its digest');
  const changed: string[] = [];
  for (const [file, hash] of Object.entries(manifest.sources)) {
    const full = path.resolve(directory, file);
    if (!existsSync(full) || sha256(readFileSync(full)) !== hash) changed.push(file);
  }
  if (changed.length > 0) return stale(`was built from other code (${changed.length} file(s) changed or gone since, ${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''})`);
  const codeFile = path.join(directory, BUNDLE_FILE);
  if (!existsSync(codeFile)) return stale(`has no ${BUNDLE_FILE}`);
  const code = readFileSync(codeFile, 'utf8');
  if (sha256(code) !== manifest.bundle) return stale(`has a ${BUNDLE_FILE} that is not the one built`);
  return { code, directory, digest: manifest.digest };
}

/** Where a worker says which workflow code it runs: the SDK's logger by default. */
export type WorkflowCodeLog = Pick<Logger, 'info' | 'warn'>;

export interface IncidentWorkflowCode {
  bundle: WorkflowBundleWithSourceMap;
  /**
   * The same code trusting no keys, for replays: validators do not run at replay, and its digest
   * (a replay verdict's workflowCode) stays the same when the keyring changes.
   */
  replayBundle: WorkflowBundleWithSourceMap;
  /** `prebuilt`: the bundle of npm run build with the keys put in; `bundled`: webpack ran at start. */
  source: 'prebuilt' | 'bundled';
}

/**
 * The incident workflows trusting `keyring`: the prebuilt bundle when there is one that matches
 * the compiled code, else bundled now (with a warning when a prebuilt one was found but stale).
 * Says which on `log`.
 */
export async function incidentWorkflowCode(options: { keyring: DecisionKeyring; workflowsPath: string; log?: WorkflowCodeLog; directory?: string; env?: NodeJS.ProcessEnv }): Promise<IncidentWorkflowCode> {
  const log = options.log ?? Runtime.instance().logger;
  const directory = options.directory ?? prebuiltBundleDirectory(options.env);
  const started = performance.now();
  let why: string;
  if (directory === undefined) {
    why = `${WORKFLOW_BUNDLE_ENV}=off`;
  } else {
    const prebuilt = readPrebuiltBundle(directory);
    if (prebuilt.code !== undefined) {
      const code = withKeys(prebuilt.code, options.keyring, 'prebuilt');
      log.info('workflow code: the prebuilt bundle', { directory: prebuilt.directory, digest: prebuilt.digest.slice(0, 12), ms: Math.round(performance.now() - started) });
      return code;
    }
    if (!prebuilt.missing) log.warn(`${prebuilt.reason}: bundling the workflows at start instead`);
    why = prebuilt.reason;
  }
  // With the placeholder, as npm run build does, and the keys put in the same way: the same bytes.
  const { code } = await bundleWorkflowCode({ ...incidentBundleOptions(options.workflowsPath), logger: Runtime.instance().logger });
  const bundled = withKeys(code, options.keyring, 'bundled');
  log.info('workflow code: bundled at start', { workflows: options.workflowsPath, why, ms: Math.round(performance.now() - started) });
  return bundled;
}

function withKeys(code: string, keyring: DecisionKeyring, source: IncidentWorkflowCode['source']): IncidentWorkflowCode {
  return { bundle: { code: withTrustedKeys(code, keyring), sourceMap: '' }, replayBundle: { code: withTrustedKeys(code, {}), sourceMap: '' }, source };
}
