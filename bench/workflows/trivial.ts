/**
 * The raw baseline of the benchmarks: a workflow that only counts what it receives. It takes the
 * same messages as an incident (a signal per alert, an update per decision) and does nothing
 * else, so a benchmark can set Firebreak's cost beside what Temporal itself costs.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';

export interface TrivialActivities {
  /** Does nothing: one activity round trip, for the update that waits on one. */
  touch(): Promise<void>;
}

const { touch } = proxyActivities<TrivialActivities>({ startToCloseTimeout: '30s' });
const { touch: touchLocally } = proxyLocalActivities<TrivialActivities>({ startToCloseTimeout: '10s' });

/** Carries the same payload as an alert signal; only counted. */
export const tickSignal = defineSignal<[unknown]>('tick');
/** Answers at once with the new count. */
export const bumpUpdate = defineUpdate<number, [unknown]>('bump');
/** Runs one no-op activity before answering, as a decision waits on its read-model write. */
export const bumpWithActivityUpdate = defineUpdate<number, [unknown]>('bumpWithActivity');
/** Runs the same no-op as a local activity (in the workflow task, no activity task) before answering. */
export const bumpWithLocalActivityUpdate = defineUpdate<number, [unknown]>('bumpWithLocalActivity');
export const countQuery = defineQuery<number>('count');

export async function trivialWorkflow(carried = 0): Promise<number> {
  let count = carried;
  setHandler(tickSignal, () => {
    count += 1;
  });
  setHandler(bumpUpdate, () => (count += 1));
  setHandler(bumpWithActivityUpdate, async () => {
    await touch();
    return (count += 1);
  });
  setHandler(bumpWithLocalActivityUpdate, async () => {
    await touchLocally();
    return (count += 1);
  });
  setHandler(countQuery, () => count);
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  return continueAsNew<typeof trivialWorkflow>(count);
}
