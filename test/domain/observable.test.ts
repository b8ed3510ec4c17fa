import {
  DEFAULT_TLP,
  dedupeObservables,
  mergeObservables,
  newRelations,
  normaliseObservable,
  observableAdditionRejection,
  ObservableSchema,
  OBSERVABLES_KEPT,
  refang,
  stricterTlp,
  type ObservableKind,
  type ObservableRecord,
} from '../../src/domain/observable';

const normal = (kind: ObservableKind, value: string) => {
  const result = normaliseObservable(kind, value);
  if (!result.ok) throw new Error(`${kind} ${value} refused: ${result.reason}`);
  return result.value;
};
const reason = (kind: ObservableKind, value: string) => {
  const result = normaliseObservable(kind, value);
  if (result.ok) throw new Error(`${kind} ${value} accepted as ${result.value}`);
  return result.reason;
};

describe('observables are written one way per kind', () => {
  it.each<[ObservableKind, string, string]>([
    ['ipv4', '203.0.113.9', '203.0.113.9'],
    ['ipv4', ' 203.0.113.9 ', '203.0.113.9'],
    ['ipv4', '203[.]0[.]113[.]9', '203.0.113.9'],
    ['ipv4', '203(.)0.113{.}9', '203.0.113.9'],
    ['ipv4', '203[dot]0[dot]113[dot]9', '203.0.113.9'],
    ['ipv6', '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    // RFC 5952 4.2.3: of two equal runs of zeros, the first is the one shortened.
    ['ipv6', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['ipv6', '[2001:db8::1]', '2001:db8::1'],
    ['ipv6', '2001[:]db8[:][:]1', '2001:db8::1'],
    ['ipv6', '::FFFF:192.0.2.1', '::ffff:192.0.2.1'],
    ['ipv6', 'fe80::1%eth0', 'fe80::1%eth0'],
    ['cidr', '198.51.100.7/24', '198.51.100.0/24'],
    ['cidr', '198[.]51[.]100[.]0/24', '198.51.100.0/24'],
    ['cidr', '2001:DB8:0:0::1/32', '2001:db8::/32'],
    ['cidr', '10.0.0.0/08', '10.0.0.0/8'],
    ['domain', 'EVIL.Example.COM', 'evil.example.com'],
    ['domain', 'evil.example.com.', 'evil.example.com'],
    ['domain', 'evil[.]example[.]com', 'evil.example.com'],
    ['domain', 'bücher.example', 'xn--bcher-kva.example'],
    ['domain', '_dmarc.example.com', '_dmarc.example.com'],
    ['hostname', 'WEB-01', 'web-01'],
    ['hostname', 'web-01.corp.example', 'web-01.corp.example'],
    ['url', 'hxxp://evil[.]example/payload', 'http://evil.example/payload'],
    ['url', 'hXXps[:]//Evil.Example:443/a/../b?q=1', 'https://evil.example/b?q=1'],
    ['url', 'hxxps[://]evil(.)example/x', 'https://evil.example/x'],
    ['url', 'HTTP://[2001:DB8::1]:8080/', 'http://[2001:db8::1]:8080/'],
    ['email', 'Alice.Smith@Example.COM', 'Alice.Smith@example.com'],
    ['email', 'alice[@]example[.]com', 'alice@example.com'],
    ['email', 'alice[at]example[dot]com', 'alice@example.com'],
    ['account', 'CORP\\Alice', 'corp\\alice'],
    ['account', 'alice@CORP.example', 'alice@corp.example'],
    ['account', 'svc_backup', 'svc_backup'],
    ['md5', 'D41D8CD98F00B204E9800998ECF8427E', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['sha1', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['sha256', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['file_path', 'C:\\Windows\\Temp\\Evil.EXE', 'c:\\windows\\temp\\evil.exe'],
    ['file_path', 'C:/Windows/Temp/evil.exe', 'c:\\windows\\temp\\evil.exe'],
    ['file_path', '%APPDATA%\\Roaming\\x.dll', '%appdata%\\roaming\\x.dll'],
    ['file_path', '\\\\FS01\\Share\\drop.ps1', '\\\\fs01\\share\\drop.ps1'],
    ['file_path', '/tmp/.X11-unix/Kworker', '/tmp/.X11-unix/Kworker'],
    ['registry_key', 'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run', 'HKEY_LOCAL_MACHINE\\software\\microsoft\\windows\\currentversion\\run'],
    ['registry_key', 'hkey_current_user\\Software\\Evil\\', 'HKEY_CURRENT_USER\\software\\evil'],
    ['cve', 'cve-2021-44228', 'CVE-2021-44228'],
    ['cve', 'CVE-2024-123456', 'CVE-2024-123456'],
    ['other', '  a JA3 fingerprint  ', 'a JA3 fingerprint'],
  ])('%s %s is %s', (kind, input, expected) => {
    expect(normal(kind, input)).toBe(expected);
  });

  it.each<[ObservableKind, string, RegExp]>([
    ['ipv4', '256.1.1.1', /not an IPv4 address/],
    ['ipv4', '010.1.1.1', /without leading zeros/],
    ['ipv4', '127.1', /not a shortened/],
    ['ipv4', '0x7f.0.0.1', /hexadecimal/],
    ['ipv4', '2001:db8::1', /use kind ipv6/],
    ['ipv4', '10.0.0.0/8', /use kind cidr/],
    ['ipv6', '192.0.2.1', /use kind ipv4/],
    ['ipv6', '2001:db8:::1', /not an IPv6 address/],
    ['cidr', '10.0.0.0', /needs a prefix length/],
    ['cidr', '10.0.0.0/33', /0-32/],
    ['cidr', '2001:db8::/129', /0-128/],
    ['cidr', 'example.com/24', /neither IPv4/],
    ['domain', 'localhost', /at least two labels/],
    ['domain', 'https://example.com/x', /use kind url/],
    ['domain', 'alice@example.com', /use kind email/],
    ['domain', '192.0.2.1', /use kind ipv4/],
    ['domain', 'exa mple.com', /spaces/],
    ['domain', '-bad.example.com', /must not start or end with a hyphen/],
    ['domain', 'a..example.com', /empty label/],
    ['domain', `${'a'.repeat(64)}.example.com`, /longer than 63/],
    ['domain', 'example.123', /numeric label/],
    ['hostname', 'web_01!', /letters, digits/],
    ['url', 'evil.example/payload', /needs a scheme/],
    ['url', 'http://', /not a valid URL/],
    ['url', 'mailto:alice@example.com', /names no host/],
    ['email', 'alice', /local part and a domain/],
    ['email', 'alice@localhost', /the domain part: needs at least two labels/],
    ['email', 'al ice@example.com', /local part/],
    ['account', 'CORP\\alice\\x', /one backslash/],
    ['md5', 'xyz', /hexadecimal digits only/],
    ['md5', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', /MD5 is 32 .* this has 40 \(the length of a SHA-1: use kind sha1\)/],
    ['sha256', 'd41d8cd98f00b204e9800998ecf8427e', /use kind md5/],
    ['sha1', 'abcd', /40 hexadecimal digits; this has 4$/],
    ['file_path', 'evil.exe', /absolute path/],
    ['registry_key', 'SOFTWARE\\Microsoft', /must start with a hive/],
    ['registry_key', 'HKLM\\a\\\\b', /empty key name/],
    ['cve', 'CVE-21-1234', /CVE-YYYY-NNNN/],
    ['cve', 'CVE-1998-0001', /1999/],
    ['cve', 'CVE-2021-012345', /leading zero/],
    ['other', '   ', /blank/],
    ['other', 'bell\u0007', /control characters/],
    ['domain', `${'a'.repeat(60)}.`.repeat(5) + 'com', /at most 300 characters/],
  ])('refuses %s %j, saying why', (kind, input, why) => {
    expect(reason(kind, input)).toMatch(why);
  });

  it('refangs only the usual defanging marks', () => {
    expect(refang('hxxps[://]a[.]b(.)c{.}d[dot]e/x?y=[1]')).toBe('https://a.b.c.d.e/x?y=[1]');
    expect(refang('bob[at]example(dot)org')).toBe('bob@example.org');
  });
});

describe('the observable in a request body', () => {
  it('parses to the normal form with the TLP marking, amber by default', () => {
    expect(ObservableSchema.parse({ kind: 'domain', value: 'Evil[.]Example' })).toEqual({ kind: 'domain', value: 'evil.example', tlp: DEFAULT_TLP });
    expect(DEFAULT_TLP).toBe('amber');
    expect(ObservableSchema.parse({ kind: 'ipv4', value: '192.0.2.1', tlp: 'TLP:AMBER+STRICT' }).tlp).toBe('amber+strict');
    expect(ObservableSchema.parse({ kind: 'ipv4', value: '192.0.2.1', tlp: 'clear' }).tlp).toBe('clear');
  });

  it('refuses a bad value at `value` with the reason, and unknown kinds and markings', () => {
    const bad = ObservableSchema.safeParse({ kind: 'sha256', value: 'abc' });
    expect(bad.error?.issues).toEqual([expect.objectContaining({ path: ['value'], message: expect.stringMatching(/SHA-256 is 64 hexadecimal digits/) })]);
    expect(ObservableSchema.safeParse({ kind: 'ip', value: '192.0.2.1' }).error?.issues[0]?.path).toEqual(['kind']);
    expect(ObservableSchema.safeParse({ kind: 'ipv4', value: '192.0.2.1', tlp: 'white' }).error?.issues[0]?.path).toEqual(['tlp']);
    expect(ObservableSchema.safeParse({ kind: 'ipv4', value: '192.0.2.1', extra: 1 }).success).toBe(false);
  });
});

describe('observables on an incident', () => {
  const at = (minute: number) => `2026-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

  it('keeps one entry per kind and value, with first and last seen, and the stricter marking', () => {
    const first = mergeObservables([], [{ kind: 'ipv4', value: '192.0.2.1', tlp: 'amber' }], { at: at(0), alertId: 'a1' });
    const again = mergeObservables(first, [{ kind: 'ipv4', value: '192.0.2.1', tlp: 'red' }, { kind: 'domain', value: 'evil.example', tlp: 'green' }], { at: at(5), alertId: 'a2' });
    expect(again).toEqual([
      { kind: 'ipv4', value: '192.0.2.1', tlp: 'red', firstSeen: at(0), lastSeen: at(5), alertId: 'a1' },
      { kind: 'domain', value: 'evil.example', tlp: 'green', firstSeen: at(5), lastSeen: at(5), alertId: 'a2' },
    ]);
    // An older sighting arriving late moves nothing, and the same array comes back.
    expect(mergeObservables(again, [{ kind: 'domain', value: 'evil.example', tlp: 'clear' }], { at: at(1) })).toBe(again);
  });

  it('stops adding at the cap but still moves last seen of what it keeps', () => {
    const full: ObservableRecord[] = Array.from({ length: OBSERVABLES_KEPT }, (_, i) => ({ kind: 'other', value: `v${i}`, tlp: 'amber', firstSeen: at(0), lastSeen: at(0) }));
    const merged = mergeObservables(full, [{ kind: 'other', value: 'new', tlp: 'amber' }, { kind: 'other', value: 'v3', tlp: 'amber' }], { at: at(9) });
    expect(merged).toHaveLength(OBSERVABLES_KEPT);
    expect(merged[3]!.lastSeen).toBe(at(9));
    expect(observableAdditionRejection(full, { kind: 'other', value: 'new', tlp: 'amber' }, 'i1')).toMatch(/holds the most observables/);
  });

  it('refuses an analyst adding what the incident already has', () => {
    const kept = mergeObservables([], [{ kind: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', tlp: 'amber' }], { at: at(0) });
    expect(observableAdditionRejection(kept, { kind: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e', tlp: 'red' }, 'i1')).toBe(
      `md5 d41d8cd98f00b204e9800998ecf8427e is already on incident i1 (first seen ${at(0)})`,
    );
    expect(observableAdditionRejection(kept, { kind: 'md5', value: '0'.repeat(32), tlp: 'red' }, 'i1')).toBeUndefined();
  });

  it('dedupes a body’s observables, stricter marking kept, sorted by kind then value', () => {
    expect(
      dedupeObservables([
        { kind: 'ipv4', value: '192.0.2.2', tlp: 'amber' },
        { kind: 'domain', value: 'b.example', tlp: 'green' },
        { kind: 'ipv4', value: '192.0.2.2', tlp: 'amber+strict' },
        { kind: 'domain', value: 'a.example', tlp: 'amber' },
      ]),
    ).toEqual([
      { kind: 'domain', value: 'a.example', tlp: 'amber' },
      { kind: 'domain', value: 'b.example', tlp: 'green' },
      { kind: 'ipv4', value: '192.0.2.2', tlp: 'amber+strict' },
    ]);
    expect(stricterTlp('green', 'clear')).toBe('green');
    expect(stricterTlp('amber', 'red')).toBe('red');
  });

  it('relates another incident once per shared observable', () => {
    const notice = { incidentId: 'other', alertId: 'a9', at: at(3), shared: [{ kind: 'ipv4' as const, value: '192.0.2.1' }, { kind: 'domain' as const, value: 'evil.example' }] };
    const added = newRelations([], notice);
    expect(added).toEqual([
      { incidentId: 'other', kind: 'ipv4', value: '192.0.2.1', alertId: 'a9', at: at(3) },
      { incidentId: 'other', kind: 'domain', value: 'evil.example', alertId: 'a9', at: at(3) },
    ]);
    expect(newRelations(added, notice)).toEqual([]);
    expect(newRelations(added, { ...notice, incidentId: 'third' })).toHaveLength(2);
  });
});
