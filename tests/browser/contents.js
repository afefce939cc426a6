// notes/long-note.html of the `obsidian` fixture: the contents beside the text on a wide
// window mark the section being read; on a phone they are a folded list above the text.
'use strict';

const { run, frames } = require('./lib');

run(async ({ open, visible }) => {
  const wide = await open('notes/long-note.html', { width: 1400, height: 900 });
  const seen = {
    wide: {
      toc_wide_visible: await visible(wide, '.toc-wide'),
      toc_narrow_visible: await visible(wide, '.toc-narrow'),
    },
  };
  await wide.evaluate(() => document.getElementById('overview-1').scrollIntoView());
  await wide.waitForTimeout(300);
  await frames(wide, 2);
  const current = wide.locator('.toc-wide a[aria-current]');
  seen.wide.heading_top_after_scroll = await wide.evaluate(() =>
    Math.round(document.getElementById('overview-1').getBoundingClientRect().top),
  );
  seen.wide.current = await current.evaluateAll((links) =>
    links.map((a) => ({
      text: a.textContent.trim(),
      href: a.getAttribute('href'),
      aria_current: a.getAttribute('aria-current'),
    })),
  );

  const narrow = await open('notes/long-note.html', { width: 390, height: 800 });
  const summary = narrow.locator('.toc-narrow > summary');
  const list = narrow.locator('.toc-narrow .toc-list');
  seen.narrow = {
    summary_text: (await summary.innerText()).trim(),
    summary_visible: await summary.isVisible(),
    list_visible_before_click: await list.isVisible(),
    toc_wide_visible: await visible(narrow, '.toc-wide'),
  };
  await summary.click();
  seen.narrow.list_visible_after_click = await list.isVisible();
  seen.narrow.entries_after_click = await list.locator('a').evaluateAll((links) =>
    links.map((a) => a.textContent.trim()),
  );
  return seen;
});
