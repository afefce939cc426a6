/* atlas-kb offline search and link previews.
 *
 * The search data lives in `search/` beside this file, as scripts that each call
 * window.atlasSearchData(kind, key, data): fetch() is blocked on file://, so they are
 * loaded with <script> elements, each only when first needed:
 *   docs.js   {shards, buckets, docs: [[url, title, kind], ...]}
 *   t/N.js    [[term, postings], ...]: the terms whose first two chars hash to N
 *   p/N.js    [[[slug, heading, text], ...], ...]: page texts from doc buckets[N] on
 * The Rust side (src/render/search.rs) writes them; the word splitting, the shard hash and
 * the postings digits here must agree with it.
 * No dependencies; everything shown is built with DOM calls and textContent only.
 */
(function () {
  "use strict";

  var MAX_RESULTS = 20;
  var TERM_CHARS = 48;
  var ID_RE = /^([A-Za-z][A-Za-z0-9]*\.[A-Za-z]{0,4}\d+(?:\.\d+)*)\s*(?::\s*|\s+-\s+|\s+|$)/;
  var IN_BODY = 1, IN_HEADING = 2, IN_TITLE = 4;

  // Where the data lives: beside this script, whatever folder that is.
  var scriptEl = document.currentScript;
  var dataUrl = null;
  if (scriptEl && scriptEl.src) {
    dataUrl = scriptEl.src.replace(/search\.js(?:[?#].*)?$/, "search/");
  }

  function rootPrefix() {
    return (document.body && document.body.dataset.root) || "";
  }

  /* ---------- Data files ---------- */

  var store = { docs: {}, t: {}, p: {} };
  var waiting = {};
  var failed = {};
  window.atlasSearchData = function (kind, key, data) {
    if (store[kind] && !Object.prototype.hasOwnProperty.call(store[kind], key)) {
      store[kind][key] = data;
    }
  };
  function has(kind, key) {
    return Object.prototype.hasOwnProperty.call(store[kind], key);
  }

  // Loads each [kind, key] not loaded yet; `done(ok)` once all have arrived or failed.
  function load(files, done) {
    var left = files.length;
    var ok = true;
    if (!left) { done(true); return; }
    files.forEach(function (f) {
      fetchOne(f[0], f[1], function (loaded) {
        ok = ok && loaded;
        if (--left === 0) done(ok);
      });
    });
  }
  function fetchOne(kind, key, done) {
    var name = kind + "/" + key;
    if (has(kind, key)) { done(true); return; }
    if (failed[name]) { done(false); return; }
    if (waiting[name]) { waiting[name].push(done); return; }
    waiting[name] = [done];
    var s = document.createElement("script");
    var base = dataUrl || (rootPrefix() + "_atlas/search/");
    s.src = base + (kind === "docs" ? "docs.js" : name + ".js");
    s.async = true;
    function end() {
      var callbacks = waiting[name];
      delete waiting[name];
      var loaded = has(kind, key);
      if (!loaded) failed[name] = true;
      callbacks.forEach(function (cb) { cb(loaded); });
    }
    s.onload = end;
    s.onerror = end;
    document.head.appendChild(s);
  }

  /* ---------- The list of pages ---------- */

  var site = null; // {docs, shards, buckets, byUrl}

  function loadSite(done) {
    if (site) { done(site); return; }
    fetchOne("docs", 0, function (ok) {
      if (!site && ok) site = prepare(store.docs[0]);
      done(site);
    });
  }

  function prepare(raw) {
    var docs = [];
    var list = (raw && raw.docs) || [];
    for (var i = 0; i < list.length; i++) {
      var d = list[i] || [];
      var title = String(d[1] || "");
      var m = ID_RE.exec(title);
      var id = m ? m[1].toLowerCase() : "";
      docs.push({
        n: i,
        url: String(d[0] || ""),
        title: title,
        kind: String(d[2] || ""),
        id: id,
        // the ID without its "AML." framework prefix, so "t0011" works too
        shortId: id.replace(/^[a-z]+\./, ""),
        titleL: title.toLowerCase(),
        nameL: (m ? title.slice(m[0].length) : title).toLowerCase()
      });
    }
    return {
      docs: docs,
      shards: Math.max(1, (raw && raw.shards) | 0),
      buckets: (raw && raw.buckets) || [0],
      byUrl: null
    };
  }

  /* ---------- Words: as src/render/search.rs splits them ---------- */

  // Scripts written without spaces between words: each char is a word, as Unicode's word
  // boundaries (UAX #29) split them without a dictionary.
  var SINGLE_RE = /([\p{sc=Han}\p{sc=Hiragana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}])/u;
  var WORD_RE = /[\p{L}\p{N}\p{M}\p{Pc}]+(?:(?:[.'’:·]|(?<=\p{N})[,;](?=\p{N}))[\p{L}\p{N}\p{M}\p{Pc}]+)*/gu;

  function tokens(query) {
    var out = [];
    var words = query.toLowerCase().match(WORD_RE) || [];
    words.forEach(function (w) {
      w.split(SINGLE_RE).forEach(function (piece) {
        if (!piece) return;
        var chars = Array.from(piece);
        if (chars.length > TERM_CHARS) piece = chars.slice(0, TERM_CHARS).join("");
        if (out.indexOf(piece) === -1) out.push(piece);
      });
    });
    return out;
  }

  // FNV-1a of a term's first two chars: the shard that holds it.
  function shardOf(term, shards) {
    var hash = 0x811c9dc5;
    var chars = Array.from(term).slice(0, 2);
    for (var i = 0; i < chars.length; i++) {
      hash = Math.imul(hash ^ chars[i].codePointAt(0), 0x01000193) >>> 0;
    }
    return hash % shards;
  }

  var LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
  var MORE = "ghijklmnopqrstuvwxyz0123456789-_";

  // Calls `f(doc, mask)` for each posting of an encoded postings string.
  function postings(encoded, f) {
    var doc = 0, value = 0;
    for (var i = 0; i < encoded.length; i++) {
      var c = encoded.charAt(i);
      var more = MORE.indexOf(c);
      if (more !== -1) { value = value * 32 + more; continue; }
      value = value * 32 + LAST.indexOf(c);
      doc += Math.floor(value / 8);
      f(doc, value % 8);
      value = 0;
    }
  }

  /* ---------- Matching and ranking ---------- */

  // The pages holding `token`: a Map of doc -> {mask, exact}. A token of one char matches
  // that term only; a longer one, every term it starts.
  function matches(token) {
    var found = new Map();
    var shard = store.t[shardOf(token, site.shards)] || [];
    var single = Array.from(token).length < 2;
    for (var i = 0; i < shard.length; i++) {
      var term = shard[i][0];
      if (term === token || (!single && term.lastIndexOf(token, 0) === 0)) {
        var exact = term === token;
        postings(shard[i][1], function (doc, mask) {
          var hit = found.get(doc);
          if (!hit) found.set(doc, { mask: mask, exact: exact });
          else { hit.mask |= mask; hit.exact = hit.exact || exact; }
        });
      }
    }
    return found;
  }

  /* Ranks: 0 exact ID, 1 ID prefix, 2 every word in the title, 3 every word in the title
     or a heading, 4 some word only in the body. Lower is better. */
  function score(doc, ts, hits) {
    var idRank = 9, inTitle = 0, inHeadings = 0, exact = 0, weight = 0;
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i];
      if (doc.id && t.length >= 2) {
        if (t === doc.id || t === doc.shortId) idRank = 0;
        else if (doc.id.lastIndexOf(t, 0) === 0 || doc.shortId.lastIndexOf(t, 0) === 0) {
          idRank = Math.min(idRank, 1);
        }
      }
      var hit = hits[i].get(doc.n);
      if (hit.mask & IN_TITLE) inTitle++;
      if (hit.mask & (IN_TITLE | IN_HEADING)) inHeadings++;
      if (hit.exact) exact++;
      weight += (hit.mask & IN_TITLE ? 4 : 0) + (hit.mask & IN_HEADING ? 2 : 0) + (hit.mask & IN_BODY ? 1 : 0);
    }
    var rank = idRank <= 1 ? idRank : inTitle === ts.length ? 2 : inHeadings === ts.length ? 3 : 4;
    var pos = doc.nameL.indexOf(ts[0]);
    return {
      rank: rank,
      exact: exact,
      weight: weight,
      // inside a rank: the exact name, names starting with the first word, then word
      // starts, then anywhere
      pos: doc.nameL === ts.join(" ") ? -1 :
        pos === 0 ? 0 : (pos > 0 && /[^\p{L}\p{N}]/u.test(doc.nameL.charAt(pos - 1)) ? 1 : 2)
    };
  }

  function compare(a, b) {
    if (a.s.rank !== b.s.rank) return a.s.rank - b.s.rank;
    if (a.s.rank <= 1 && a.e.id !== b.e.id) {
      // ID matches in ID order: AML.T0011, AML.T0011.000, AML.T0011.001 ...
      return a.e.id < b.e.id ? -1 : 1;
    }
    if (a.s.exact !== b.s.exact) return b.s.exact - a.s.exact;
    if (a.s.weight !== b.s.weight) return b.s.weight - a.s.weight;
    if (a.s.pos !== b.s.pos) return a.s.pos - b.s.pos;
    // shorter names are closer matches
    if (a.e.nameL.length !== b.e.nameL.length) return a.e.nameL.length - b.e.nameL.length;
    // pages with an ATLAS ID before notes, then alphabetical
    if (!a.e.id !== !b.e.id) return a.e.id ? -1 : 1;
    return a.e.titleL < b.e.titleL ? -1 : a.e.titleL > b.e.titleL ? 1 : 0;
  }

  // Searches for `query` and calls `done(found)` once the shards it needs have loaded:
  // found = {items: [{e, s, text}], total, terms, failed}. Each item's `text` is its
  // page's kept text, for a snippet, when it could be loaded.
  function search(query, done) {
    var ts = tokens(query);
    if (!ts.length) { done({ items: [], total: 0, terms: ts }); return; }
    loadSite(function (s) {
      if (!s) { done({ items: [], total: 0, terms: ts, failed: true }); return; }
      var files = [];
      ts.forEach(function (t) { files.push(["t", shardOf(t, s.shards)]); });
      load(files, function (ok) {
        if (!ok) { done({ items: [], total: 0, terms: ts, failed: true }); return; }
        var hits = ts.map(matches);
        // Every word must be found; walk the smallest set.
        var smallest = hits.reduce(function (a, b) { return a.size <= b.size ? a : b; });
        var found = [];
        smallest.forEach(function (_, n) {
          for (var i = 0; i < hits.length; i++) if (!hits[i].has(n)) return;
          var doc = s.docs[n];
          if (doc) found.push({ e: doc, s: score(doc, ts, hits) });
        });
        found.sort(compare);
        var items = found.slice(0, MAX_RESULTS);
        withTexts(items.map(function (it) { return it.e.n; }), function (texts) {
          items.forEach(function (it) { it.text = texts[it.e.n] || null; });
          done({ items: items, total: found.length, terms: ts });
        });
      });
    });
  }

  // The kept text of each doc in `ns` (an object doc -> sections), from its bucket.
  function withTexts(ns, done) {
    var buckets = site.buckets;
    var which = ns.map(function (n) {
      var lo = 0, hi = buckets.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (buckets[mid] <= n) lo = mid; else hi = mid - 1;
      }
      return lo;
    });
    var files = [];
    which.forEach(function (b) {
      if (!files.some(function (f) { return f[1] === b; })) files.push(["p", b]);
    });
    load(files, function () {
      var texts = {};
      ns.forEach(function (n, i) {
        var bucket = store.p[which[i]];
        var page = bucket && bucket[n - buckets[which[i]]];
        if (Array.isArray(page)) texts[n] = page;
      });
      done(texts);
    });
  }

  /* ---------- Snippets ---------- */

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // Where the words start a word of `text`: [[start, end], ...] in order, merged.
  function wordRanges(text, ts) {
    if (!ts.length) return [];
    var re = new RegExp("(^|[^\\p{L}\\p{N}\\p{M}_])(" + ts.map(escapeRe).join("|") + ")", "giu");
    var out = [], m;
    while ((m = re.exec(text)) !== null) {
      var start = m.index + m[1].length;
      var end = start + m[2].length;
      var last = out[out.length - 1];
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else out.push([start, end]);
      if (m[0].length === 0) re.lastIndex++;
    }
    return out;
  }

  // Appends `text` to `parent`, the words found marked.
  function appendHighlighted(parent, text, ts) {
    var cursor = 0;
    wordRanges(text, ts).forEach(function (r) {
      if (r[0] > cursor) parent.appendChild(document.createTextNode(text.slice(cursor, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      parent.appendChild(mark);
      cursor = r[1];
    });
    if (cursor < text.length) parent.appendChild(document.createTextNode(text.slice(cursor)));
  }

  var SNIPPET_CHARS = 170;

  // What a result shows under its title: the text around the first word found in the
  // page's kept text (and the section it is in), else the page's first paragraph.
  function snippet(sections, ts) {
    if (!sections) return null;
    for (var i = 0; i < sections.length; i++) {
      var sec = sections[i];
      var text = String(sec[2] || "").replace(/\s+/g, " ");
      var at = wordRanges(text, ts)[0];
      if (at) {
        var start = Math.max(0, at[0] - 50);
        if (start > 0) {
          var space = text.indexOf(" ", start);
          if (space !== -1 && space < at[0]) start = space + 1;
        }
        var piece = text.slice(start, start + SNIPPET_CHARS);
        var more = start + SNIPPET_CHARS < text.length && !/…$/.test(piece);
        return {
          slug: String(sec[0] || ""),
          heading: String(sec[1] || ""),
          text: (start > 0 ? "…" : "") + piece + (more ? "…" : "")
        };
      }
      if (wordRanges(String(sec[1] || ""), ts).length) {
        return { slug: String(sec[0] || ""), heading: String(sec[1] || ""), text: firstParagraph(sec[2], SNIPPET_CHARS) };
      }
    }
    return lead(sections);
  }

  // A page's first paragraph.
  function lead(sections) {
    var first = (sections || []).filter(function (s) { return s[2]; })[0];
    return first ? { slug: "", heading: "", text: firstParagraph(first[2], SNIPPET_CHARS) } : null;
  }

  function firstParagraph(text, max) {
    var p = String(text || "").split("\n")[0];
    if (Array.from(p).length <= max) return p;
    var cut = Array.from(p).slice(0, max).join("");
    var space = cut.lastIndexOf(" ");
    return (space > max / 2 ? cut.slice(0, space) : cut) + "…";
  }

  // A page's title (its words in `terms` marked, if given) and a badge naming its kind.
  function appendTitle(parent, className, doc, terms) {
    var title = document.createElement("span");
    title.className = className;
    if (terms) appendHighlighted(title, doc.title, terms);
    else title.textContent = doc.title;
    parent.appendChild(title);
    if (doc.kind) {
      var badge = document.createElement("span");
      badge.className = "badge badge-" +
        doc.kind.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
      badge.textContent = doc.kind;
      parent.appendChild(badge);
    }
  }

  function init() {
    var input = document.getElementById("search-input");
    var list = document.getElementById("search-results");
    if (!input || !list) return;
    var form = input.form || input.parentNode;
    // The box only searches: Enter opens the chosen result, never submits a form.
    if (input.form) input.form.addEventListener("submit", function (e) { e.preventDefault(); });
    var active = -1;
    var shown = [];

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);

    function open() {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function message(text) {
      var li = document.createElement("li");
      li.className = "search-message";
      li.setAttribute("role", "presentation");
      li.textContent = text;
      list.appendChild(li);
    }
    function clear() {
      while (list.firstChild) list.removeChild(list.firstChild);
      shown = [];
      active = -1;
      input.removeAttribute("aria-activedescendant");
    }

    var generation = 0;
    function update() {
      var query = input.value.trim();
      var mine = ++generation;
      if (!query) { clear(); close(); status.textContent = ""; return; }
      // Said only if loading takes a while: from file:// it rarely does.
      var slow = setTimeout(function () {
        if (mine !== generation) return;
        clear();
        message("Loading the search index…");
        open();
      }, 150);
      search(query, function (found) {
        clearTimeout(slow);
        if (mine === generation) show(query, found);
      });
    }

    function show(query, found) {
      clear();
      if (found.failed) {
        message("The search index could not be loaded.");
        open();
        return;
      }
      var root = rootPrefix();
      found.items.forEach(function (hit, i) {
        var e = hit.e;
        var li = document.createElement("li");
        li.id = "search-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var a = document.createElement("a");
        a.href = root + e.url;
        a.tabIndex = -1;
        var head = document.createElement("span");
        head.className = "result-head";
        appendTitle(head, "result-title", e, found.terms);
        a.appendChild(head);
        // A page found by its ID shows what it is; any other, where the words are.
        var sn = hit.s.rank <= 1 ? lead(hit.text) : snippet(hit.text, found.terms);
        if (sn && (sn.text || sn.heading)) {
          var span = document.createElement("span");
          span.className = "result-snippet";
          if (sn.heading) {
            var section = document.createElement("span");
            section.className = "result-section";
            appendHighlighted(section, sn.heading, found.terms);
            span.appendChild(section);
            span.appendChild(document.createTextNode(" "));
          }
          appendHighlighted(span, sn.text, found.terms);
          a.appendChild(span);
          // The match is in a section: go straight to it.
          if (sn.slug) a.setAttribute("href", root + e.url + "#" + encodeURIComponent(sn.slug));
        }
        li.appendChild(a);
        list.appendChild(li);
        shown.push(li);
      });
      if (!found.total) {
        message("No page matches “" + query + "”.");
      } else if (found.total > found.items.length) {
        message("Showing " + found.items.length + " of " + found.total + " matches; add words to narrow.");
      }
      status.textContent = found.total === 1 ? "1 result"
        : found.total ? found.total + " results" : "No results";
      if (shown.length) move(0);
      open();
    }

    function move(to) {
      if (!shown.length) return;
      if (active >= 0 && shown[active]) shown[active].setAttribute("aria-selected", "false");
      active = (to + shown.length) % shown.length;
      var li = shown[active];
      li.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", li.id);
      if (li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
    }

    input.addEventListener("focus", function () {
      if (input.value.trim()) update();
      else loadSite(function () {});
    });
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (ev) {
      if (ev.isComposing) return;
      switch (ev.key) {
        case "ArrowDown":
          ev.preventDefault();
          if (list.hidden) { update(); return; }
          move(active + 1);
          break;
        case "ArrowUp":
          ev.preventDefault();
          if (!list.hidden) move(active - 1);
          break;
        case "Enter":
          ev.preventDefault();
          if (!list.hidden && active >= 0 && shown[active]) {
            var link = shown[active].querySelector("a");
            if (ev.ctrlKey || ev.metaKey) window.open(link.href, "_blank");
            else window.location.href = link.href;
          }
          break;
        case "Escape":
          if (!list.hidden) { ev.preventDefault(); close(); }
          else if (input.value) { ev.preventDefault(); input.value = ""; }
          else input.blur();
          break;
      }
    });

    // Clicking or tapping anywhere outside the search form closes the results.
    document.addEventListener("mousedown", function (ev) {
      if (!form.contains(ev.target)) close();
    });
    document.addEventListener("touchstart", function (ev) {
      if (!form.contains(ev.target)) close();
    }, { passive: true });
    form.addEventListener("focusout", function (ev) {
      if (ev.relatedTarget && !form.contains(ev.relatedTarget)) close();
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });

    // "/" focuses the search box from anywhere but a text field.
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      var t = ev.target;
      var tag = t && t.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
      ev.preventDefault();
      input.focus();
      input.select();
    });
  }

  /* ---------- Link previews ---------- */

  // Hovering a link to a page of the site shows that page's first paragraph (or the linked
  // section's) in a card, from the search data. Only where a pointer hovers: on a touch
  // screen a tap opens the link, as without script.
  function initPreviews() {
    if (!window.matchMedia || !window.matchMedia("(hover: hover) and (pointer: fine)").matches) return;
    var main = document.getElementById("main");
    if (!main) return;
    var card = null;
    var current = null; // the link whose preview is shown or coming
    var showTimer = 0, hideTimer = 0;

    function siteUrl(a) {
      var root;
      try { root = new URL(rootPrefix() || "./", document.baseURI).href; } catch (e) { return null; }
      var href = a.href;
      if (!href || href.lastIndexOf(root, 0) !== 0) return null;
      var rest = href.slice(root.length);
      var hash = "";
      var at = rest.indexOf("#");
      if (at !== -1) { hash = rest.slice(at + 1); rest = rest.slice(0, at); }
      rest = rest.replace(/\?.*$/, "");
      try {
        return { path: decodeURIComponent(rest), hash: decodeURIComponent(hash) };
      } catch (e) {
        return null;
      }
    }

    function docOf(target) {
      if (!site.byUrl) {
        site.byUrl = new Map();
        site.docs.forEach(function (d) {
          try { site.byUrl.set(decodeURIComponent(d.url), d); } catch (e) { /* unreadable URL */ }
        });
      }
      return site.byUrl.get(target.path) || null;
    }

    function hide() {
      clearTimeout(showTimer);
      clearTimeout(hideTimer);
      if (current) current.removeAttribute("aria-describedby");
      current = null;
      if (card) card.hidden = true;
    }

    function later() {
      clearTimeout(hideTimer);
      hideTimer = setTimeout(hide, 200);
    }

    function build(doc, sections, hash) {
      if (!card) {
        card = document.createElement("div");
        card.className = "link-preview";
        card.id = "link-preview";
        card.setAttribute("role", "tooltip");
        card.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
        card.addEventListener("mouseleave", later);
        document.body.appendChild(card);
      }
      while (card.firstChild) card.removeChild(card.firstChild);
      var head = document.createElement("p");
      head.className = "preview-head";
      appendTitle(head, "preview-title", doc, null);
      card.appendChild(head);
      var section = null;
      (sections || []).forEach(function (s) {
        if (!section && hash && s[0] === hash) section = s;
      });
      if (section && section[1]) {
        var h = document.createElement("p");
        h.className = "preview-section";
        h.textContent = section[1];
        card.appendChild(h);
      }
      var source = section || (sections || []).filter(function (s) { return s[2]; })[0];
      var text = source ? firstParagraph(source[2], 400) : "";
      if (text) {
        var p = document.createElement("p");
        p.className = "preview-text";
        p.textContent = text;
        card.appendChild(p);
      }
    }

    function place(a) {
      var r = a.getBoundingClientRect();
      card.hidden = false;
      card.style.left = "0px";
      card.style.top = "0px";
      var w = card.offsetWidth, h = card.offsetHeight;
      var vw = document.documentElement.clientWidth, vh = window.innerHeight;
      var left = Math.min(Math.max(8, r.left), Math.max(8, vw - w - 8));
      var top = r.bottom + 8;
      if (top + h > vh - 8 && r.top - h - 8 >= 8) top = r.top - h - 8;
      card.style.left = left + "px";
      card.style.top = top + "px";
    }

    function preview(a) {
      var target = siteUrl(a);
      if (!target) return;
      loadSite(function (s) {
        if (!s || current !== a) return;
        var doc = docOf(target);
        // A link to the page it is on shows nothing new.
        var here = siteUrl({ href: location.href });
        if (!doc || (here && here.path === target.path && !target.hash)) return;
        withTexts([doc.n], function (texts) {
          if (current !== a) return;
          build(doc, texts[doc.n], target.hash);
          place(a);
          a.setAttribute("aria-describedby", "link-preview");
        });
      });
    }

    main.addEventListener("mouseover", function (ev) {
      var a = ev.target.closest ? ev.target.closest("a[href]") : null;
      if (!a || a === current || !main.contains(a) || a.closest(".toc, .link-preview")) return;
      if (a.getAttribute("href").charAt(0) === "#") return;
      hide();
      current = a;
      showTimer = setTimeout(function () { preview(a); }, 300);
    });
    main.addEventListener("mouseout", function (ev) {
      if (!current) return;
      var to = ev.relatedTarget;
      if (to && (current.contains(to) || (card && card.contains(to)))) return;
      if (ev.target.closest && ev.target.closest("a[href]") === current) later();
    });
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hide(); });
    window.addEventListener("scroll", hide, { passive: true });
  }

  // The matrix's "Expand all" and "Collapse all": shown only where script runs, since
  // without it each technique still opens on its own.
  function initMatrix() {
    var buttons = document.querySelector(".matrix-buttons");
    if (!buttons) return;
    buttons.hidden = false;
    buttons.addEventListener("click", function (ev) {
      var which = ev.target && ev.target.getAttribute("data-details");
      if (!which) return;
      var all = document.querySelectorAll(".matrix details");
      for (var i = 0; i < all.length; i++) all[i].open = which === "open";
    });
  }

  // The contents mark the section being read: the last heading above the top of the
  // window, checked once a frame while scrolling.
  function initToc() {
    var links = document.querySelectorAll(".toc-list a[href^='#']");
    if (!links.length) return;
    var targets = [];
    var seen = {};
    for (var i = 0; i < links.length; i++) {
      var id = decodeURIComponent(links[i].getAttribute("href").slice(1));
      if (seen[id]) continue;
      var el = document.getElementById(id);
      if (el) { seen[id] = true; targets.push({ id: id, el: el }); }
    }
    var current = null;
    var pending = false;
    function mark() {
      pending = false;
      var found = null;
      for (var i = 0; i < targets.length; i++) {
        if (targets[i].el.getBoundingClientRect().top <= 96) found = targets[i].id;
        else break;
      }
      if (found === current) return;
      current = found;
      for (var j = 0; j < links.length; j++) {
        var here = decodeURIComponent(links[j].getAttribute("href").slice(1)) === found;
        if (here) links[j].setAttribute("aria-current", "location");
        else links[j].removeAttribute("aria-current");
        if (here) keepInView(links[j]);
      }
    }
    // A long contents scrolls inside the aside: keep the marked entry in its view.
    function keepInView(link) {
      var box = link.closest(".page-aside");
      if (!box || box.scrollHeight <= box.clientHeight) return;
      var top = link.getBoundingClientRect().top - box.getBoundingClientRect().top;
      if (top < 0 || top > box.clientHeight - link.offsetHeight) {
        box.scrollTop += top - box.clientHeight / 3;
      }
    }
    window.addEventListener("scroll", function () {
      if (!pending) { pending = true; window.requestAnimationFrame(mark); }
    }, { passive: true });
    mark();
  }

  // Exposed for tests and for anyone wanting to reuse the matcher.
  window.AtlasSearch = { search: search, tokens: tokens, shardOf: shardOf };

  function start() { init(); initMatrix(); initToc(); initPreviews(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
