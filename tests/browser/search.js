// The site's search box: types each query of argv[3] (a JSON array) into the search box of
// index.html and reports the results shown: their titles, links and snippets, with the
// marked words, and the message under them.
'use strict';

const { run } = require('./lib');

run(async ({ open }) => {
  const queries = JSON.parse(process.argv[3] || '[]');
  const page = await open('index.html', { width: 1400, height: 900 });
  const input = page.locator('#search-input');
  const seen = {};
  for (const query of queries) {
    await input.fill('');
    await input.fill(query);
    // Results are in once the live region says how many there are.
    await page.waitForFunction(
      () => /results?$/.test(document.querySelector('.search [role=status]')?.textContent || ''),
    );
    seen[query] = await page.evaluate(() => {
      const items = [...document.querySelectorAll('#search-results li[role=option]')];
      return {
        status: document.querySelector('.search [role=status]').textContent,
        results: items.map((li) => {
          const a = li.querySelector('a');
          const snippet = li.querySelector('.result-snippet');
          return {
            title: li.querySelector('.result-title').textContent,
            href: a.getAttribute('href'),
            snippet: snippet ? snippet.textContent : null,
            marked: [...li.querySelectorAll('mark')].map((m) => m.textContent),
          };
        }),
        message: [...document.querySelectorAll('#search-results .search-message')]
          .map((m) => m.textContent),
      };
    });
    await page.evaluate(() => document.querySelector('.search [role=status]').textContent = '');
  }
  return seen;
});
