// What the browser checks share: their settings from the environment, their step log, and
// headless Debian Chromium started the same way (no sandbox, no GPU, nothing fetched in the
// background), with the screenshot's folder made.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

/** The environment variable `name`; fails when it is not set. */
export const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

/** Logs one step of a check. */
export const step = (msg) => console.log(`-- ${msg}`);

/** Headless Chromium (CHROMIUM, else /usr/bin/chromium), once `screenshot`'s folder exists. */
export const launch = (screenshot) => {
  mkdirSync(dirname(screenshot), { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
};
