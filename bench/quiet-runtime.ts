import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Milliseconds: fine enough to split a decision of tens of milliseconds into its parts. */
const FINE_MS = [1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000];
const LATENCIES = [
  'workflow_task_schedule_to_start_latency',
  'workflow_task_execution_latency',
  'workflow_task_replay_latency',
  'workflow_activation_execution_latency',
  'activity_schedule_to_start_latency',
  'activity_execution_latency',
  'local_activity_execution_latency',
  'local_activity_total_latency',
  'request_latency',
  'long_request_latency',
];

/**
 * Errors only, from the SDK and from its core: a loaded benchmark makes the core warn about every
 * slow workflow task, which would bury the results it prints. With FIREBREAK_BENCH_CORE_METRICS
 * (a host:port) the core also serves its own metrics there (`coreLatencies` in harness.ts reads
 * them), its latencies in fine buckets.
 */
export function installQuietRuntime(): void {
  const bindAddress = process.env.FIREBREAK_BENCH_CORE_METRICS;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: {
      logging: { filter: { core: 'ERROR', other: 'ERROR' } },
      ...(bindAddress ? { metrics: { prometheus: { bindAddress, histogramBucketOverrides: Object.fromEntries(LATENCIES.map((name) => [name, FINE_MS])) } } } : {}),
    },
  });
}
