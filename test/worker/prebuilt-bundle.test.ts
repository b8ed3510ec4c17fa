import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPrebuiltBundle, BUNDLE_FILE, incidentWorkflowCode, loadPrebuiltBundle, MANIFEST_FILE, PREBUILT_BUNDLE_DIRECTORY, prebuiltBundleDirectory } from '../../src/worker/prebuilt-bundle';
import { bundleIncidentWorkflows, TRUSTED_KEYS_PLACEHOLDER, withTrustedKeys } from '../../src/worker/workflow-bundle';
import { testKeyring } from '../support/decision-keys';

/** A workflow module that reads the trusted keys as src/workflows/trusted-decision-keys.ts does, so it bundles in a second. */
const WORKFLOWS = `exports.trustedKeysWorkflow = async function trustedKeysWorkflow() {
  return typeof FIREBREAK_TRUSTED_DECISION_KEYS === 'undefined' ? {} : FIREBREAK_TRUSTED_DECISION_KEYS;
};
`;

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the prebuilt workflow bundle', () => {
  let work: string;
  let workflowsPath: string;
  let built: string;
  const keyring = testKeyring('test-1', 'test-2');

  /** A copy of the built bundle (its sources stay where they are), to spoil without spoiling the others. */
  const copyOfBuilt = (name: string) => {
    const copy = path.join(work, name);
    cpSync(built, copy, { recursive: true });
    return copy;
  };
  const logged = () => {
    const lines: Array<[string, string]> = [];
    return { lines, log: { info: (m: string) => void lines.push(['info', m]), warn: (m: string) => void lines.push(['warn', m]) } };
  };

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'firebreak-bundle-'));
    // The bundler resolves @temporalio/workflow from beside the workflows.
    symlinkSync(path.resolve(__dirname, '../../node_modules'), path.join(work, 'node_modules'), 'dir');
    workflowsPath = path.join(work, 'workflows.js');
    writeFileSync(workflowsPath, WORKFLOWS);
    // Beside the workflows, as src/workflows has it: the modules the workflows share (none here).
    writeFileSync(path.join(work, 'shared-modules.js'), 'exports.shared = [];\n');
    built = path.join(work, 'bundle');
    await buildPrebuiltBundle({ workflowsPath, directory: built, logger: quiet });
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is built with the placeholder and a manifest of the modules it holds', () => {
    const code = readFileSync(path.join(built, BUNDLE_FILE), 'utf8');
    expect(code.split(TRUSTED_KEYS_PLACEHOLDER)).toHaveLength(2);
    const manifest = JSON.parse(readFileSync(path.join(built, MANIFEST_FILE), 'utf8'));
    expect(manifest.workflows).toBe('../workflows.js');
    expect(manifest.sources['../workflows.js']).toBe(createHash('sha256').update(WORKFLOWS).digest('hex'));
    expect(Object.keys(manifest.sources).some((f) => f.includes('@temporalio/workflow/lib/'))).toBe(true);
    expect(readFileSync(path.join(built, `${BUNDLE_FILE}.map`), 'utf8')).toMatch(/^\{"version":3/);
  });

  it('takes the keyring in place of the placeholder: the same bytes as bundling at start with that keyring', async () => {
    const loaded = loadPrebuiltBundle(keyring, built);
    if (!loaded.bundle) throw new Error(loaded.reason);
    expect(loaded.bundle.code).not.toContain(TRUSTED_KEYS_PLACEHOLDER);
    expect(loaded.bundle.code.split(JSON.stringify(keyring))).toHaveLength(2);
    const atStart = await bundleIncidentWorkflows({ workflowsPath, keyring, logger: quiet });
    expect(loaded.bundle.code === atStart.code).toBe(true);
  });

  it('puts the keys in only where the placeholder is there exactly once', () => {
    expect(() => withTrustedKeys('no placeholder here', keyring)).toThrow(/placeholder 0 times, not once/);
    expect(() => withTrustedKeys(`a ${TRUSTED_KEYS_PLACEHOLDER} b ${TRUSTED_KEYS_PLACEHOLDER}`, keyring)).toThrow(/placeholder 2 times, not once/);
    expect(withTrustedKeys(`return ${TRUSTED_KEYS_PLACEHOLDER};`, keyring)).toBe(`return ${JSON.stringify(keyring)};`);

    // A bundle that matches its manifest yet holds the placeholder twice: the worker must not start.
    const doubled = copyOfBuilt('doubled');
    const code = readFileSync(path.join(doubled, BUNDLE_FILE), 'utf8').replace(TRUSTED_KEYS_PLACEHOLDER, `${TRUSTED_KEYS_PLACEHOLDER}||${TRUSTED_KEYS_PLACEHOLDER}`);
    writeFileSync(path.join(doubled, BUNDLE_FILE), code);
    const manifest = JSON.parse(readFileSync(path.join(doubled, MANIFEST_FILE), 'utf8'));
    writeFileSync(path.join(doubled, MANIFEST_FILE), JSON.stringify({ ...manifest, bundle: createHash('sha256').update(code).digest('hex') }));
    expect(() => loadPrebuiltBundle(keyring, doubled)).toThrow(/placeholder 2 times, not once/);
  });

  it('is not used when its file was changed after the build', async () => {
    const edited = copyOfBuilt('edited');
    writeFileSync(path.join(edited, BUNDLE_FILE), `${readFileSync(path.join(edited, BUNDLE_FILE), 'utf8')}\n// edited`);
    expect(loadPrebuiltBundle(keyring, edited)).toMatchObject({ missing: false, reason: expect.stringContaining(`a ${BUNDLE_FILE} that is not the one built`) });
  });

  it('is used, and said so, when it matches; bundling at start is said so too', async () => {
    const { lines, log } = logged();
    const code = await incidentWorkflowCode({ keyring, workflowsPath, directory: built, log });
    expect(code.source).toBe('prebuilt');
    expect(lines).toEqual([['info', 'workflow code: the prebuilt bundle']]);
    expect(code.bundle.code).toBe(loadPrebuiltBundle(keyring, built).bundle!.code);
    // Replays run the same code trusting no keys, so its digest does not move with the keyring.
    expect(code.replayBundle.code).toBe(loadPrebuiltBundle({}, built).bundle!.code);
    expect((await incidentWorkflowCode({ keyring: testKeyring('test-2'), workflowsPath, directory: built, log })).replayBundle.code).toBe(code.replayBundle.code);

    const off = logged();
    const bundled = await incidentWorkflowCode({ keyring, workflowsPath, env: { FIREBREAK_WORKFLOW_BUNDLE: 'off' }, log: off.log });
    expect(bundled.source).toBe('bundled');
    expect(bundled.bundle.code === code.bundle.code).toBe(true);
    expect(bundled.replayBundle.code === code.replayBundle.code).toBe(true);
    expect(off.lines).toEqual([['info', 'workflow code: bundled at start']]);
  });

  it('without a bundle, bundles at start with no warning (the TypeScript sources under ts-jest)', async () => {
    expect(loadPrebuiltBundle(keyring, path.join(work, 'none'))).toMatchObject({ missing: true });
    const { lines, log } = logged();
    const code = await incidentWorkflowCode({ keyring, workflowsPath, directory: path.join(work, 'none'), log });
    expect(code.source).toBe('bundled');
    expect(lines.map(([level]) => level)).toEqual(['info']);
  });

  it('is found next to the compiled code unless FIREBREAK_WORKFLOW_BUNDLE says otherwise', () => {
    expect(PREBUILT_BUNDLE_DIRECTORY).toBe(path.resolve(__dirname, '../../workflow-bundle')); // dist/workflow-bundle once compiled
    expect(prebuiltBundleDirectory({})).toBe(PREBUILT_BUNDLE_DIRECTORY);
    expect(prebuiltBundleDirectory({ FIREBREAK_WORKFLOW_BUNDLE: 'off' })).toBeUndefined();
    expect(prebuiltBundleDirectory({ FIREBREAK_WORKFLOW_BUNDLE: built })).toBe(built);
  });

  it('falls back to bundling at start, with a warning, once a workflow source it was built from changed', async () => {
    try {
      writeFileSync(workflowsPath, `${WORKFLOWS}// changed after the build\n`);
      const stale = loadPrebuiltBundle(keyring, built);
      expect(stale).toMatchObject({ missing: false, reason: expect.stringContaining('1 file(s) changed or gone since, ../workflows.js') });
      const { lines, log } = logged();
      const code = await incidentWorkflowCode({ keyring, workflowsPath, directory: built, log });
      expect(code.source).toBe('bundled');
      expect(code.bundle.code).toContain('// changed after the build');
      expect(lines).toEqual([
        ['warn', expect.stringMatching(/was built from other code .* run `npm run build`: bundling the workflows at start instead$/)],
        ['info', 'workflow code: bundled at start'],
      ]);
    } finally {
      writeFileSync(workflowsPath, WORKFLOWS);
    }
    expect(loadPrebuiltBundle(keyring, built).bundle).toBeDefined();
  });
});
