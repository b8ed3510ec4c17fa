import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { RETRY_POLICIES } from '../workflows/retry-policies';
import { ASSET_KINDS } from './asset';
import { INCIDENT_ROLES } from './decisions';
import { Duration } from './duration-schema';
import { FOLLOW_UP_PREFIX, isFollowUp } from './task';
import { CONTAINMENT_DECISION } from './response-plan';
import { CONDITION_FACT_ROOTS, LOGIC_OPERATORS } from './playbook-logic';
import { SEVERITIES } from './severity';
import { webhookUrlProblem } from './webhook-url';

/** Names of playbooks and steps: what the API accepts in a path, so a name never needs escaping. */
const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const Slug = z.string().regex(SLUG, 'lower-case letters, digits, - and _, at most 64, starting with a letter or digit');

/** The named retry policies a step may use; the compile-time check below keeps them equal to the table's keys. */
export const RETRY_POLICY_NAMES = ['untilDelivered', 'adapterAction'] as const;
export type RetryPolicyName = (typeof RETRY_POLICY_NAMES)[number];
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const retryNamesMatchTable: SameKeys<RetryPolicyName, keyof typeof RETRY_POLICIES> = true;
void retryNamesMatchTable;

export const PLAYBOOK_ACTIONS = ['contain', 'collect_evidence', 'verify_patches', 'recover', 'notify', 'webhook'] as const;
export type PlaybookAction = (typeof PLAYBOOK_ACTIONS)[number];

/** Roles that act on tasks and approvals; integrations and auditors never do. */
export const ACTING_ROLES = ['responder', 'manager', 'admin'] as const;

export const MAX_STEPS = 200;

/** A JSONLogic rule (https://jsonlogic.com): one operator, its arguments; evaluated as data, never as code. */
export type Condition = Record<string, unknown>;

const ConditionSchema = z
  .record(z.string(), z.unknown())
  .superRefine((rule, ctx) => {
    for (const problem of conditionProblems(rule)) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  }) as z.ZodType<Condition>;

/** A playbook's or a step's title: one line (a task's title comes from it); YAML's trailing newline is trimmed first. */
const PlaybookTitle = z.string().trim().min(1).max(200).regex(/^[^\r\n]*$/, 'must be one line: no CR or LF');

const StepBase = {
  // Follow-ups share the incident's task ids in the read model; their prefix is theirs alone.
  id: Slug.refine((id) => !isFollowUp(id), { message: `"${FOLLOW_UP_PREFIX}" starts the ids of a closed incident's follow-ups; name the step otherwise` }),
  title: PlaybookTitle,
  needs: z.array(Slug).max(MAX_STEPS).optional(),
  /** Runs only when this holds once every need is settled; otherwise the step is skipped, "condition false". */
  when: ConditionSchema.optional(),
  retry: z.enum(RETRY_POLICY_NAMES).optional(),
};

const ActionStep = z
  .strictObject({
    ...StepBase,
    kind: z.literal('action'),
    action: z.enum(PLAYBOOK_ACTIONS),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((step, ctx) => {
    const approval = step.params?.['approval'];
    if (approval !== undefined) {
      if (step.action !== 'contain') ctx.addIssue({ code: 'custom', path: ['params', 'approval'], message: 'only a contain action asks for the containment decision' });
      else if (approval !== CONTAINMENT_DECISION) ctx.addIssue({ code: 'custom', path: ['params', 'approval'], message: `"${CONTAINMENT_DECISION}" (the incident's containment decision) is the only value` });
      else if (step.params?.['destructiveApprovedBy'] !== undefined) ctx.addIssue({ code: 'custom', path: ['params', 'approval'], message: 'a contain step waits for a gate (destructiveApprovedBy) or the containment decision, not both' });
    }
    if (step.action !== 'webhook') return;
    const url = step.params?.['url'];
    if (url === undefined) ctx.addIssue({ code: 'custom', path: ['params', 'url'], message: 'a webhook action needs params.url' });
    else if (typeof url !== 'string') ctx.addIssue({ code: 'custom', path: ['params', 'url'], message: 'an https URL' });
    else if (webhookUrlProblem(url)) ctx.addIssue({ code: 'custom', path: ['params', 'url'], message: webhookUrlProblem(url)! });
  });

const OutcomeField = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a field name: letters, digits and _, starting with a letter'),
  type: z.enum(['string', 'boolean', 'number']),
  required: z.boolean().default(false),
});

