import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Playbook } from './playbook';

/**
 * `sha256:<hex>` of the playbook's canonical JSON (RFC 8785): the same content gives the same
 * digest whatever its key order or whether it was written in JSON or YAML, so an incident that
 * pinned a version can prove which content it ran.
 */
export function playbookDigest(playbook: Playbook): string {
  const canonical = canonicalize(playbook);
  if (canonical === undefined) throw new Error('a playbook has a canonical form');
  return `sha256:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}
