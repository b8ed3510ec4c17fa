import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { checkpointFileName, signCheckpoint, type CheckpointSigningKey, type SignedCheckpoint } from '../audit/checkpoints';
import type { CheckpointStore } from '../db/checkpoint-store';
import type { CheckpointOutcome } from './checkpoint-workflow';

export interface CheckpointActivities {
  signCheckpoint(): Promise<CheckpointOutcome>;
}

export interface SignerDependencies {
  store: CheckpointStore;
  key: CheckpointSigningKey;
  /** Where each checkpoint is written as a file too (FIREBREAK_CHECKPOINT_DIR); none: not exported. */
  exportDir?: string;
  logger?: Logger;
  now?: () => Date;
}

/** Writes one checkpoint as `checkpoint-<seq>.json`, atomically (a reader never sees half a file). */
export async function exportCheckpoint(dir: string, checkpoint: SignedCheckpoint): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, checkpointFileName(checkpoint.statement.seq));
  const partial = `${file}.partial`;
  await writeFile(partial, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o644 });
  await rename(partial, file);
  return file;
}

/** The signer's one activity: reads the heads, signs them, stores the checkpoint and exports it. */
export function createCheckpointActivities(deps: SignerDependencies): CheckpointActivities {
  return {
    async signCheckpoint() {
      const basis = await deps.store.nextBasis((deps.now?.() ?? new Date()).toISOString());
      if (!basis) return { signed: false, reason: 'nothing was written since the last checkpoint' };
      const checkpoint = signCheckpoint(basis, deps.key);
      await deps.store.insert(checkpoint);
      const { statement } = checkpoint;
      if (statement.diverged.length > 0) {
        deps.logger?.error({ checkpoint: statement.seq, diverged: statement.diverged.map((d) => d.incidentId) }, 'audit chains no longer extend the previous checkpoint: their previous heads are kept');
      }
      if (deps.exportDir) await exportCheckpoint(deps.exportDir, checkpoint);
      deps.logger?.info({ checkpoint: statement.seq, incidents: statement.incidents, root: statement.root }, 'audit checkpoint signed');
      return { signed: true, seq: statement.seq, root: statement.root, incidents: statement.incidents, diverged: statement.diverged.length };
    },
  };
}
