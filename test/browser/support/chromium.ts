import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's `chromium` (`make test` installs it when missing), or FIREBREAK_CHROMIUM. playwright-core
 * drives it through its executable path: it never downloads a browser of its own.
 */
export function chromiumPath(): string {
  const file = process.env.FIREBREAK_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(file)) {
    throw new Error(
      `${file} is missing: the browser tests need Chromium. Install Debian's package \`chromium\` ` +
        '(`make test` does, as root), or set FIREBREAK_CHROMIUM to a Chromium or Chrome executable.',
    );
  }
  return file;
}

/**
 * Headless, as root in a container (hence --no-sandbox), and quiet: without the background-networking
 * flags Chromium reaches out to Google's hosts for updates, field trials and safe browsing lists.
 * playwright launches it with a fresh user-data-dir every time.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}
