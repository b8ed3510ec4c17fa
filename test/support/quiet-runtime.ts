import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers log every state change at INFO; tests only want warnings. Runtime.install must come
// before any worker or connection, and only once per process (suites share one when in band).
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier suite in this process
}
