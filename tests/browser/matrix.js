// matrix.html of the `site-basic` fixture: the maturity boxes hide the techniques of a level
// (CSS alone), and the script's "Expand all" and "Collapse all" open and close every
// technique's sub-technique list.
'use strict';

const { run } = require('./lib');

run(async ({ open, visible }) => {
  const page = await open('matrix.html', { width: 1400, height: 900 });
  const openCount = () =>
    page.locator('.matrix details').evaluateAll((all) => all.filter((d) => d.open).length);
  // Poison Training Data is `realized`; its sub-technique Label Flipping gives no maturity.
  const technique = page.locator('.matrix a', { hasText: 'Poison Training Data' });
  const sub = page.locator('.matrix a', { hasText: 'Label Flipping' });
  const shown = async () => ({ technique: await technique.isVisible(), sub: await sub.isVisible() });

  const seen = {
    buttons_visible: await visible(page, '.matrix-buttons'),
    details: await page.locator('.matrix details').count(),
    open_on_load: await openCount(),
    shown_on_load: await shown(),
  };
  await page.locator('.matrix-buttons button[data-details="open"]').click();
  seen.open_after_expand = await openCount();
  seen.shown_after_expand = await shown();

  await page.locator('#show-none').uncheck();
  seen.shown_without_not_given = await shown();
  await page.locator('#show-none').check();
  await page.locator('#show-realized').uncheck();
  seen.shown_without_realized = await shown();
  await page.locator('#show-realized').check();

  await page.locator('.matrix-buttons button[data-details="close"]').click();
  seen.open_after_collapse = await openCount();
  seen.shown_after_collapse = await shown();
  return seen;
});
