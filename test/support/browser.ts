/** Test support: Debian's Chromium driven by playwright-core (which never downloads a browser). */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { buildDemoClient } from '../../src/demo/client/build.ts';
import { buildTracker } from '../../src/tracker/build.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `no Chromium at ${CHROMIUM_PATH}: browser tests skipped (apt-get install -y chromium, or set CHROMIUM_PATH)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** The tracker scripts and the shop script, built from the sources under test. */
export async function buildBrowserCode(): Promise<void> {
  await buildTracker();
  await buildDemoClient();
}

/** Screenshots and other artifacts of test runs (gitignored). */
export function artifactDir(): string {
  const dir = join(import.meta.dirname, '..', '..', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}
