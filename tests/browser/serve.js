// A page served by `atlas-kb serve` (argv[2], its address) shows an edit of its file
// (argv[3]) by itself: once the page listens for rebuilds, the file is changed (a sentence
// and a broken link), and the page reloads with the new text and a notice of the problem,
// which its close button dismisses.
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
  fs.appendFileSync(file, `\n${ADDED} See [[nowhere]].\n`);
  await reloaded;
  const after = await page.locator('main').first().innerText();
  const notice = page.locator('#atlas-serve-report');
  const noticed = await notice.locator('li').allInnerTexts();
  await notice.getByRole('button', { name: 'Dismiss' }).click();
  return {
    shown_before: before.includes(ADDED),
    shown_after: after.includes(ADDED),
    notice: noticed,
    notice_after_dismiss: await notice.count(),
  };
});
