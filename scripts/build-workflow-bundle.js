// Bundles the incident workflows once, at build time, into dist/workflow-bundle: the worker, the
// replay worker, the audit activities and `npm run replay` load it instead of running webpack on
// every start (src/worker/prebuilt-bundle.ts). `npm run build` runs it after tsc, from dist/.
// The trusted decision keys are a placeholder here; each worker puts its own in at start.
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

async function main() {
  const { buildPrebuiltBundle, PREBUILT_BUNDLE_DIRECTORY } = require(path.join(dist, 'src/worker/prebuilt-bundle.js'));
  const started = Date.now();
  const manifest = await buildPrebuiltBundle({ workflowsPath: require.resolve(path.join(dist, 'src/workflows')), directory: PREBUILT_BUNDLE_DIRECTORY });
  const files = Object.keys(manifest.sources).length;
  console.log(`workflow bundle: ${path.relative(root, PREBUILT_BUNDLE_DIRECTORY)} from ${files} files (sources ${manifest.digest.slice(0, 12)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(`workflow bundle: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
