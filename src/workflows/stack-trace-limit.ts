/**
 * How many frames a stack captured inside the workflow sandbox keeps. The SDK captures one for
 * every promise a workflow makes, so that its stack-trace query (the Temporal UI's "Stack Trace"
 * tab) can say where each workflow waits; V8's default of 10 frames made that capture about a
 * third of the workflow thread's time when a new worker rebuilt 1,000 incidents from their
 * histories (bench/RESULTS.md, 2026-12-05). Five keep the awaiting function and its callers within
 * Firebreak's code (test/workflows/stack-trace-limit.test.ts). The stacks of errors thrown in
 * workflow code are as short; activities run outside the sandbox and keep V8's default.
 *
 * Set while the worker preloads the shared modules (src/workflows/shared-modules.ts), the one time
 * before it freezes the sandbox's globals. It issues no command, so replay does not see it.
 */
export const WORKFLOW_STACK_TRACE_LIMIT = 5;

Error.stackTraceLimit = WORKFLOW_STACK_TRACE_LIMIT;
