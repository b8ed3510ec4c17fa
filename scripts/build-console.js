// Builds the console (src/console, a Preact app) into dist/console, which the API serves at /console.
// `npm run build` runs it after tsc; `node scripts/build-console.js --watch` rebuilds on change.
const { build, context } = require('esbuild');
const { copyFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src/console');
const out = path.join(root, 'dist/console');

const options = {
  entryPoints: [path.join(source, 'main.tsx')],
  outdir: out,
  entryNames: 'app',
  // Views loaded on first use (the reports, with Chart.js) are chunks of their own.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};

async function main() {
  mkdirSync(out, { recursive: true });
  for (const file of ['index.html', 'styles.css', 'favicon.svg']) copyFileSync(path.join(source, file), path.join(out, file));
  if (process.argv.includes('--watch')) {
    const ctx = await context(options);
    await ctx.watch();
    console.log('watching src/console');
  } else {
    await build(options);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
