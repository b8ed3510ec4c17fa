import { incidentWorkflowBundle } from '../support/workflow-bundle';

describe('the workflow bundle', () => {
  // A value imported from the playbook schema once pulled zod and yaml in: the bundle grew from
  // 2.2 to 5.8 MB and each parked M6 incident from 1.7 to 3.1 MiB of worker memory.
  it('holds neither the validation nor the YAML library, which every cached workflow would pay for', async () => {
    const { code } = await incidentWorkflowBundle();
    expect(code.includes('ZodError')).toBe(false);
    expect(code.includes('parseDocument')).toBe(false);
    expect(code.length).toBeLessThan(3 * 1024 * 1024);
  });
});
