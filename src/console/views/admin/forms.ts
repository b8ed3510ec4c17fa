/** What the administration forms send, and how keys read in the table. Pure: no DOM. */

export const KEY_ROLES = ['integration', 'responder', 'manager', 'auditor', 'admin'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** The escalation levels the roster names, lowest first (the API's ESCALATION_TARGETS). */
export const ROSTER_LEVELS = ['on_call', 'ir_manager', 'ciso', 'external_assistance'] as const;

export interface KeyForm {
  name: string;
  role: string;
  /** A `datetime-local` value (local time, no zone), or empty for a key that does not expire. */
  expiresAt: string;
  /** Integration keys: the sources, separated by commas, spaces or new lines. */
  sources: string;
  /** Integration keys: the highest severity its alerts are recorded at, or empty for none. */
  maxSeverity: string;
}

export interface NewKeyBody {
  name: string;
  role: KeyRole;
  expiresAt?: string;
  sources?: string[];
  maxSeverity?: string;
}

/** Items of a list typed as text: split on commas and line breaks (and spaces for identifiers), trimmed, blanks and repeats dropped. */
export function listFromText(text: string, splitOnSpaces: boolean): string[] {
  const parts = text.split(splitOnSpaces ? /[\s,]+/ : /[\r\n]+/).map((s) => s.trim()).filter(Boolean);
  return [...new Set(parts)];
}

/** The POST /v1/admin/keys body from the form, or the field and what is wrong with it. */
export function newKeyBody(form: KeyForm, now: Date): { ok: true; body: NewKeyBody } | { ok: false; field: keyof KeyForm; message: string } {
  const name = form.name.trim();
  if (!name) return { ok: false, field: 'name', message: 'Name the key: who or what will use it' };
  if (!(KEY_ROLES as readonly string[]).includes(form.role)) return { ok: false, field: 'role', message: 'Choose a role' };
  const body: NewKeyBody = { name, role: form.role as KeyRole };
  if (form.expiresAt.trim()) {
    const at = new Date(form.expiresAt);
    if (Number.isNaN(at.getTime())) return { ok: false, field: 'expiresAt', message: 'Not a date and time' };
    if (at.getTime() <= now.getTime()) return { ok: false, field: 'expiresAt', message: 'Must be in the future' };
    body.expiresAt = at.toISOString();
  }
  if (body.role === 'integration') {
    const sources = listFromText(form.sources, true);
    if (sources.length === 0) return { ok: false, field: 'sources', message: 'An integration key reports for named sources: name at least one' };
    body.sources = sources;
    if (form.maxSeverity) body.maxSeverity = form.maxSeverity;
  }
  return { ok: true, body };
}

export interface KeyRow {
  keyId: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export function keyStatus(key: KeyRow, now: Date): KeyStatus {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

/** Active keys first, then expired, then revoked; newest first within each. */
export function sortKeys<T extends KeyRow>(keys: T[], now: Date): T[] {
  const rank: Record<KeyStatus, number> = { active: 0, expired: 1, revoked: 2 };
  return [...keys].sort((a, b) => rank[keyStatus(a, now)] - rank[keyStatus(b, now)] || b.createdAt.localeCompare(a.createdAt));
}
