import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestStack, type TestStack } from '../support/stack';

/** A small playbook: a human task, then a notification once it is done. */
const phishing = (version: number, dueTask = '2h') => ({
  name: 'phishing-basic',
  version,
  title: 'Phishing report',
  steps: [
    { id: 'pull-mail', title: 'Pull the reported mail and its headers', kind: 'task', instructions: 'Fetch the **original** message.', owner: { role: 'responder' }, due: dueTask },
    { id: 'tell-users', title: 'Warn the recipients', kind: 'action', action: 'notify', needs: ['pull-mail'] },
  ],
});

const yamlV2 = `name: phishing-basic
version: 2
title: Phishing report
steps:
  - id: pull-mail
    title: Pull the reported mail and its headers
    kind: task
    instructions: Fetch the original message.
    owner: { role: responder }
    due: 1h
  - id: tell-users
    title: Warn the recipients
    kind: action
    action: notify
    needs: [pull-mail]
`;

describe('playbook versions over HTTP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const upload = (body: unknown, key = stack.keys.admin) => stack.request('POST', '/v1/admin/playbooks', { key, body });

  it('stores versions that never change: a retry of the same content is harmless, other content under a taken version is refused', async () => {
    const v1 = await upload({ format: 'json', source: JSON.stringify(phishing(1)) });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ created: true, name: 'phishing-basic', version: 1, title: 'Phishing report', format: 'json', createdBy: 'test-admin', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });

    // The same content again, even written differently, is the same version.
    const again = await upload({ format: 'json', source: JSON.stringify(phishing(1), null, 2) });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, digest: v1.body.digest, createdAt: v1.body.createdAt });

    const changed = await upload({ format: 'json', source: JSON.stringify(phishing(1, '3h')) });
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ type: '/problems/version-conflict', detail: expect.stringMatching(/version 1 exists with other content.*a change is a new version/) });

    const v2 = await upload({ format: 'yaml', source: yamlV2 });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ created: true, version: 2, format: 'yaml', source: yamlV2 });
    expect(v2.body.digest).not.toBe(v1.body.digest);
    expect(v2.body.playbook.steps[0]).toMatchObject({ id: 'pull-mail', due: expect.anything() });

    // Below the latest is refused too: versions only go up.
    const late = await upload({ format: 'json', source: JSON.stringify({ ...phishing(1), name: 'phishing-basic', version: 1, title: 'Rewritten' }) });
    expect(late.status).toBe(409);

    const list = await stack.request('GET', '/v1/playbooks', { key: stack.keys.responder });
    expect(list.status).toBe(200);
    expect(list.body.items).toContainEqual({ name: 'phishing-basic', title: 'Phishing report', latestVersion: 2, versions: [1, 2] });
    const one = await stack.request('GET', '/v1/playbooks/phishing-basic/versions/1', { key: stack.keys.manager });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ version: 1, digest: v1.body.digest, source: JSON.stringify(phishing(1)) });
    expect((await stack.request('GET', '/v1/playbooks/phishing-basic/versions/9', { key: stack.keys.manager })).status).toBe(404);
  });

  it('refuses a playbook whose steps do not form a graph, naming the step and its field, and stores nothing', async () => {
    const cyclic = phishing(1);
    cyclic.name = 'cyclic';
    (cyclic.steps[0] as { needs?: string[] }).needs = ['tell-users'];
    const res = await upload({ format: 'json', source: JSON.stringify(cyclic) });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.stringMatching(/^steps\[[01]\]\.needs\[0\]$/), message: expect.stringMatching(/cycle/) })]));

    const missing = phishing(1);
    missing.name = 'missing-need';
    missing.steps[1]!.needs = ['nowhere'];
    const refused = await upload({ format: 'json', source: JSON.stringify(missing) });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'steps[1].needs[0]' })]);

    const broken = await upload({ format: 'yaml', source: 'name: [unclosed' });
    expect(broken.status).toBe(400);
    expect(broken.body.errors[0].field).toBe('(file)');

    const names = (await stack.request('GET', '/v1/playbooks', { key: stack.keys.admin })).body.items.map((p: { name: string }) => p.name);
    expect(names).not.toContain('cyclic');
    expect(names).not.toContain('missing-need');
  });

  it('takes every example playbook shipped with the project, as written', async () => {
    const dir = path.join(__dirname, '..', '..', 'playbooks', 'examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBe(5);
    for (const file of files) {
      const res = await upload({ format: 'yaml', source: readFileSync(path.join(dir, file), 'utf8') });
      expect({ file, status: res.status, errors: res.body.errors }).toEqual({ file, status: 200, errors: undefined });
    }
  });

  it('lets only admins write versions', async () => {
    const res = await upload({ format: 'json', source: JSON.stringify({ ...phishing(1), name: 'by-manager' }) }, stack.keys.manager);
    expect(res.status).toBe(403);
  });
});
