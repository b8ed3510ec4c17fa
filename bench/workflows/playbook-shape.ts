/**
 * The raw baseline of the playbook benchmark (M6): the shape of a playbook without Firebreak.
 * Independent chains of steps run in parallel, each step one no-op activity, so a benchmark can set
 * a playbook run beside what the same graph of activities costs in Temporal itself.
 */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TrivialActivities } from './trivial';

/** The trivial worker's `touch`, which ignores what it is given: here it may carry an input. */
type Touch = { [K in keyof TrivialActivities]: (input?: string) => ReturnType<TrivialActivities[K]> };
const { touch } = proxyActivities<Touch>({ startToCloseTimeout: '30s' });

/** Lets the parked step go, as completing a playbook's human task does. */
export const releaseSignal = defineSignal('release');
/** Steps finished so far. */
export const progressQuery = defineQuery<number>('progress');

export interface BranchesInput {
  branches: number;
  /** Steps in each branch, one after the other. */
  depth: number;
  /** The last step of the last branch waits for `releaseSignal` instead of running an activity. */
  parkLast?: boolean;
  /** Characters of input each activity carries (none by default), to match another workflow's payloads. */
  inputBytes?: number;
}

/** Runs `branches` chains of `depth` no-op activities in parallel; answers the number of steps done. */
export async function branchesWorkflow({ branches, depth, parkLast = false, inputBytes = 0 }: BranchesInput): Promise<number> {
  let done = 0;
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  setHandler(progressQuery, () => done);
  await Promise.all(
    Array.from({ length: branches }, async (_, b) => {
      for (let k = 0; k < depth; k++) {
        if (parkLast && b === branches - 1 && k === depth - 1) await condition(() => released);
        // Each input differs, as each state an incident publishes does.
        else await touch(inputBytes > 0 ? `${b}-${k}:`.padEnd(inputBytes, 'x') : undefined);
        done += 1;
      }
    }),
  );
  return done;
}