const TaskOwner = z.union([z.strictObject({ role: z.enum(ACTING_ROLES) }), z.strictObject({ incidentRole: z.enum(INCIDENT_ROLES) })], {
  error: `an owner is {"role": one of ${ACTING_ROLES.join(', ')}} or {"incidentRole": one of ${INCIDENT_ROLES.join(', ')}}`,
});

const TaskStep = z
  .strictObject({
    ...StepBase,
    kind: z.literal('task'),
    /** Markdown. */
    instructions: z.string().min(1).max(20_000),
    owner: TaskOwner,
    due: Duration,
    remindEvery: Duration.optional(),
    outcomeFields: z.array(OutcomeField).max(50).optional(),
    /** Artifacts the task refers to, by id. */
    evidence: z.array(z.string().min(1).max(200)).max(100).optional(),
  })
  .superRefine((step, ctx) => {
    const seen = new Set<string>();
    step.outcomeFields?.forEach((field, i) => {
      if (seen.has(field.name)) ctx.addIssue({ code: 'custom', path: ['outcomeFields', i, 'name'], message: `outcome field "${field.name}" is listed twice` });
      seen.add(field.name);
    });
    if (step.remindEvery !== undefined && step.remindEvery >= step.due) {
      ctx.addIssue({ code: 'custom', path: ['remindEvery'], message: 'reminders come before the due time: remindEvery must be shorter than due' });
    }
  });

const ApprovalStep = z
  .strictObject({
    ...StepBase,
    kind: z.literal('approval'),
    approvers: z.array(z.enum(ACTING_ROLES)).min(1, 'at least one role may approve').max(ACTING_ROLES.length),
    /** 2: two different people must approve (four eyes), e.g. before destructive actions. */
    distinctApprovers: z.union([z.literal(1), z.literal(2)]).optional(),
    due: Duration,
  })
  .superRefine((step, ctx) => {
    if (new Set(step.approvers).size !== step.approvers.length) ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'a role is listed twice' });
  });

