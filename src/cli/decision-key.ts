import { newDecisionKeyPair, SIGNING_KEY_ENV, VERIFY_KEYS_ENV } from '../decision-keys';

const USAGE = `usage: npm run decision-key -- <key id>
  Prints a new Ed25519 key pair for signing decisions, as the two variables hold it:
  ${SIGNING_KEY_ENV} for the API (keep it secret) and the entry to add to ${VERIFY_KEYS_ENV}
  for the workers (comma-separated, so a rotation can trust the old and the new key at once).`;

/** Prints a key pair; exit status 2 for a missing or malformed key id. */
export function decisionKeyCli(args: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const [keyId, ...rest] = args;
  if (!keyId || rest.length > 0 || keyId.startsWith('-')) {
    err(USAGE);
    return 2;
  }
  try {
    const { signingKey, verifyKey } = newDecisionKeyPair(keyId);
    out(`${SIGNING_KEY_ENV}=${signingKey}`);
    out(`${VERIFY_KEYS_ENV}=${verifyKey}`);
    return 0;
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 2;
  }
}

if (require.main === module) process.exitCode = decisionKeyCli(process.argv.slice(2));
