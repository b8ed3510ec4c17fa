import type { PlaybookStore, PlaybookVersion } from '../db/playbook-store';
import { validatePlaybook, type Playbook, type PlaybookIssue } from '../domain/playbook';
import { flattenPlaybook, subPlaybookReferences } from '../domain/playbook-flatten';
import { playbookDigest } from '../domain/playbook-digest';
import { choosePlaybook, type MatchFacts } from '../domain/playbook-match';
import type { PinnedBy, PinnedPlaybook } from '../domain/playbook-run';
import containFirst from '../domain/playbooks/contain-first.json';
import evidenceFirst from '../domain/playbooks/evidence-first.json';

/** A built-in playbook as the store would keep it: parsed, validated, with its digest. */
function builtIn(source: unknown): { playbook: Playbook; digest: string } {
  const validated = validatePlaybook(source);
  if (!validated.ok) throw new Error(`a built-in playbook is invalid: ${validated.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { playbook: validated.playbook, digest: playbookDigest(validated.playbook) };
}

/** Today's two strategies as playbooks, answering to their names while the store has none of that name. */
const BUILT_IN = new Map([containFirst, evidenceFirst].map((source) => {
  const entry = builtIn(source);
  return [entry.playbook.name, entry] as const;
}));

/** Why a playbook that exists cannot be pinned: its sub-playbooks do not flatten into a valid playbook. */
export interface Unrunnable {
  name: string;
  version: number;
  issues: PlaybookIssue[];
}

export type Resolved = PinnedPlaybook | { missing: 'name' | 'version' } | { unrunnable: Unrunnable };

const fromStore = (stored: PlaybookVersion) => ({ playbook: stored.playbook, digest: stored.digest });

/**
 * Finds the playbook an incident pins: the store's parsed, validated versions (never the text),
 * with the digest it was stored under, or a built-in when the store has no playbook of its name.
 */
export class PlaybookResolver {
  constructor(private readonly store: PlaybookStore) {}

  /**
   * The named version, or the latest when none is named. When there is none, says what is missing:
   * the name (neither stored nor built in) or only that version of it.
   */
  async named(name: string, version: number | undefined, chosen: Exclude<PinnedBy, 'matched'>): Promise<Resolved> {
    const found = await this.find(name, version);
    return 'missing' in found ? found : this.pin(found, chosen);
  }

  /** The latest stored playbook whose matching rules fit the incident best, if any does. */
  async matching(facts: MatchFacts): Promise<PinnedPlaybook | { unrunnable: Unrunnable } | undefined> {
    const latest = await this.store.latest();
    const chosen = choosePlaybook(latest.map((p) => p.playbook), facts);
    const stored = chosen && latest.find((p) => p.name === chosen.name && p.version === chosen.version);
    return stored ? this.pin(fromStore(stored), 'matched') : undefined;
  }

  private async find(name: string, version: number | undefined): Promise<{ playbook: Playbook; digest: string } | { missing: 'name' | 'version' }> {
    const latest = (await this.store.latest()).find((p) => p.name === name);
    // A stored playbook of that name shadows the built-in.
    if (latest) {
      const stored = version === undefined || version === latest.version ? latest : await this.store.get(name, version);
      return stored ? fromStore(stored) : { missing: 'version' };
    }
    const builtin = BUILT_IN.get(name);
    if (!builtin) return { missing: 'name' };
    if (version !== undefined && version !== builtin.playbook.version) return { missing: 'version' };
    return builtin;
  }

  /**
   * Pinned as the interpreter runs it: sub-playbooks flattened into plain steps (each version they
   * name fetched first), the result validated as any playbook is. The digest stays the one the
   * store gave the version chosen, so the incident proves which version it ran.
   */
  private async pin(entry: { playbook: Playbook; digest: string }, chosen: PinnedBy): Promise<PinnedPlaybook | { unrunnable: Unrunnable }> {
    const { name, version } = entry.playbook;
    const fetched = new Map<string, Playbook>();
    const key = (n: string, v: number) => `${n}@${v}`;
    const pending = subPlaybookReferences(entry.playbook);
    while (pending.length > 0) {
      const ref = pending.pop()!;
      if (fetched.has(key(ref.name, ref.version)) || (ref.name === name && ref.version === version)) continue;
      const sub = await this.find(ref.name, ref.version);
      if ('missing' in sub) continue; // flattening names the step that refers to it
      fetched.set(key(ref.name, ref.version), sub.playbook);
      pending.push(...subPlaybookReferences(sub.playbook));
    }
    const flat = flattenPlaybook(entry.playbook, (n, v) => (n === name && v === version ? entry.playbook : fetched.get(key(n, v))));
    const valid = flat.ok ? validatePlaybook(flat.playbook) : flat;
    if (!valid.ok) return { unrunnable: { name, version, issues: valid.issues } };
    return { name, version, digest: entry.digest, playbook: valid.playbook, chosen };
  }
}
