import { temporalKind, temporalServerInstall } from '../../src/temporal/temporal-server';

const isBuilt = () => {
  try {
    temporalServerInstall();
    return true;
  } catch {
    return false;
  }
};

/**
 * `describe` for tests of the Temporal server itself: they run where `make temporal-server` has
 * built it, and always under FIREBREAK_TEMPORAL=server, where a server that is not built fails the
 * run instead of skipping it.
 */
export const describeWithTemporalServer: jest.Describe =
  temporalKind(process.env.FIREBREAK_TEMPORAL, 'FIREBREAK_TEMPORAL') === 'server' || isBuilt() ? describe : describe.skip;
