import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project's root folder (the one holding package.json), from source or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (no package.json above the code)');
    dir = parent;
  }
  return dir;
}
