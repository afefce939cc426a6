/* atlas-kb offline search.
 *
 * The index is a script (`search-index.js`, next to this file) that sets
 * window.ATLAS_SEARCH_INDEX = [{u, t, k, b}, ...]; fetch() is blocked on file://, so it is
 * loaded with a <script> element the first time the search box is used.
 * No dependencies; results are built with DOM calls and textContent only.
 */
(function () {
  "use strict";

  var MAX_RESULTS = 20;
  var ID_RE = /^([A-Za-z][A-Za-z0-9]*\.[A-Za-z]{0,4}\d+(?:\.\d+)*)\s*(?::\s*|\s+-\s+|\s+|$)/;

  // Where the index lives: beside this script, whatever folder that is.
  var scriptEl = document.currentScript;
  var indexUrl = null;
  if (scriptEl && scriptEl.src) {
    indexUrl = scriptEl.src.replace(/search\.js(?:[?#].*)?$/, "search-index.js");
  }

  var entries = null; // prepared index
  var loadState = "idle"; // idle | loading | ready | failed

  /* ---------- Index ---------- */

  function prepare(raw) {
    var out = [];
    for (var i = 0; i < raw.length; i++) {
      var e = raw[i];
      if (!e || typeof e.u !== "string") continue;
      var title = String(e.t || "");
      var m = ID_RE.exec(title);
      var id = m ? m[1] : "";
      out.push({
        url: e.u,
        title: title,
        kind: String(e.k || ""),
        body: String(e.b || ""),
        id: id.toLowerCase(),
        // the ID without its "AML." framework prefix, so "t0011" works too
        shortId: id.toLowerCase().replace(/^[a-z]+\./, ""),
        titleL: title.toLowerCase(),
        nameL: (m ? title.slice(m[0].length) : title).toLowerCase(),
        bodyL: String(e.b || "").toLowerCase()
      });
    }
    return out;
  }

  var waiting = [];
  function loadIndex(done) {
    if (loadState === "ready" || loadState === "failed") { done(); return; }
    if (waiting.indexOf(done) === -1) waiting.push(done);
    if (loadState === "loading") return;
    if (window.ATLAS_SEARCH_INDEX) { finish(true); return; }
    loadState = "loading";
    var s = document.createElement("script");
    s.src = indexUrl || (rootPrefix() + "_atlas/search-index.js");
    s.async = true;
    s.onload = function () { finish(!!window.ATLAS_SEARCH_INDEX); };
    s.onerror = function () { finish(false); };
    document.head.appendChild(s);
  }
  function finish(ok) {
    if (ok) {
      entries = prepare(window.ATLAS_SEARCH_INDEX);
      loadState = "ready";
    } else {
      loadState = "failed";
    }
    var callbacks = waiting;
    waiting = [];
    callbacks.forEach(function (cb) { cb(); });
  }

  function rootPrefix() {
    return (document.body && document.body.dataset.root) || "";
  }

  /* ---------- Matching and ranking ---------- */

  function terms(query) {
    return query.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
  }

  /* Ranks: 0 exact ID, 1 ID prefix, 2 every term in the title, 3 some term in the title,
     4 body only. Lower is better. */
  function score(e, ts) {
    var inTitle = 0;
    var idRank = 9;
    for (var i = 0; i < ts.length; i++) {
      var t = ts[i];
      var tNoDot = t.replace(/[.:,;]+$/, "");
      if (e.id) {
        if (tNoDot === e.id || tNoDot === e.shortId) idRank = Math.min(idRank, 0);
        else if (tNoDot.length >= 2 && (e.id.indexOf(tNoDot) === 0 || e.shortId.indexOf(tNoDot) === 0)) {
          idRank = Math.min(idRank, 1);
        }
      }
      var titleHit = e.titleL.indexOf(t) !== -1;
      if (titleHit) inTitle++;
      else if (e.bodyL.indexOf(t) === -1) return null; // every term must occur somewhere
    }
    var rank;
    if (idRank <= 1) rank = idRank;
    else if (inTitle === ts.length) rank = 2;
    else if (inTitle > 0) rank = 3;
    else rank = 4;
    var first = ts[0];
    var pos = e.nameL.indexOf(first);
    return {
      rank: rank,
      // inside a rank: the exact name, names starting with the first term, then word
      // starts, then anywhere
      pos: e.nameL === ts.join(" ") ? -1 :
        pos === 0 ? 0 : (pos > 0 && /[^a-z0-9]/.test(e.nameL.charAt(pos - 1)) ? 1 : 2)
    };
  }

  function compare(a, b) {
    if (a.s.rank !== b.s.rank) return a.s.rank - b.s.rank;
    if (a.s.rank <= 1) {
      // ID matches in ID order: AML.T0011, AML.T0011.000, AML.T0011.001 ...
      if (a.e.id !== b.e.id) return a.e.id < b.e.id ? -1 : 1;
    }
    if (a.s.rank <= 3) {
      if (a.s.pos !== b.s.pos) return a.s.pos - b.s.pos;
      // shorter names are closer matches
      if (a.e.nameL.length !== b.e.nameL.length) return a.e.nameL.length - b.e.nameL.length;
    }
    // pages with an ATLAS ID before notes, then alphabetical
    if (!a.e.id !== !b.e.id) return a.e.id ? -1 : 1;
    return a.e.titleL < b.e.titleL ? -1 : a.e.titleL > b.e.titleL ? 1 : 0;
  }

  function search(query, index) {
    var ts = terms(query);
    if (!ts.length || !index) return { items: [], total: 0, terms: ts };
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var s = score(index[i], ts);
      if (s) hits.push({ e: index[i], s: s });
    }
    hits.sort(compare);
    return { items: hits.slice(0, MAX_RESULTS), total: hits.length, terms: ts };
  }

  /* ---------- Rendering (DOM only, no innerHTML) ---------- */

  // Appends `text` to `parent`, wrapping occurrences of any term in <mark>.
  function appendHighlighted(parent, text, ts) {
    var lower = text.toLowerCase();
    var ranges = [];
    ts.forEach(function (t) {
      var from = 0, at;
      while (t && (at = lower.indexOf(t, from)) !== -1) {
        ranges.push([at, at + t.length]);
        from = at + t.length;
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    });
    var cursor = 0;
    merged.forEach(function (r) {
      if (r[0] > cursor) parent.appendChild(document.createTextNode(text.slice(cursor, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      parent.appendChild(mark);
      cursor = r[1];
    });
    if (cursor < text.length) parent.appendChild(document.createTextNode(text.slice(cursor)));
  }

  // A short piece of body text around the first term that is not in the title.
  function snippet(e, ts) {
    var at = -1;
    for (var i = 0; i < ts.length && at === -1; i++) {
      if (e.titleL.indexOf(ts[i]) === -1) at = e.bodyL.indexOf(ts[i]);
    }
    if (at === -1) return "";
    var start = Math.max(0, at - 40);
    var text = e.body.slice(start, start + 140).replace(/\s+/g, " ").trim();
    return (start > 0 ? "…" : "") + text + (start + 140 < e.body.length ? "…" : "");
  }

  function kindClass(kind) {
    return "badge badge-" + kind.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
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

    function update() {
      var query = input.value.trim();
      clear();
      if (!query) { close(); status.textContent = ""; return; }
      if (loadState !== "ready") {
        if (loadState === "failed") {
          message("The search index could not be loaded.");
          open();
          return;
        }
        message("Loading the search index…");
        open();
        loadIndex(update);
        return;
      }
      var found = search(query, entries);
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
        var title = document.createElement("span");
        title.className = "result-title";
        appendHighlighted(title, e.title, found.terms);
        head.appendChild(title);
        if (e.kind) {
          var badge = document.createElement("span");
          badge.className = kindClass(e.kind);
          badge.textContent = e.kind;
          head.appendChild(badge);
        }
        a.appendChild(head);
        if (hit.s.rank >= 3) {
          var text = snippet(e, found.terms);
          if (text) {
            var sn = document.createElement("span");
            sn.className = "result-snippet";
            appendHighlighted(sn, text, found.terms);
            a.appendChild(sn);
          }
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
      status.textContent = found.total ? found.total + " results" : "No results";
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
      else loadIndex(function () {});
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
  window.AtlasSearch = { prepare: prepare, search: search, loadIndex: loadIndex };

  function start() { init(); initMatrix(); initToc(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
