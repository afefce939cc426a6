// A page served by `atlas-kb serve` (argv[2], its address) shows an edit of its file
// (argv[3]) by itself: once the page listens for rebuilds, the file is changed, and the
// page reloads with the new text.
'use strict';

const fs = require('fs');
const { run } = require('./lib');

const ADDED = 'Appeared without a reload by hand.';

run(async ({ open }) => {
  const file = process.argv[3];
  const page = await open('notes/target.html', { width: 1000, height: 700 });
  await page.waitForSelector('html[data-atlas-serve="listening"]');
  const before = await page.locator('main').first().innerText();
  const reloaded = page.waitForEvent('load', { timeout: 20000 });
  fs.appendFileSync(file, `\n${ADDED}\n`);
  await reloaded;
  const after = await page.locator('main').first().innerText();
  return {
    shown_before: before.includes(ADDED),
    shown_after: after.includes(ADDED),
  };
});