const WaitStep = z
  .strictObject({
    ...StepBase,
    kind: z.literal('wait'),
    for: Duration.optional(),
    /** A condition on the incident's facts; the step is done once it holds. */
    until: ConditionSchema.optional(),
  })
  .superRefine((step, ctx) => {
    if ((step.for === undefined) === (step.until === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a wait has either "for" (a duration) or "until" (a condition), not both and not neither' });
    }
  });

const SubPlaybookStep = z.strictObject({
  ...StepBase,
  kind: z.literal('playbook'),
  playbook: z.strictObject({ name: Slug, version: z.number().int().min(1).max(1_000_000) }),
});

const StepSchema = z.discriminatedUnion('kind', [ActionStep, TaskStep, ApprovalStep, WaitStep, SubPlaybookStep], {
  error: (issue) => (issue.code === 'invalid_union' ? 'one of action, task, approval, wait, playbook' : undefined),
});

const MatchSchema = z.strictObject({
  categories: z.array(z.string().min(1).max(100)).min(1).max(100).optional(),
  severities: z.array(z.enum(SEVERITIES)).min(1).optional(),
  assetKinds: z.array(z.enum(ASSET_KINDS)).min(1).optional(),
});

export const PlaybookSchema = z.strictObject({
  name: Slug,
  version: z.number().int().min(1).max(1_000_000),
  title: PlaybookTitle,
  description: z.string().max(20_000).optional(),
  /**
   * When assessment chooses this playbook by itself: every listed criterion must match, and the
   * playbook matching more criteria wins. `{}` matches any incident; without `match` a playbook is
   * only run when named.
   */
  match: MatchSchema.optional(),
  steps: z.array(StepSchema).min(1, 'a playbook has at least one step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`),
});

export type Playbook = z.infer<typeof PlaybookSchema>;
export type PlaybookStep = Playbook['steps'][number];
export type PlaybookStepKind = PlaybookStep['kind'];
export type PlaybookMatch = NonNullable<Playbook['match']>;

export interface PlaybookIssue {
  /** Where, as `steps[3].needs[0]`; `(root)` for the whole document, `(file)` for its syntax. */
  path: string;
  message: string;
}

export type PlaybookValidation = { ok: true; playbook: Playbook } | { ok: false; issues: PlaybookIssue[] };

/** Validates a playbook: its shape, then its graph (unique ids, needs that exist, no cycle). */
export function validatePlaybook(input: unknown): PlaybookValidation {
  const parsed = PlaybookSchema.safeParse(input);
  // The graph is checked on the input as written, so one bad step does not hide a cycle elsewhere.
  const issues: PlaybookIssue[] = [...(parsed.success ? [] : parsed.error.issues.map(toIssue)), ...graphProblems(input)];
  if (parsed.success) issues.push(...outcomeReferenceProblems(parsed.data));
  if (issues.length > 0 || !parsed.success) return { ok: false, issues: dedupe(issues) };
  return { ok: true, playbook: parsed.data };
}

/** Parses playbook text and validates it; a syntax error is one issue at `(file)` with its line and column. */
export function parsePlaybookText(text: string, format: 'json' | 'yaml'): PlaybookValidation {
  let input: unknown;
  if (format === 'json') {
    try {
      input = JSON.parse(text);
    } catch (err) {
      return { ok: false, issues: [{ path: '(file)', message: jsonSyntaxMessage(text, err) }] };
    }
  } else {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    const error = doc.errors[0];
    if (error) {
      const at = error.linePos?.[0];
      const message = firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '');
      return { ok: false, issues: [{ path: '(file)', message: `${at ? `line ${at.line}, column ${at.col}: ` : ''}${message}` }] };
    }
    try {
      input = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      return { ok: false, issues: [{ path: '(file)', message: (err as Error).message }] };
    }
  }
  return validatePlaybook(input);
}

/** `["steps", 3, "needs", 0]` → `steps[3].needs[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function toIssue(issue: z.core.$ZodIssue): PlaybookIssue {
  if (issue.code === 'unrecognized_keys') return { path: formatPath(issue.path), message: `unknown ${issue.keys.length > 1 ? 'keys' : 'key'}: ${issue.keys.join(', ')}` };
  return { path: formatPath(issue.path), message: issue.message };
}

function dedupe(issues: PlaybookIssue[]): PlaybookIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface RawStep {
  index: number;
  id: string;
  needs: Array<{ id: string; index: number }>;
}

/** Steps as written, keeping only what the graph checks read. */
function rawSteps(input: unknown): RawStep[] {
  if (typeof input !== 'object' || input === null) return [];
  const steps = (input as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return [];
  const out: RawStep[] = [];
  steps.forEach((step: unknown, index) => {
    if (typeof step !== 'object' || step === null) return;
    const { id, needs } = step as { id?: unknown; needs?: unknown };
    if (typeof id !== 'string') return;
    const listed = Array.isArray(needs) ? needs.flatMap((n: unknown, i) => (typeof n === 'string' ? [{ id: n, index: i }] : [])) : [];
    out.push({ index, id, needs: listed });
  });
  return out;
}

/** Duplicate ids, needs on missing steps or on the step itself, needs listed twice, and cycles. */
function graphProblems(input: unknown): PlaybookIssue[] {
  const steps = rawSteps(input);
  const issues: PlaybookIssue[] = [];
  const firstIndex = new Map<string, number>();
  for (const step of steps) {
    const first = firstIndex.get(step.id);
    if (first !== undefined) issues.push({ path: `steps[${step.index}].id`, message: `duplicate step id "${step.id}" (first used by steps[${first}])` });
    else firstIndex.set(step.id, step.index);
  }
  for (const step of steps) {
    const listed = new Set<string>();
    for (const need of step.needs) {
      const path = `steps[${step.index}].needs[${need.index}]`;
      if (need.id === step.id) issues.push({ path, message: `step "${step.id}" needs itself` });
      else if (!firstIndex.has(need.id)) issues.push({ path, message: `no step "${need.id}"` });
      else if (listed.has(need.id)) issues.push({ path, message: `"${need.id}" is listed twice` });
      listed.add(need.id);
    }
  }
  issues.push(...cycleProblems(steps, firstIndex));
  return issues;
}

/** Each cycle once, named at the first step of it in the file, with the whole loop in the message. */
function cycleProblems(steps: RawStep[], firstIndex: Map<string, number>): PlaybookIssue[] {
  const byId = new Map<string, RawStep>();
  for (const step of steps) if (!byId.has(step.id)) byId.set(step.id, step);
  const state = new Map<string, 'visiting' | 'done'>();
  const issues: PlaybookIssue[] = [];
  const stack: string[] = [];
  // Iterative depth-first search: 200 steps in a chain must not exhaust the stack.
  for (const root of byId.keys()) {
    if (state.has(root)) continue;
    const frames: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'visiting');
    stack.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const step = byId.get(frame.id)!;
      const need = step.needs[frame.next++];
      if (!need) {
        state.set(frame.id, 'done');
        stack.pop();
        frames.pop();
        continue;
      }
      if (need.id === step.id || !byId.has(need.id)) continue; // reported elsewhere
      const seen = state.get(need.id);
      if (seen === 'visiting') {
        const loop = stack.slice(stack.indexOf(need.id));
        const first = loop.reduce((a, b) => (firstIndex.get(a)! <= firstIndex.get(b)! ? a : b));
        const at = byId.get(first)!;
        // The loop as "a needs b needs c needs a", starting from the step that is named.
        const start = loop.indexOf(first);
        const ordered = [...loop.slice(start), ...loop.slice(0, start), first];
        const into = at.needs.find((n) => n.id === ordered[1])!;
        issues.push({ path: `steps[${at.index}].needs[${into.index}]`, message: `cycle: ${ordered.map((s) => `"${s}"`).join(' needs ')}` });
      } else if (seen === undefined) {
        state.set(need.id, 'visiting');
        stack.push(need.id);
        frames.push({ id: need.id, next: 0 });
      }
    }
  }
  return issues;
}

