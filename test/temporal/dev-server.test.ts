import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/dev-server';

/** A stand-in for the CLI that exits with an error on its first `failures` runs, then runs the real one. */
function flakyCli(dir: string, failures: number): { path: string; runs: () => number } {
  const counter = path.join(dir, 'runs');
  writeFileSync(counter, '');
  const script = path.join(dir, 'temporal');
  writeFileSync(
    script,
    `#!/bin/sh
echo run >> '${counter}'
if [ "$(wc -l < '${counter}')" -le ${failures} ]; then
  echo 'listen tcp 127.0.0.1:41234: bind: address already in use' >&2
  exit 2
fi
exec '${temporalCliPath()}' "$@"
`,
  );
  chmodSync(script, 0o755);
  return { path: script, runs: () => readFileSync(counter, 'utf8').split('\n').filter(Boolean).length };
}

describe('starting the Temporal dev server', () => {
  jest.setTimeout(90_000);

  it('tries again when the server exits during start-up, on the same port and file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-server-'));
    const cli = flakyCli(dir, 1);
    const server = await startDevServer({ cliPath: cli.path, port: await freePort(), dbFile: path.join(dir, 't.sqlite') });
    try {
      expect(cli.runs()).toBe(2);
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await server.stop();
    }
  });

  it('gives up after three exits, with the server’s last output in the error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dev-server-'));
    const cli = flakyCli(dir, 10);
    await expect(startDevServer({ cliPath: cli.path, port: await freePort(), dbFile: path.join(dir, 't.sqlite') })).rejects.toThrow(
      /exited with code 2 before it answered:\nlisten tcp 127\.0\.0\.1:41234: bind: address already in use/,
    );
    expect(cli.runs()).toBe(3);
  });
});
