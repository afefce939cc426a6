// notes/callouts.html of the `obsidian` fixture: a folded callout opens on a click on its
// title, and a `+` callout is open from the start.
'use strict';

const { run } = require('./lib');

run(async ({ open }) => {
  const page = await open('notes/callouts.html', { width: 1400, height: 900 });
  const folded = page.locator('details.callout-question');
  const foldedText = folded.getByText('Shown when opened.');
  const openOne = page.locator('details.callout-as-playbook-step');

  const seen = {
    folded_title: (await folded.locator('summary').innerText()).trim(),
    folded_open_on_load: await folded.evaluate((d) => d.open),
    folded_text_visible_on_load: await foldedText.isVisible(),
    open_title: (await openOne.locator('summary').innerText()).trim(),
    open_open_on_load: await openOne.evaluate((d) => d.open),
    open_nested_text_visible_on_load: await openOne.getByText('Inside it.').isVisible(),
  };
  await folded.locator('summary').click();
  seen.folded_open_after_click = await folded.evaluate((d) => d.open);
  seen.folded_text_visible_after_click = await foldedText.isVisible();
  return seen;
});