/**
 * A condition may read `outcomes.<step>` only for a step it (transitively) needs: any other step
 * may not have finished when the condition is evaluated, and the plan would depend on timing.
 */
function outcomeReferenceProblems(playbook: Playbook): PlaybookIssue[] {
  const byId = new Map(playbook.steps.map((s) => [s.id, s]));
  const ancestors = (id: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [...(byId.get(id)?.needs ?? [])];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...(byId.get(next)?.needs ?? []));
    }
    return seen;
  };
  const issues: PlaybookIssue[] = [];
  playbook.steps.forEach((step, i) => {
    const conditions: Array<[string, Condition | undefined]> = [['when', step.when], ...(step.kind === 'wait' ? [['until', step.until] as [string, Condition | undefined]] : [])];
    for (const [key, condition] of conditions) {
      if (!condition) continue;
      const before = ancestors(step.id);
      for (const ref of outcomeReferences(condition)) {
        if (!byId.has(ref)) issues.push({ path: `steps[${i}].${key}`, message: `reads outcomes.${ref}, but there is no step "${ref}"` });
        else if (!before.has(ref)) issues.push({ path: `steps[${i}].${key}`, message: `reads outcomes.${ref}, so it must need "${ref}" (directly or through another step)` });
      }
    }
  });
  return issues;
}

/** Operators whose later arguments run with each array element as data, not the incident's facts. */
const SCOPED_OPERATORS = new Set(['map', 'filter', 'reduce', 'all', 'none', 'some']);

