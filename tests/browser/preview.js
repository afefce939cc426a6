// notes/previews.html of the `obsidian` fixture: hovering a link to a page shows that
// page's first paragraph, a link to a section shows the section's, an outside link shows
// nothing, and on a touch screen no link shows anything.
'use strict';

const { run } = require('./lib');

// What the preview card shows once the pointer has rested on the link named `name`
// (null if no card appears within `wait` ms).
async function hover(page, name, wait) {
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => !document.querySelector('.link-preview:not([hidden])'));
  await page.getByRole('link', { name, exact: true }).hover();
  try {
    await page.waitForSelector('.link-preview:not([hidden])', { timeout: wait });
  } catch {
    return null;
  }
  return page.evaluate(() => {
    const card = document.querySelector('.link-preview');
    const text = (selector) => card.querySelector(selector)?.textContent ?? null;
    const link = document.querySelector('a[aria-describedby="link-preview"]');
    return {
      title: text('.preview-title'),
      kind: text('.badge'),
      section: text('.preview-section'),
      text: text('.preview-text'),
      described_link: link ? link.textContent : null,
    };
  });
}

run(async ({ browser, url, open }) => {
  const page = await open('notes/previews.html', { width: 1400, height: 900 });
  const seen = {
    page: await hover(page, 'the target', 5000),
    section: await hover(page, 'a section of the guide', 5000),
    outside: await hover(page, 'an outside page', 1000),
  };
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => !document.querySelector('.link-preview:not([hidden])'));
  seen.hidden_after_leaving = true;

  // A phone: touch, no hover. Its errors are not collected by `open`, so they are here.
  const phone = await browser.newContext({
    viewport: { width: 390, height: 800 },
    hasTouch: true,
    isMobile: true,
  });
  const touch = await phone.newPage();
  const touchErrors = [];
  touch.on('pageerror', (e) => touchErrors.push(e.message));
  await touch.goto(url('notes/previews.html'), { waitUntil: 'load' });
  seen.touch = await hover(touch, 'the target', 1000);
  seen.touch_errors = touchErrors;
  await phone.close();
  return seen;
});
