import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { projectRoot } from '../paths';
import { HttpProblem } from './problem';

/** Where `npm run build` puts the console (scripts/build-console.js). */
export function consoleBuildDir(): string {
  return path.join(projectRoot(), 'dist', 'console');
}

/**
 * The console's Content Security Policy: its own scripts, styles and API only; no inline script or
 * style element, no framing, no plugins. Inline styles set through the DOM (Chart.js sizing its
 * canvas) are not markup and stay allowed by `style-src 'self'`.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function secureHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    // No file names carry a content hash: the browser asks again (304) rather than keep an old build.
    'Cache-Control': 'no-cache',
  });
}

/**
 * GET /console and everything under it: the built single-page app, its assets, and index.html for
 * every other path (the app routes itself). The console holds no data and no secret; it reads
 * everything through the public API with the person's session.
 */
export function consoleSite(buildDir = consoleBuildDir()): Router {
  const router = Router();
  const index = path.join(buildDir, 'index.html');
  router.use((_req, res, next) => {
    secureHeaders(res);
    next();
  });
  router.use(express.static(buildDir, { index: false, redirect: false, fallthrough: true, setHeaders: secureHeaders }));
  router.get(/.*/, (req, res, next) => {
    // A missing asset is a 404, not the app: only page paths (no file extension) get index.html.
    if (path.extname(req.path)) return next();
    if (!existsSync(index)) throw new HttpProblem(503, 'console-not-built', 'The console is not built', 'run `npm run build` (make up does)');
    res.type('html').sendFile(index, { dotfiles: 'allow' });
  });
  return router;
}
