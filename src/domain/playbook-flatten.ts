import type { Condition, Playbook, PlaybookIssue, PlaybookStep } from './playbook';

/**
 * Sub-playbooks, flattened when a playbook is pinned: a step of kind `playbook` is replaced by the
 * referenced version's steps, so the interpreter only ever runs plain steps. Pure, with no runtime
 * imports (zod and the YAML parser stay behind in playbook.ts); the caller validates the result
 * with `validatePlaybook` as it does any playbook.
 *
 * Step ids may not contain '.', so a sub-step's id is `<step id>__<sub-step id>`: `contain` from
 * the step `isolate` becomes `isolate__contain`.
 */
export const SUB_STEP_SEPARATOR = '__';

/** The step-id length and step count playbook.ts allows (a test keeps them equal). */
export const MAX_STEP_ID_LENGTH = 64;
export const MAX_FLAT_STEPS = 200;

/** Finds a stored version; undefined when there is none. */
export type PlaybookLookup = (name: string, version: number) => Playbook | undefined;

export type PlaybookFlattening = { ok: true; playbook: Playbook } | { ok: false; issues: PlaybookIssue[] };

type PlainStep = Exclude<PlaybookStep, { kind: 'playbook' }>;
type SubPlaybookStep = Extract<PlaybookStep, { kind: 'playbook' }>;

/** A flattened step and the index of the step of the top playbook it came from, for issue paths. */
interface Placed {
  step: PlainStep;
  origin: number;
}

/** The versions a playbook's steps refer to directly, each once: what a caller fetches before flattening. */
export function subPlaybookReferences(playbook: Playbook): Array<{ name: string; version: number }> {
  const seen = new Map<string, { name: string; version: number }>();
  for (const step of playbook.steps) if (step.kind === 'playbook') seen.set(keyOf(step.playbook), { ...step.playbook });
  return [...seen.values()];
}

/**
 * Replaces every sub-playbook step, recursively, by the steps of the version it names:
 * - the sub-steps keep their order and their needs among themselves, under `<step id>__`;
 * - sub-steps that need nothing need what the sub-playbook step needed;
 * - a step that needed the sub-playbook step needs each of its sinks (the sub-steps nothing in
 *   it needs), so it waits for the whole sub-playbook;
 * - the step's `when` is and-ed into each sub-step's, and its `retry` is the sub-steps' default;
 * - conditions and `destructiveApprovedBy` that name a sub-step are renamed with it.
 * A missing version, a cycle of playbooks, an id that comes out too long or twice, or too many
 * steps is an issue at the path of the top playbook's step it comes from.
 */
export function flattenPlaybook(playbook: Playbook, resolve: PlaybookLookup): PlaybookFlattening {
  const found: Found = { issues: [], overflow: false };
  const placed = expand(playbook, resolve, [keyOf(playbook)], undefined, '', found);
  const issues = dedupe(found.issues);
  if (issues.length > 0 || !placed) return { ok: false, issues };
  if (!playbook.steps.some((s) => s.kind === 'playbook')) return { ok: true, playbook };
  const firstOrigin = new Map<string, number>();
  for (const { step, origin } of placed) {
    const from = playbook.steps[origin]!;
    if (step.id.length > MAX_STEP_ID_LENGTH) {
      issues.push({ path: `steps[${origin}].id`, message: `its sub-step becomes "${step.id}", longer than ${MAX_STEP_ID_LENGTH} characters: shorten "${from.id}" or the sub-playbook's step ids` });
    }
    const first = firstOrigin.get(step.id);
    if (first === undefined) firstOrigin.set(step.id, origin);
    else issues.push({ path: `steps[${origin}].id`, message: `step id "${step.id}" comes out twice once sub-playbooks are flattened (also from steps[${first}]): rename one` });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, playbook: { ...playbook, steps: placed.map((p) => p.step) } };
}

/** Issues so far; once a playbook grew too big, nothing more is expanded (a doubling chain would take for ever). */
interface Found {
  issues: PlaybookIssue[];
  overflow: boolean;
}

/**
 * One playbook's steps, its sub-playbooks expanded; undefined after an issue. `origin` is the top
 * playbook's step this one was reached through (undefined at the top), `via` names the way there.
 */
