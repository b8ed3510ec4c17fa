import { Client, escapeIdentifier, escapeLiteral } from 'pg';

/** The NOLOGIN group whose privileges the checkpoint signer has (migration 0011 says which). */
export const SIGNER_GROUP = 'firebreak_signer';

/** Sessions creating the same role at once (roles belong to the whole cluster) get one of these; trying again sees the other's result. */
const CONCURRENT_ROLE_CHANGE = new Set(['23505', '42710', 'XX000', '40001', '40P01']);

/**
 * Makes the login role in `signerUrl` exist with that password and belong to `firebreak_signer`,
 * connected as the owner. Idempotent, and safe while other databases of the cluster do the same.
 */
export async function ensureSignerLogin(ownerUrl: string, signerUrl: string): Promise<{ user: string }> {
  const parsed = new URL(signerUrl);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  if (!user || !password) throw new Error('SIGNER_DATABASE_URL must name a user and a password: the signer logs in as a role of its own');
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await owner.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [user]);
        if (rows[0]?.rolsuper) throw new Error(`role ${user} is a superuser: the signer needs a role of its own that is not`);
        if (rows.length === 0) await owner.query(`CREATE ROLE ${escapeIdentifier(user)} LOGIN PASSWORD ${escapeLiteral(password)}`);
        else await owner.query(`ALTER ROLE ${escapeIdentifier(user)} LOGIN PASSWORD ${escapeLiteral(password)}`);
        await owner.query(`GRANT ${SIGNER_GROUP} TO ${escapeIdentifier(user)}`);
        return { user };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= 20 || code === undefined || !CONCURRENT_ROLE_CHANGE.has(code)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
      }
    }
  } finally {
    await owner.end();
  }
}
