// Shared by the browser tests in this folder. Each test is its own script,
// `node tests/browser/<name>.js <built site folder>`, run by tests/integration/browser.rs:
// it opens pages of the site from file:// in Debian's chromium (through playwright-core,
// which downloads no browser), and prints one JSON object of what it saw on stdout. The
// Rust test states what those observations must be.
//
// Exit 0 with the JSON on stdout, or exit 1 with the error on stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// A stuck browser must fail the test, not hang CI.
const ACTION_TIMEOUT_MS = 10000;
const WHOLE_TEST_TIMEOUT_MS = 60000;

// Runs `steps(ctx)` against the site whose folder is argv[2] (or which `atlas-kb serve`
// serves, when argv[2] is its http:// address), and prints the object it returns, plus
// `errors` (uncaught script errors and console errors on any page) and `offsite` (requests
// for anything but a file:// URL, or off the server: a built site must work offline).
//
// ctx: { browser, site, url(rel), open(rel, viewport) -> page, visible(page, selector) }
function run(steps) {
  const site = process.argv[2];
  const served = /^http:\/\//.test(site || '');
  if (!site || (!served && !fs.statSync(site, { throwIfNoEntry: false })?.isDirectory())) {
    fail(new Error(`usage: node ${path.basename(process.argv[1])} <built site folder>`));
    return;
  }
  const onSite = served
    ? (u) => u.startsWith(new URL(site).origin + '/')
    : (u) => u.startsWith('file:');
  const watchdog = setTimeout(() => {
    fail(new Error(`the test did not finish in ${WHOLE_TEST_TIMEOUT_MS / 1000} s`));
  }, WHOLE_TEST_TIMEOUT_MS);

  (async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      timeout: 30000,
    });
    const errors = [];
    const offsite = [];
    try {
      const url = served
        ? (rel) => new URL(rel, site).href
        : (rel) => pathToFileURL(path.join(path.resolve(site), rel)).href;
      const open = async (rel, viewport) => {
        const page = await browser.newPage({ viewport });
        page.setDefaultTimeout(ACTION_TIMEOUT_MS);
        page.on('pageerror', (e) => errors.push(`${rel}: ${e.message}`));
        page.on('console', (m) => {
          // A browser asks a server (not a folder) for /favicon.ico, which a site may lack.
          const favicon = served && (m.location().url || '').endsWith('/favicon.ico');
          if (m.type() === 'error' && !favicon) errors.push(`${rel}: console: ${m.text()}`);
        });
        page.on('request', (r) => {
          if (!onSite(r.url())) offsite.push(r.url());
        });
        await page.goto(url(rel), { waitUntil: 'load' });
        return page;
      };
      const visible = (page, selector) => page.locator(selector).first().isVisible();
      const observed = await steps({ browser, site, url, open, visible });
      process.stdout.write(JSON.stringify({ ...observed, errors, offsite }) + '\n');
    } finally {
      await browser.close();
    }
  })().then(
    () => {
      clearTimeout(watchdog);
      process.exitCode = 0;
    },
    (e) => {
      clearTimeout(watchdog);
      fail(e);
    },
  );
}

function fail(e) {
  process.stderr.write(`${path.basename(process.argv[1] || 'browser test')}: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}

// Resolves after `n` animation frames of `page` (the contents marker updates once a frame).
function frames(page, n) {
  return page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const step = (left) => (left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
        step(n);
      }),
    n,
  );
}

module.exports = { run, frames };
