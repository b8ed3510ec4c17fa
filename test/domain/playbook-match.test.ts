import { validatePlaybook, type Playbook } from '../../src/domain/playbook';
import { choosePlaybook, type MatchFacts } from '../../src/domain/playbook-match';

function playbook(name: string, version: number, match?: object): Playbook {
  const result = validatePlaybook({ name, version, title: name, ...(match ? { match } : {}), steps: [{ id: 'only', title: 'Only', kind: 'wait', for: '1m' }] });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.playbook;
}

const ransomwareHost: MatchFacts = { category: 'ransomware', severity: 'critical', assetKinds: ['host', 'account'] };

describe('choosing a playbook at assessment', () => {
  it('picks the playbook matching more criteria', () => {
    const general = playbook('malware', 1, { categories: ['ransomware', 'malware'] });
    const specific = playbook('ransomware-hosts', 1, { categories: ['ransomware'], assetKinds: ['host'] });
    const catchAll = playbook('generic', 9, {});
    expect(choosePlaybook([catchAll, general, specific], ransomwareHost)?.name).toBe('ransomware-hosts');
    expect(choosePlaybook([catchAll, general], ransomwareHost)?.name).toBe('malware');
  });

  it('needs every listed criterion to hold', () => {
    const sev1Only = playbook('ransomware-sev1', 1, { categories: ['ransomware'], severities: ['critical'], assetKinds: ['cloud_resource'] });
    const general = playbook('malware', 1, { categories: ['ransomware'] });
    expect(choosePlaybook([sev1Only, general], ransomwareHost)?.name).toBe('malware');
  });

  it('matches asset kinds when any asset of the incident is of a listed kind', () => {
    const accounts = playbook('account-takeover', 1, { assetKinds: ['account', 'cloud_resource'] });
    expect(choosePlaybook([accounts], ransomwareHost)?.name).toBe('account-takeover');
    expect(choosePlaybook([accounts], { ...ransomwareHost, assetKinds: ['address'] })).toBeUndefined();
  });

  it('prefers the higher version of the same playbook on a tie', () => {
    const v1 = playbook('ransomware', 1, { categories: ['ransomware'] });
    const v2 = playbook('ransomware', 2, { categories: ['ransomware'] });
    expect(choosePlaybook([v2, v1], ransomwareHost)?.version).toBe(2);
    expect(choosePlaybook([v1, v2], ransomwareHost)?.version).toBe(2);
  });

  it('breaks a tie between names alphabetically, whatever the order given', () => {
    const a = playbook('a-ransomware', 1, { severities: ['critical'] });
    const b = playbook('b-ransomware', 5, { categories: ['ransomware'] });
    expect(choosePlaybook([b, a], ransomwareHost)?.name).toBe('a-ransomware');
    expect(choosePlaybook([a, b], ransomwareHost)?.name).toBe('a-ransomware');
  });

  it('never chooses a playbook without matching rules, which runs only when named', () => {
    expect(choosePlaybook([playbook('contain_first', 1)], ransomwareHost)).toBeUndefined();
  });

  it('chooses nothing when no rule matches', () => {
    expect(choosePlaybook([playbook('phishing', 1, { categories: ['phishing'] })], ransomwareHost)).toBeUndefined();
    expect(choosePlaybook([], ransomwareHost)).toBeUndefined();
  });
});
