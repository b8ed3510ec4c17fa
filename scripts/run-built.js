// Runs a command from the build in dist/, without compiling first:
//   node scripts/run-built.js [--current] <entry under dist/> [arguments…]
// `--current` refuses a build older than the TypeScript source (the replay must check today's
// workflow code). Either way a missing build is named with the command that makes it.
const { spawn } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const current = args[0] === '--current';
if (current) args.shift();
const [entry, ...rest] = args;
const built = path.join(root, 'dist', entry);
const command = path.basename(entry, '.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (item.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

if (!existsSync(built)) {
  console.error(`${command} runs the build in dist/, which is missing: run \`npm run build\` first (\`make up\` builds too).`);
  process.exit(2);
}
if (current) {
  const source = Math.max(...['src', 'workers'].filter((d) => existsSync(path.join(root, d))).map((d) => newestSource(path.join(root, d))));
  if (source > statSync(built).mtimeMs) {
    console.error(`the build in dist/ is older than the source: run \`npm run build\` first, so ${command} uses the current code.`);
    process.exit(2);
  }
}
// Its own process, as `node dist/…` would run it: the entry point runs only as the main module.
const child = spawn(process.execPath, [built, ...rest], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
