import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { consoleSite } from '../../src/api/console-site';

/** /console as a browser meets it: the built app, its assets, and the headers that guard them. */
describe('the console site', () => {
  let dir: string;
  let server: Server;
  let base: string;

  async function serve(buildDir: string): Promise<void> {
    const app = express();
    app.use('/console', consoleSite(buildDir));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'console-site-'));
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html for every page path, its assets as themselves, and 404 for a missing asset', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Firebreak</title>');
    writeFileSync(path.join(dir, 'app.js'), 'export {};');
    await serve(dir);
    for (const page of ['/console/', '/console/incidents/abc', '/console/reports']) {
      const res = await fetch(base + page);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<title>Firebreak</title>');
    }
    const script = await fetch(`${base}/console/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${base}/console/missing.js`)).status).toBe(404);
  });

  it('sends a CSP without inline script or style, and refuses framing and sniffing, on pages and assets alike', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(path.join(dir, 'app.js'), 'export {};');
    await serve(dir);
    for (const asset of ['/console/', '/console/app.js']) {
      const res = await fetch(base + asset);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('says how to build the console when it is not built', async () => {
    await serve(path.join(dir, 'not-built'));
    const res = await fetch(`${base}/console/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});