function expand(playbook: Playbook, resolve: PlaybookLookup, stack: string[], origin: number | undefined, via: string, found: Found): Placed[] | undefined {
  const { issues } = found;
  const out: Placed[] = [];
  const sinksOf = new Map<string, string[]>();
  let failed = false;
  playbook.steps.forEach((step, index) => {
    const from = origin ?? index;
    if (found.overflow) return;
    if (step.kind !== 'playbook') {
      out.push({ step, origin: from });
      return;
    }
    const fail = (message: string) => {
      issues.push({ path: `steps[${from}].playbook`, message: via ? `${via}, steps[${index}].playbook: ${message}` : message });
      failed = true;
    };
    const key = keyOf(step.playbook);
    if (stack.includes(key)) return fail(`cycle: ${[...stack.slice(stack.indexOf(key)), key].join(' uses ')}`);
    const sub = resolve(step.playbook.name, step.playbook.version);
    if (!sub) return fail(`no playbook "${step.playbook.name}" version ${step.playbook.version}`);
    const inner = expand(sub, resolve, [...stack, key], from, `${via ? `${via}, ` : ''}in ${key}`, found);
    if (!inner) {
      failed = true;
      return;
    }
    const prefix = `${step.id}${SUB_STEP_SEPARATOR}`;
    const innerIds = new Set(inner.map((p) => p.step.id));
    const needed = new Set(inner.flatMap((p) => p.step.needs ?? []));
    sinksOf.set(step.id, inner.filter((p) => !needed.has(p.step.id)).map((p) => prefix + p.step.id));
    for (const p of inner) out.push({ step: asSubStep(p.step, step, prefix, innerIds), origin: from });
  });
  if (failed || found.overflow) return undefined;
  if (out.length > MAX_FLAT_STEPS) {
    found.overflow = true;
    const what = origin === undefined ? 'the playbook' : via.replace(/^.*\bin /, 'playbook ');
    issues.push({ path: origin === undefined ? 'steps' : `steps[${origin}].playbook`, message: `flattened, ${what} has ${out.length} steps; at most ${MAX_FLAT_STEPS}` });
    return undefined;
  }
  if (sinksOf.size === 0) return out;
  // Needs on a sub-playbook step become needs on its sinks; sub-steps inherited such needs too.
  return out.map((p) => {
    const needs = p.step.needs;
    if (!needs?.some((n) => sinksOf.has(n))) return p;
    return { ...p, step: { ...p.step, needs: [...new Set(needs.flatMap((n) => sinksOf.get(n) ?? [n]))] } };
  });
}

/** A step of a sub-playbook as a step of the playbook that uses it. */
function asSubStep(step: PlainStep, parent: SubPlaybookStep, prefix: string, ids: ReadonlySet<string>): PlainStep {
  const rename = (rule: Condition) => renameOutcomes(rule, prefix, ids);
  const own = step.when ? rename(step.when) : undefined;
  const when = parent.when && own ? { and: [parent.when, own] } : (parent.when ?? own);
  const needs = step.needs?.length ? step.needs.map((n) => prefix + n) : parent.needs?.length ? [...parent.needs] : undefined;
  const retry = step.retry ?? parent.retry;
  const { needs: _n, when: _w, retry: _r, ...rest } = step;
  const renamed = { ...rest, id: prefix + step.id, ...(needs ? { needs } : {}), ...(when ? { when } : {}), ...(retry ? { retry } : {}) } as PlainStep;
  if (renamed.kind === 'wait' && renamed.until) return { ...renamed, until: rename(renamed.until) };
  if (renamed.kind === 'action') {
    const gate = renamed.params?.['destructiveApprovedBy'];
    if (typeof gate === 'string' && ids.has(gate)) return { ...renamed, params: { ...renamed.params, destructiveApprovedBy: prefix + gate } };
  }
  return renamed;
}

/** Operators whose later arguments read each array element, not the incident's facts (as in playbook.ts). */
const SCOPED_OPERATORS = new Set(['map', 'filter', 'reduce', 'all', 'none', 'some']);

/** `{"var": "outcomes.<id>…"}` for a sub-step's id becomes `outcomes.<prefix><id>…`; everything else is kept. */
function renameOutcomes(rule: Condition, prefix: string, ids: ReadonlySet<string>): Condition {
  const renameName = (name: unknown): unknown => {
    if (typeof name !== 'string') return name;
    const [root, id, ...rest] = name.split('.');
    return root === 'outcomes' && id !== undefined && ids.has(id) ? ['outcomes', prefix + id, ...rest].join('.') : name;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([op, args]) => {
        if (op === 'var') return [op, Array.isArray(args) ? [renameName(args[0]), ...args.slice(1)] : renameName(args)];
        if (SCOPED_OPERATORS.has(op) && Array.isArray(args)) return [op, [walk(args[0]), ...args.slice(1)]];
        return [op, walk(args)];
      }),
    );
  };
  return walk(rule) as Condition;
}

const keyOf = (ref: { name: string; version: number }) => `${ref.name} version ${ref.version}`;

function dedupe(issues: PlaybookIssue[]): PlaybookIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(`${i.path}\u0000${i.message}`) && seen.add(`${i.path}\u0000${i.message}`));
}
