/**
 * The modules the worker loads once per workflow thread and shares, frozen, among all its
 * workflows (the bundler's `preloadModules`, src/worker/workflow-bundle.ts), instead of evaluating
 * them again in every workflow it creates or rebuilds from history. Every other module of the
 * bundle is still evaluated once per workflow.
 *
 * A module belongs here only if it is pure: it holds no per-workflow state, nothing mutates what it
 * exports (the worker freezes it), and loading it calls no workflow API (no activator exists yet).
 * The domain's rules, the message and search attribute definitions, the retry policies, the
 * trusted keys and the libraries they use are. Modules that proxy activities or hold a run's state
 * (src/workflows/*-phase, incident-run, watchers) are not. Loading order does not matter to
 * replay: none of these modules issues a command. One module is here for its effect, not its
 * exports: stack-trace-limit sets the sandbox's `Error.stackTraceLimit`, which only a module loaded
 * before the worker freezes the sandbox's globals can.
 */
import '../domain/asset';
import '../domain/containment-plan-digest';
import '../domain/decision-roles';
import '../domain/decision-signature';
import '../domain/duration';
import '../domain/ed25519-verify';
import '../domain/escalation';
import '../domain/follow-up';
import '../domain/incident';
import '../domain/observable-record';
import '../domain/phase';
import '../domain/playbook-logic';
import '../domain/playbook-plan';
import '../domain/playbook-run';
import '../domain/policy';
import '../domain/regulatory';
import '../domain/response-plan';
import '../domain/severity';
import '../domain/task';
import '../domain/timeline-steps';
import '../temporal/contract';
import '../temporal/search-attributes';
import './messages';
import './retry-policies';
import './stack-trace-limit';
import './trusted-decision-keys';
