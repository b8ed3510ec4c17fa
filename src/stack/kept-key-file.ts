import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * A key `make up` makes on first start and keeps in its data folder, readable by its owner only, so
 * what earlier runs signed or encrypted stays usable: the file's text, made with `make` if missing.
 */
export function keptKeyFile(file: string, make: () => string): string {
  if (!existsSync(file)) {
    writeFileSync(file, make() + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}
