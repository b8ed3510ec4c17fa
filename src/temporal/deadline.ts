import { isGrpcServiceError } from '@temporalio/client';
import { errorCauses } from '../error-causes';
import { GRPC_STATUS } from './grpc-status';


/** A Temporal call that had no answer by its deadline, however gRPC reported the end of it. */
export class TemporalDeadlineError extends Error {
  constructor(override readonly cause: unknown) {
    super('Temporal did not answer before the deadline');
    this.name = 'TemporalDeadlineError';
  }
}

/** What `withinDeadline` needs of a Temporal client or connection. */
export interface DeadlineScope {
  withDeadline<T>(deadline: number | Date, fn: () => Promise<T>): Promise<T>;
}

const cancelledCall = (err: unknown) => errorCauses(err).some((e) => isGrpcServiceError(e) && e.code === GRPC_STATUS.CANCELLED);

/**
 * Runs `fn`'s Temporal calls with a deadline `ms` from now. When it passes, the client's own timer
 * ends a call as DEADLINE_EXCEEDED, but the server got the same deadline (gRPC sends it along) and
 * may reset the stream first; gRPC then reports CANCELLED ("Call cancelled"). Either way nobody
 * answered in time, so a cancelled call at or after the deadline is raised as a
 * `TemporalDeadlineError`, which the API treats as Temporal being unavailable, as it does a
 * DEADLINE_EXCEEDED. Anything else is raised as it came.
 */
export async function withinDeadline<T>(scope: DeadlineScope, ms: number, fn: () => Promise<T>, now: () => number = Date.now): Promise<T> {
  const deadline = now() + ms;
  try {
    return await scope.withDeadline(deadline, fn);
  } catch (err) {
    if (now() >= deadline && cancelledCall(err)) throw new TemporalDeadlineError(err);
    throw err;
  }
}
