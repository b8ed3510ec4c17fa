import ipaddr from 'ipaddr.js';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { DEFAULT_TLP, OBSERVABLE_KINDS, TLP_LEVELS, type ObservableKind, type ObservableRef, type Tlp } from './observable-record';

export * from './observable-record';

/**
 * Observables: the addresses, names, hashes and identifiers an incident is about. Each kind has
 * one written form, so the same indicator from two tools is the same value: that is what makes
 * the register searchable and lets incidents that share one find each other.
 */

export type Normalised = { ok: true; value: string } | { ok: false; reason: string };

const ok = (value: string): Normalised => ({ ok: true, value });
const no = (reason: string): Normalised => ({ ok: false, reason });

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Undoes the usual defanging of indicators in reports and tickets: hxxp(s), [.] (.) {.} [dot],
 * [@] [at], [:] and [://]. Only for kinds where brackets cannot be part of the value.
 */
export function refang(text: string): string {
  return text
    .replace(/^h(?:xx|\*\*)p(s?)(?=\[?:)/i, 'http$1')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}/gi, '.')
    .replace(/\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\}/gi, '@');
}

const MAX_LENGTH: Record<ObservableKind, number> = {
  ipv4: 64,
  ipv6: 128,
  cidr: 128,
  domain: 300,
  url: 8_192,
  email: 320,
  hostname: 300,
  account: 256,
  md5: 64,
  sha1: 64,
  sha256: 128,
  file_path: 4_096,
  registry_key: 1_024,
  cve: 32,
  other: 2_048,
};

/** Validates and normalises one value of a kind; the reason says why a value is refused. */
export function normaliseObservable(kind: ObservableKind, raw: string): Normalised {
  const trimmed = raw.trim();
  if (trimmed.length === 0) return no('must not be blank');
  if (CONTROL.test(trimmed)) return no('must not contain control characters');
  if (trimmed.length > MAX_LENGTH[kind]) return no(`a ${kind} is at most ${MAX_LENGTH[kind]} characters`);
  switch (kind) {
    case 'ipv4':
      return ipv4(refang(trimmed));
    case 'ipv6':
      return ipv6(refang(trimmed));
    case 'cidr':
      return cidr(refang(trimmed));
    case 'domain':
      return dnsName(refang(trimmed), 'domain');
    case 'hostname':
      return dnsName(refang(trimmed), 'hostname');
    case 'url':
      return url(refang(trimmed));
    case 'email':
      return email(refang(trimmed));
    case 'account':
      return account(trimmed);
    case 'md5':
      return hash(trimmed, 'md5');
    case 'sha1':
      return hash(trimmed, 'sha1');
    case 'sha256':
      return hash(trimmed, 'sha256');
    case 'file_path':
      return filePath(trimmed);
    case 'registry_key':
      return registryKey(trimmed);
    case 'cve':
      return cve(trimmed);
    case 'other':
      return ok(trimmed);
  }
}

// --- addresses ---------------------------------------------------------------------------------

function ipv4(text: string): Normalised {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ok(ipaddr.IPv4.parse(text).toString());
  if (text.includes('/')) return no('is a network, not one address; use kind cidr');
  if (ipaddr.IPv6.isValid(text)) return no('is an IPv6 address; use kind ipv6');
  if (ipaddr.IPv4.isValid(text)) return no('must be four decimal numbers 0-255 without leading zeros (e.g. 192.0.2.1), not a shortened, octal or hexadecimal form');
  return no('is not an IPv4 address (four decimal numbers 0-255, e.g. 192.0.2.1)');
}

/** RFC 5952 text; an IPv4-mapped address keeps its dotted tail, as RFC 5952 section 5 recommends. */
function ipv6Text(address: ipaddr.IPv6): string {
  if (address.isIPv4MappedAddress()) return `::ffff:${address.toIPv4Address().toString()}`;
  return address.toRFC5952String();
}

function ipv6(text: string): Normalised {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.IPv6.isValid(bare)) return ok(ipv6Text(ipaddr.IPv6.parse(bare)));
  if (bare.includes('/')) return no('is a network, not one address; use kind cidr');
  if (ipaddr.IPv4.isValid(bare)) return no('is an IPv4 address; use kind ipv4');
  return no('is not an IPv6 address (e.g. 2001:db8::1)');
}

