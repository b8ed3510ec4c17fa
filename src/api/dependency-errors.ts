import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { errorCauses } from '../error-causes';
import { TemporalDeadlineError } from '../temporal/deadline';
import { GRPC_STATUS } from '../temporal/grpc-status';
import { TemporalUnreachableError } from '../temporal/reachability';

/** gRPC status codes that mean "the server is not there right now", not "your call was wrong". */
const UNAVAILABLE_GRPC_CODES = new Set<number>([GRPC_STATUS.DEADLINE_EXCEEDED, GRPC_STATUS.UNAVAILABLE]);

/** Node and PostgreSQL error codes that mean the database cannot be reached or is shutting down. */
const UNAVAILABLE_PG_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300']);

/** Which dependency made this error a "try again later", if any. */
export function unavailableDependency(err: unknown): 'Temporal' | 'PostgreSQL' | undefined {
  for (const e of errorCauses(err)) {
    if (e instanceof TemporalUnreachableError || e instanceof TemporalDeadlineError) return 'Temporal';
    if (isGrpcServiceError(e) && UNAVAILABLE_GRPC_CODES.has(e.code)) return 'Temporal';
    if (e instanceof ServiceError && /unavailable|deadline|connect/i.test(e.message)) return 'Temporal';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_PG_CODES.has(code)) return 'PostgreSQL';
    if (e instanceof Error && /timeout exceeded when trying to connect|Connection terminated|is not queryable/i.test(e.message)) return 'PostgreSQL';
  }
  return undefined;
}
