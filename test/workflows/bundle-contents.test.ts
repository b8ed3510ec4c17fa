import { readFileSync } from 'node:fs';
import path from 'node:path';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

/** The bundle's module ids (paths from the workflows' folder), as webpack writes them. */
const bundledModules = (code: string) => [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1]!);

describe('the workflow bundle', () => {
  // A value imported from the playbook schema once pulled zod and yaml in: the bundle grew from
  // 2.2 to 5.8 MB and each parked M6 incident from 1.7 to 3.1 MiB of worker memory.
  it('holds neither the validation nor the YAML library, which every cached workflow would pay for', async () => {
    const { code } = await incidentWorkflowBundle();
    expect(code.includes('ZodError')).toBe(false);
    expect(code.includes('parseDocument')).toBe(false);
    expect(code.length).toBeLessThan(3 * 1024 * 1024);
  });

  // Every module not shared is evaluated again in each workflow the worker creates or rebuilds:
  // sharing the domain's took a parked incident's workflow-thread heap from 360 to 240 KiB (bench M6).
  it('loads the shared modules once per workflow thread, and every domain module the workflows use is one of them', async () => {
    const { code } = await incidentWorkflowBundle();
    expect(code).toMatch(/exports\.preloadModules = function preloadModules\(\) \{\s*__webpack_require__\([^)]*"\.\/shared-modules\.ts"\)/);

    const shared = readFileSync(path.resolve(__dirname, '../../src/workflows/shared-modules.ts'), 'utf8');
    const listed = new Set([...shared.matchAll(/^import '([^']+)';$/gm)].map((m) => m[1]!));
    const domain = bundledModules(code)
      .filter((id) => /^\.\.\/(domain|temporal)\//.test(id))
      .map((id) => id.replace(/\.(ts|js)$/, ''));
    expect(domain.length).toBeGreaterThan(10);
    expect(domain.filter((id) => !listed.has(id))).toEqual([]);
  });
});