/** Walks a rule: known operators only, `var` paths under the known fact roots. */
function conditionProblems(rule: unknown, path: Array<string | number> = [], depth = 0): Array<{ path: Array<string | number>; message: string }> {
  if (depth > 32) return [{ path, message: 'a condition nested more than 32 deep' }];
  if (Array.isArray(rule)) return rule.flatMap((r, i) => conditionProblems(r, [...path, i], depth + 1));
  if (typeof rule !== 'object' || rule === null) return depth === 0 ? [{ path, message: 'a condition is a JSONLogic rule such as {"==": [{"var": "severity"}, "critical"]}' }] : [];
  const keys = Object.keys(rule);
  if (keys.length !== 1) return [{ path, message: `a JSONLogic rule has exactly one operator, not ${keys.length}${keys.length ? ` (${keys.join(', ')})` : ''}` }];
  const op = keys[0]!;
  if (!LOGIC_OPERATORS.has(op)) return [{ path, message: `unknown operator "${op}"` }];
  const args = (rule as Record<string, unknown>)[op];
  if (op === 'var') {
    const name = Array.isArray(args) ? args[0] : args;
    const root = typeof name === 'string' ? name.split('.')[0]! : '';
    if (!(CONDITION_FACT_ROOTS as readonly string[]).includes(root)) {
      return [{ path: [...path, op], message: `var reads a fact under ${CONDITION_FACT_ROOTS.join(', ')}, e.g. "severity" or "outcomes.triage.confirmed"; not ${JSON.stringify(name)}` }];
    }
    return [];
  }
  if (SCOPED_OPERATORS.has(op) && Array.isArray(args)) {
    return conditionProblems(args[0], [...path, op, 0], depth + 1).concat(args.slice(1).flatMap((a, i) => conditionShapeProblems(a, [...path, op, i + 1], depth + 1)));
  }
  return conditionProblems(args, [...path, op], depth + 1);
}

/** Inside map/filter/…: operators are checked, but `var` reads the element, so its roots are not. */
function conditionShapeProblems(rule: unknown, path: Array<string | number>, depth: number): Array<{ path: Array<string | number>; message: string }> {
  if (depth > 32) return [{ path, message: 'a condition nested more than 32 deep' }];
  if (Array.isArray(rule)) return rule.flatMap((r, i) => conditionShapeProblems(r, [...path, i], depth + 1));
  if (typeof rule !== 'object' || rule === null) return [];
  const keys = Object.keys(rule);
  if (keys.length !== 1) return [{ path, message: `a JSONLogic rule has exactly one operator, not ${keys.length}` }];
  const op = keys[0]!;
  if (!LOGIC_OPERATORS.has(op)) return [{ path, message: `unknown operator "${op}"` }];
  return conditionShapeProblems((rule as Record<string, unknown>)[op], [...path, op], depth + 1);
}

function outcomeReferences(rule: unknown): Set<string> {
  const refs = new Set<string>();
  for (const name of varNames(rule)) {
    const [root, step] = name.split('.');
    if (root === 'outcomes' && step) refs.add(step);
  }
  return refs;
}

function varNames(rule: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(rule)) {
    for (const r of rule) varNames(r, out);
    return out;
  }
  if (typeof rule !== 'object' || rule === null) return out;
  for (const [op, args] of Object.entries(rule)) {
    if (op === 'var') {
      const name = Array.isArray(args) ? args[0] : args;
      if (typeof name === 'string') out.add(name);
    } else if (SCOPED_OPERATORS.has(op) && Array.isArray(args)) {
      varNames(args[0], out);
    } else {
      varNames(args, out);
    }
  }
  return out;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** JSON.parse names a position (and on newer engines a line); the issue always gives line and column. */
function jsonSyntaxMessage(text: string, err: unknown): string {
  const message = firstLine((err as Error).message);
  const position = /position (\d+)/.exec(message);
  if (position) {
    const offset = Number(position[1]);
    const before = text.slice(0, offset).split('\n');
    return `line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '')}`;
  }
  if (text.trim() === '') return 'line 1, column 1: the document is empty';
  const lines = text.split('\n');
  return `line ${lines.length}, column ${lines[lines.length - 1]!.length + 1}: ${message}`;
}
