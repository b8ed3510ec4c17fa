import { CHECKPOINT_VERIFY_KEYS_ENV, newCheckpointKeyPair, parseVerifyKeys } from '../audit/checkpoints';
import { exportCheckpoints, readCheckpointFolder, verifyAgainstCheckpoints } from '../audit/checkpoint-folder';
import { CheckpointStore } from '../db/checkpoint-store';
import { createPool } from '../db/pool';
import { devStackFile, readDevStackConnection } from '../stack/dev-stack-file';

const USAGE = `usage: npm run checkpoints -- keygen <key id>
       npm run checkpoints -- export <folder>
       npm run checkpoints -- verify <folder>
  keygen prints a new signing key (for the signer's FIREBREAK_CHECKPOINT_SIGNING_KEY) and its
  public key (for FIREBREAK_CHECKPOINT_VERIFY_KEYS). export writes every stored checkpoint the
  folder lacks, one JSON file each. verify checks the folder's checkpoints (signatures, roots, no
  gap; ${CHECKPOINT_VERIFY_KEYS_ENV} names the trusted keys) and the database against the latest:
  exit 0 when everything holds, 1 when something does not, 2 for bad arguments.
  export and verify use DATABASE_URL when set; otherwise the dev stack that \`make up\` is running.`;

function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const file = devStackFile(env);
  const stack = readDevStackConnection(file);
  if (!stack) throw new Error(`DATABASE_URL is not set and no dev stack is running (${file} is missing): start one with \`make up\`, or set DATABASE_URL`);
  return stack.databaseUrl;
}

async function main(): Promise<number> {
  const [command, arg, ...rest] = process.argv.slice(2);
  if (!command || !arg || rest.length > 0 || !['keygen', 'export', 'verify'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'keygen') {
    const pair = newCheckpointKeyPair(arg);
    console.log(`FIREBREAK_CHECKPOINT_SIGNING_KEY=${pair.signingKey}`);
    console.log(`${CHECKPOINT_VERIFY_KEYS_ENV}=${pair.verifyKey}`);
    return 0;
  }
  const keysText = process.env[CHECKPOINT_VERIFY_KEYS_ENV];
  if (command === 'verify' && !keysText) {
    console.error(`${CHECKPOINT_VERIFY_KEYS_ENV} must name the keys the checkpoints are trusted under`);
    return 2;
  }
  const pool = createPool(databaseUrl());
  try {
    if (command === 'export') {
      const written = await exportCheckpoints(new CheckpointStore(pool), arg);
      console.log(`${written} checkpoint${written === 1 ? '' : 's'} written to ${arg}`);
      return 0;
    }
    const verdict = await verifyAgainstCheckpoints(await readCheckpointFolder(arg), parseVerifyKeys(keysText!), pool);
    console.log(JSON.stringify(verdict, null, 2));
    return verdict.valid ? 0 : 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