function cidr(text: string): Normalised {
  const slash = text.indexOf('/');
  if (slash < 0) return no('needs a prefix length, like 198.51.100.0/24 or 2001:db8::/32');
  const address = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return no('the prefix length must be a number');
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    if (Number(prefix) > 32) return no('an IPv4 prefix length is 0-32');
    return ok(`${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString()}/${Number(prefix)}`);
  }
  if (ipaddr.IPv6.isValid(address)) {
    if (Number(prefix) > 128) return no('an IPv6 prefix length is 0-128');
    if (address.includes('%')) return no('a network has no zone index');
    return ok(`${ipv6Text(ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefix}`))}/${Number(prefix)}`);
  }
  return no('the address before the prefix is neither IPv4 (four decimal numbers 0-255) nor IPv6');
}

// --- names -------------------------------------------------------------------------------------

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * A DNS name in lower case and ASCII (internationalised names in their xn-- form), without the
 * root's trailing dot. A domain has at least two labels; a hostname may be a single one (web-01).
 */
function dnsName(text: string, kind: 'domain' | 'hostname'): Normalised {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return no(`is a URL; a ${kind} has no scheme or path (use kind url)`);
  if (text.includes('@')) return no(`contains @; use kind email for an address`);
  if (/[\s/\\]/.test(text)) return no(`must not contain spaces or slashes`);
  const name = text.replace(/\.$/, '');
  if (ipaddr.IPv4.isValid(name)) return no('is an IPv4 address; use kind ipv4');
  if (ipaddr.IPv6.isValid(name.replace(/^\[(.*)\]$/, '$1'))) return no('is an IPv6 address; use kind ipv6');
  if (/\.\d+$/.test(name)) return no('ends in a numeric label, which no top-level domain is');
  const ascii = domainToASCII(name.toLowerCase());
  if (!ascii) return no('is not a valid domain name');
  if (ascii.length > 253) return no('a DNS name is at most 253 characters');
  const labels = ascii.split('.');
  if (kind === 'domain' && labels.length < 2) return no('needs at least two labels, like example.com (a single name is a hostname)');
  for (const label of labels) {
    if (label.length === 0) return no('has an empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) return no(`the label "${label.slice(0, 20)}…" is longer than 63 characters`);
    if (!LABEL.test(label)) return no(`the label "${label}" may hold only letters, digits, hyphens and underscores, and must not start or end with a hyphen`);
  }
  return ok(ascii);
}

function url(text: string): Normalised {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) return no('needs a scheme, like https://');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return no('is not a valid URL');
  }
  if (!parsed.hostname) return no('names no host');
  return ok(parsed.href);
}

function email(text: string): Normalised {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return no('needs a local part and a domain, like user@example.com');
  const local = text.slice(0, at);
  if (local.length > 64) return no('the local part (before @) is at most 64 characters');
  if (!/^[^\s@"(),:;<>[\\\]]+$/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return no('the local part (before @) is not valid');
  }
  const domain = dnsName(text.slice(at + 1), 'domain');
  if (!domain.ok) return no(`the domain part: ${domain.reason}`);
  // The local part may be case-sensitive (RFC 5321 section 2.4); the domain is not.
  return ok(`${local}@${domain.value}`);
}

/**
 * `DOMAIN\user` (Windows, case-insensitive: lower-cased), `user@domain` (a UPN: the domain
 * lower-cased), or a plain name kept as sent (Unix and cloud identities may be case-sensitive).
 */
function account(text: string): Normalised {
  const backslash = text.indexOf('\\');
  if (backslash >= 0) {
    const [domain, user, ...rest] = text.split('\\');
    if (rest.length || !domain || !user) return no('a Windows account is DOMAIN\\user, with one backslash');
    return ok(`${domain}\\${user}`.toLowerCase());
  }
  const at = text.lastIndexOf('@');
  if (at > 0) {
    const domain = dnsName(text.slice(at + 1), 'domain');
    if (!domain.ok) return no(`the domain after @: ${domain.reason}`);
    return ok(`${text.slice(0, at)}@${domain.value}`);
  }
  return ok(text);
}

// --- hashes, paths, keys, identifiers ---------------------------------------------------------

const HASH_DIGITS = { md5: 32, sha1: 40, sha256: 64 } as const;
const HASH_NAMES = { md5: 'an MD5', sha1: 'a SHA-1', sha256: 'a SHA-256' } as const;

function hash(text: string, kind: keyof typeof HASH_DIGITS): Normalised {
  if (!/^[0-9a-f]+$/i.test(text)) return no(`${HASH_NAMES[kind]} is hexadecimal digits only (0-9, a-f)`);
  if (text.length !== HASH_DIGITS[kind]) {
    const other = (Object.keys(HASH_DIGITS) as Array<keyof typeof HASH_DIGITS>).find((k) => HASH_DIGITS[k] === text.length);
    return no(`${HASH_NAMES[kind]} is ${HASH_DIGITS[kind]} hexadecimal digits; this has ${text.length}${other ? ` (the length of ${HASH_NAMES[other]}: use kind ${other})` : ''}`);
  }
  return ok(text.toLowerCase());
}

/**
 * Absolute paths only. Windows paths (a drive, a UNC share, or a %VARIABLE%) are case-insensitive,
 * so they are lower-cased with backslashes; POSIX paths are kept as sent.
 */
function filePath(text: string): Normalised {
  if (text.startsWith('/') || text.startsWith('~/')) return ok(text);
  if (/^[a-z]:[\\/]/i.test(text) || /^\\\\[^\\]/.test(text) || /^%[a-z0-9_()]+%[\\/]/i.test(text)) {
    return ok(text.replace(/\//g, '\\').toLowerCase());
  }
  return no('must be an absolute path: /…, ~/…, C:\\…, \\\\server\\share\\… or %VARIABLE%\\… (a bare file name is kind other)');
}

const HIVES: Record<string, string> = {
  HKEY_LOCAL_MACHINE: 'HKEY_LOCAL_MACHINE',
  HKLM: 'HKEY_LOCAL_MACHINE',
  HKEY_CURRENT_USER: 'HKEY_CURRENT_USER',
  HKCU: 'HKEY_CURRENT_USER',
  HKEY_CLASSES_ROOT: 'HKEY_CLASSES_ROOT',
  HKCR: 'HKEY_CLASSES_ROOT',
  HKEY_USERS: 'HKEY_USERS',
  HKU: 'HKEY_USERS',
  HKEY_CURRENT_CONFIG: 'HKEY_CURRENT_CONFIG',
  HKCC: 'HKEY_CURRENT_CONFIG',
};

/** The hive in its full name, the rest lower-cased (the registry ignores case), no trailing backslash. */
function registryKey(text: string): Normalised {
  const [hive = '', ...path] = text.split('\\');
  const full = HIVES[hive.toUpperCase()];
  if (!full) return no('must start with a hive: HKEY_LOCAL_MACHINE (HKLM), HKEY_CURRENT_USER (HKCU), HKEY_CLASSES_ROOT (HKCR), HKEY_USERS (HKU) or HKEY_CURRENT_CONFIG (HKCC), then \\');
  const parts = path.filter((p, i) => p.length > 0 || i < path.length - 1);
  if (parts.some((p) => p.length === 0)) return no('has an empty key name (two backslashes in a row)');
  return ok([full, ...parts.map((p) => p.toLowerCase())].join('\\'));
}

function cve(text: string): Normalised {
  const match = /^cve-(\d{4})-(\d{4,19})$/i.exec(text);
  if (!match) return no('must be CVE-YYYY-NNNN, with four or more digits after the year');
  if (Number(match[1]) < 1999) return no('CVE identifiers begin in 1999');
  if (match[2]!.length > 4 && match[2]!.startsWith('0')) return no('a sequence number longer than four digits has no leading zero');
  return ok(text.toUpperCase());
}

// --- the schema the API validates with ---------------------------------------------------------

/** A marking in either spelling: `amber+strict`, or FIRST's `TLP:AMBER+STRICT`. */
export const TlpSchema = z
  .enum([...TLP_LEVELS, ...TLP_LEVELS.map((level) => `TLP:${level.toUpperCase()}`)] as [string, ...string[]])
  .transform((marking) => marking.replace(/^TLP:/, '').toLowerCase() as Tlp);

/**
 * An observable as a client sends it; parsing yields its normal form, its marking defaulted to
 * amber. A value its kind refuses fails at `value` with the reason.
 */
export const ObservableSchema = z
  .strictObject({
    kind: z.enum(OBSERVABLE_KINDS),
    value: z.string().min(1).max(8_192).meta({ description: 'Normalised per kind; defanged forms (hxxp, [.], [at], …) are accepted' }),
    tlp: TlpSchema.optional().meta({ description: `TLP 2.0 marking; default ${DEFAULT_TLP}` }),
  })
  .transform((observable, ctx): ObservableRef => {
    const normal = normaliseObservable(observable.kind, observable.value);
    if (!normal.ok) {
      ctx.addIssue({ code: 'custom', message: normal.reason, path: ['value'], input: observable.value });
      return z.NEVER;
    }
    return { kind: observable.kind, value: normal.value, tlp: observable.tlp ?? DEFAULT_TLP };
  });

