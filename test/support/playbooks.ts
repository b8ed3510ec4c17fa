import { validatePlaybook } from '../../src/domain/playbook';
import { playbookDigest } from '../../src/domain/playbook-digest';
import type { PinnedPlaybook } from '../../src/domain/playbook-run';

/** A playbook as the API pins it: validated, with its digest; throws on a playbook with issues. */
export function pinPlaybook(source: unknown, chosen: PinnedPlaybook['chosen'] = 'named'): PinnedPlaybook {
  const checked = validatePlaybook(source);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return { name: checked.playbook.name, version: checked.playbook.version, digest: playbookDigest(checked.playbook), playbook: checked.playbook, chosen };
}
