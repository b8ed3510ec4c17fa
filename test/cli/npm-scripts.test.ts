import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/**
 * `npm run replay` and `npm run create-key` run the build as it is, the way a user calls them,
 * in a copy of the project's package.json and scripts/ whose dist/ holds stand-ins that say
 * they ran: so the test sees what the scripts do, not what the real commands do.
 */
describe('npm run replay and npm run create-key', () => {
  let project: string;
  const npm = async (...args: string[]) =>
    run('npm', ['run', '--silent', ...args], { cwd: project, env: { PATH: process.env.PATH, HOME: process.env.HOME } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );
  const standIn = (entry: string) => {
    mkdirSync(path.dirname(path.join(project, 'dist', entry)), { recursive: true });
    // Like the real entry points: it runs only as the main module, and its exit status counts.
    writeFileSync(
      path.join(project, 'dist', entry),
      `if (require.main === module) { console.log('ran ${entry} with ' + JSON.stringify(process.argv.slice(2))); process.exitCode = process.argv.includes('--fail') ? 1 : 0; }\n`,
    );
  };
  const setTime = (file: string, epochSeconds: number) => utimesSync(path.join(project, file), epochSeconds, epochSeconds);

  beforeEach(() => {
    project = mkdtempSync(path.join(os.tmpdir(), 'firebreak-scripts-'));
    copyFileSync(path.join(ROOT, 'package.json'), path.join(project, 'package.json'));
    mkdirSync(path.join(project, 'scripts'));
    copyFileSync(path.join(ROOT, 'scripts/run-built.js'), path.join(project, 'scripts/run-built.js'));
    mkdirSync(path.join(project, 'src/workflows'), { recursive: true });
    writeFileSync(path.join(project, 'src/workflows/incident-workflow.ts'), 'export {};\n');
    setTime('src/workflows/incident-workflow.ts', 1_000_000);
  });
  afterEach(() => rmSync(project, { recursive: true, force: true }));

  it('name the missing build and the command that makes it', async () => {
    for (const script of ['replay', 'create-key']) {
      const res = await npm(script, '--', '--help');
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/runs the build in dist\/, which is missing: run `npm run build` first/);
      expect(res.stdout).toBe('');
    }
  });

  it('run the build without compiling, passing the arguments through', async () => {
    standIn('src/cli/replay.js');
    standIn('src/cli/create-key.js');
    setTime('dist/src/cli/replay.js', 2_000_000);
    // No TypeScript compiler in this copy: a script that compiled first would fail here.
    expect(await npm('replay', '--', '--file', 'h.json')).toMatchObject({ code: 0, stdout: 'ran src/cli/replay.js with ["--file","h.json"]\n' });
    expect(await npm('create-key', '--', 'ci', 'auditor')).toMatchObject({ code: 0, stdout: 'ran src/cli/create-key.js with ["ci","auditor"]\n' });
    // A diverging replay exits 1: the status comes through.
    expect(await npm('replay', '--', '--fail')).toMatchObject({ code: 1, stdout: 'ran src/cli/replay.js with ["--fail"]\n' });
  });

  it('refuse to replay with a build older than the workflow source', async () => {
    standIn('src/cli/replay.js');
    setTime('dist/src/cli/replay.js', 500_000);
    const res = await npm('replay', '--', '--file', 'h.json');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/the build in dist\/ is older than the source: run `npm run build` first/);
    expect(res.stdout).toBe('');
  });
});
