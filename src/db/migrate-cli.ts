import { z } from 'zod';
import { prepareDatabase } from './migrate';
import { ensureSignerLogin } from './signer-role';

const REQUIRED = 'DATABASE_URL is required (the postgres:// URL the API and the worker connect with)';
const Env = z.object({
  DATABASE_URL: z.string({ error: REQUIRED }).min(1, REQUIRED),
  MIGRATION_DATABASE_URL: z.string().min(1).optional(),
  /** The checkpoint signer's URL: its login role is made a member of `firebreak_signer`. */
  SIGNER_DATABASE_URL: z.string().min(1).optional(),
});

/**
 * `npm run migrate`: migrations as the owner (MIGRATION_DATABASE_URL), then the application's
 * login role (the user and password in DATABASE_URL) as a member of `firebreak_app`, and the
 * checkpoint signer's (SIGNER_DATABASE_URL, when set) as a member of `firebreak_signer`.
 */
async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { DATABASE_URL: appUrl, MIGRATION_DATABASE_URL: migrationUrl, SIGNER_DATABASE_URL: signerUrl } = parsed.data;
  const { separateRole } = await prepareDatabase({ migrationUrl, appUrl }, (msg) => console.log(msg));
  if (signerUrl) console.log(`checkpoint signer logs in as ${(await ensureSignerLogin(migrationUrl ?? appUrl, signerUrl)).user}`);
  if (!separateRole) {
    console.warn(
      'warning: the application connects as the owner of its tables, so it could alter or drop the append-only ones; ' +
        'set MIGRATION_DATABASE_URL to the owner and DATABASE_URL to a login role of its own',
    );
  }
}

main().catch((err: unknown) => {
  console.error('migration failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
