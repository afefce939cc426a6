//! The offline full-text search data. Pages opened from `file://` may not `fetch`, so each
//! file is a script that hands its data to `atlasSearchData(kind, key, data)` (defined by
//! `search.js`) and is loaded with a `<script>` tag only when needed:
//!
//! - `docs.js`: each page's URL, title and kind in document order, the number of term
//!   shards and the first document of each text bucket. Loaded on first use of the search
//!   box or of a link preview.
//! - `t/<n>.js`: one shard of the inverted index: the terms whose first two chars hash to
//!   `n`, sorted, each with the documents holding it and where (title, heading, body).
//!   Loaded for the words typed.
//! - `p/<n>.js`: one bucket of page texts, for result snippets and link previews: each
//!   section's heading and the start of its text.
//!
//! Every word of every page is indexed; only the start of each section is kept as text, so
//! the data stays a small fraction of the site's HTML (figures in BENCHMARKS.md).

use crate::layout::{SEARCH_BUCKETS, SEARCH_DOCS, SEARCH_SHARDS};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use unicode_segmentation::UnicodeSegmentation;

/// Where a word stands on its page: the bits of a posting's field mask.
pub const IN_BODY: u8 = 1;
pub const IN_HEADING: u8 = 2;
pub const IN_TITLE: u8 = 4;

/// Longer words are indexed by their start (the query side cuts typed words the same way).
const TERM_CHARS: usize = 48;
/// Text kept for a page's lead, before its first heading: its preview.
const LEAD_BYTES: usize = 480;
/// Text kept for each section: a section preview and the usual snippet.
const SECTION_BYTES: usize = 240;
/// Text kept for a whole page, so that a page with hundreds of sections stays small.
const PAGE_BYTES: usize = 2400;
/// A term shard or a text bucket is closed once it holds this much.
const SHARD_BYTES: usize = 64 * 1024;
const BUCKET_BYTES: usize = 32 * 1024;

/// A page's text as the renderer saw it, title left out, one entry per section: the text
/// before the first heading, then each heading's (with its id).
#[derive(Default)]
pub struct PageText {
    pub sections: Vec<Section>,
}

#[derive(Default)]
pub struct Section {
    pub slug: String,
    pub heading: String,
    /// Paragraphs (and other blocks) separated by `\n`, words by one space.
    pub text: String,
}

impl PageText {
    pub fn new() -> PageText {
        PageText {
            sections: vec![Section::default()],
        }
    }

    /// Starts a section at a heading with id `slug`; its text follows with `heading_text`.
    pub fn start_section(&mut self, slug: &str) {
        self.sections.push(Section {
            slug: slug.to_string(),
            ..Section::default()
        });
    }

    fn current(&mut self) -> &mut Section {
        if self.sections.is_empty() {
            self.sections.push(Section::default());
        }
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// Adds shown text to the current section's heading or body.
    pub fn push(&mut self, piece: &str, in_heading: bool) {
        let section = self.current();
        let out = if in_heading {
            &mut section.heading
        } else {
            &mut section.text
        };
        push_words(out, piece);
    }

    /// Ends a block: the next text starts a paragraph of its own.
    pub fn end_block(&mut self) {
        let text = &mut self.current().text;
        while text.ends_with(' ') {
            text.pop();
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    }
}

/// Appends the words of `piece` to `out`, separated by one space from what is there unless
/// the piece continues a word (text split around inline markup: `**bold**ly`).
fn push_words(out: &mut String, piece: &str) {
    let starts_apart = piece.starts_with(char::is_whitespace);
    let mut words = piece.split_whitespace();
    if let Some(first) = words.next() {
        if starts_apart && !out.is_empty() && !out.ends_with(['\n', ' ']) {
            out.push(' ');
        }
        out.push_str(first);
    }
    for word in words {
        out.push(' ');
        out.push_str(word);
    }
    if piece.ends_with(char::is_whitespace) && !out.is_empty() && !out.ends_with(['\n', ' ']) {
        out.push(' ');
    }
}

/// What one page gives the search data, made while the page renders.
#[derive(Clone)]
pub struct PageRecord {
    /// `[url, title, kind]` as JSON.
    doc: Vec<u8>,
    /// Each distinct term of the page, one after another: one buffer rather than a string
    /// per term.
    terms: String,
    /// Where each term ends in `terms`, and where it stands on the page (`IN_*` bits).
    term_ends: Vec<(u32, u8)>,
    /// The page's kept text as JSON: `[[slug, heading, text], ...]`.
    text: Vec<u8>,
}

impl PageRecord {
    /// Each distinct term of the page, with where it stands (`IN_*` bits).
    fn terms(&self) -> impl Iterator<Item = (&str, u8)> {
        let mut start = 0;
        self.term_ends.iter().map(move |&(end, mask)| {
            let term = self.terms.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            (term, mask)
        })
    }
}

/// The record of a page at `url` (from the site's root) titled `title`.
pub fn page_record(url: &str, title: &str, kind: &str, text: &PageText) -> PageRecord {
    let title = crate::syntax::without_controls(title);
    let mut title_l = String::with_capacity(title.len());
    push_lowercase(&mut title_l, &title);
    let mut headings = String::new();
    let mut body = String::with_capacity(text.sections.iter().map(|s| s.text.len() + 1).sum());
    for section in &text.sections {
        push_lowercase(&mut headings, &section.heading);
        headings.push('\n');
        push_lowercase(&mut body, &section.text);
        body.push('\n');
    }
    // Deduplicated by hash, not sorted: the writer sorts all terms once at the end.
    let mut found: FxHashMap<&str, u8> = FxHashMap::default();
    found.reserve(body.len() / 16);
    for (text, field) in [
        (&title_l, IN_TITLE),
        (&headings, IN_HEADING),
        (&body, IN_BODY),
    ] {
        words(text, |w| *found.entry(w).or_default() |= field);
    }
    let mut terms = String::with_capacity(found.len() * 8);
    let mut term_ends = Vec::with_capacity(found.len());
    for (term, mask) in found {
        terms.push_str(term);
        term_ends.push((terms.len() as u32, mask));
    }

    let mut doc = Vec::with_capacity(url.len() + title.len() + kind.len() + 16);
    write_json(&mut doc, &(url, &*title, kind));
    PageRecord {
        doc,
        terms,
        term_ends,
        text: kept_text(text),
    }
}

/// Appends `text` lowercased, as `to_lowercase` would, to `out`, faster: ASCII in place,
/// and only pieces with other chars by the Unicode rules (whose one rule with context, the
/// final sigma, never looks past whitespace).
fn push_lowercase(out: &mut String, text: &str) {
    by_width(text, |piece, ascii| {
        if ascii {
            push_ascii_lowercase(out, piece);
        } else {
            out.push_str(&piece.to_lowercase());
        }
    });
}

/// Calls `f` with `text` cut at ASCII whitespace into spans that are all ASCII (`true`)
/// and single pieces between whitespace that are not (`false`), in order.
fn by_width<'t>(text: &'t str, mut f: impl FnMut(&'t str, bool)) {
    let mut rest = text;
    while let Some(wide) = rest.bytes().position(|b| !b.is_ascii()) {
        let start = rest[..wide]
            .rfind(|c: char| c.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let end = rest[wide..]
            .find(|c: char| c.is_ascii_whitespace())
            .map_or(rest.len(), |i| wide + i);
        f(&rest[..start], true);
        f(&rest[start..end], false);
        rest = &rest[end..];
    }
    f(rest, true);
}

fn push_ascii_lowercase(out: &mut String, ascii: &str) {
    let from = out.len();
    out.push_str(ascii);
    out[from..].make_ascii_lowercase();
}

/// The start of each section, as JSON: what snippets and previews show.
fn kept_text(text: &PageText) -> Vec<u8> {
    let mut room = PAGE_BYTES;
    let mut kept: Vec<(&str, &str, String)> = Vec::new();
    for (i, section) in text.sections.iter().enumerate() {
        let body = section.text.trim_end();
        if i == 0 && body.is_empty() {
            continue;
        }
        let cap = if i == 0 { LEAD_BYTES } else { SECTION_BYTES }.min(room);
        let shown = cut(body, cap);
        room -= shown.len().min(room);
        kept.push((&section.slug, section.heading.trim(), shown));
    }
    let mut json = Vec::new();
    write_json(&mut json, &kept);
    json
}

/// `text` cut to at most about `cap` bytes at a word's end, with `…` where it was cut.
fn cut(text: &str, cap: usize) -> String {
    let text = crate::syntax::without_controls(text);
    if text.len() <= cap {
        return text.into_owned();
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // Back to the last space, unless that would drop most of what fits.
    if let Some(space) = text[..end].rfind([' ', '\n']).filter(|&s| s >= cap / 2) {
        end = space;
    }
    let mut kept = text[..end].trim_end().to_string();
    kept.push('…');
    kept
}

/// Calls `f` with each term of `text`, which is lowercased: its words as Unicode splits
/// them (UAX #29), cut to [`TERM_CHARS`] chars; a word with dots (`aml.t0011.000`) also
/// gives what follows each dot (`t0011.000`, `000`), so IDs are found without their prefix.
fn words<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    unicode_words(text, |word| {
        f(term(word));
        let mut rest = word;
        while let Some(dot) = memchr::memchr(b'.', rest.as_bytes()) {
            rest = &rest[dot + 1..];
            if !rest.is_empty() {
                f(term(rest));
            }
        }
    });
}

/// The words of `text` as `unicode_words` splits them, faster: no word spans ASCII
/// whitespace, so only the pieces with other chars need the Unicode tables (which cost as
/// much as the rest of the indexing).
fn unicode_words<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    by_width(text, |piece, ascii| {
        if ascii {
            ascii_words(piece, &mut f);
        } else {
            piece.unicode_words().for_each(&mut f);
        }
    });
}

/// The words `unicode_words` finds in ASCII text: runs of letters, digits and `_`, joined across one
/// `:`, `.` or `'` between letters and one `,`, `;`, `.` or `'` between digits; a run of
/// `_` alone is no word.
fn ascii_words<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let bytes = text.as_bytes();
    let in_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !in_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        loop {
            while i < bytes.len() && in_word(bytes[i]) {
                i += 1;
            }
            let (Some(&mid), Some(&next)) = (bytes.get(i), bytes.get(i + 1)) else {
                break;
            };
            let before = bytes[i - 1];
            let joins = if before.is_ascii_alphabetic() && next.is_ascii_alphabetic() {
                matches!(mid, b':' | b'.' | b'\'')
            } else if before.is_ascii_digit() && next.is_ascii_digit() {
                matches!(mid, b',' | b';' | b'.' | b'\'')
            } else {
                false
            };
            if !joins {
                break;
            }
            i += 1;
        }
        let word = &text[start..i];
        if bytes[start] != b'_' || word.bytes().any(|b| b != b'_') {
            f(word);
        }
    }
}

fn term(word: &str) -> &str {
    if word.len() <= TERM_CHARS {
        return word;
    }
    match word.char_indices().nth(TERM_CHARS) {
        Some((end, _)) => &word[..end],
        None => word,
    }
}

/// Which shard holds `term`: a hash (FNV-1a) of its first two chars, which `search.js`
/// computes the same way for a typed word.
pub fn shard_of(term: &str, shards: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for c in term.chars().take(2) {
        hash = (hash ^ c as u32).wrapping_mul(0x0100_0193);
    }
    hash % shards.max(1)
}

/// A term's documents, as its postings string grows.
struct Postings {
    last_doc: u32,
    encoded: Vec<u8>,
}

/// One posting: a document `gap` after the term's previous one, and where the term stands
/// on it (`IN_*` bits).
fn push_posting(out: &mut Vec<u8>, gap: u32, mask: u8) {
    push_number(out, (u64::from(gap) << 3) | u64::from(mask));
}

/// What a term adds to the index's size, which decides the number of shards.
fn term_size(term: &str, encoded: &[u8]) -> usize {
    term.len() + encoded.len() + 8
}

fn shard_count(total: usize) -> u32 {
    total.div_ceil(SHARD_BYTES).clamp(1, 4096) as u32
}

/// The length of a text bucket as its pages are added: a bucket is closed by the page that
/// brings it to [`BUCKET_BYTES`]. Shared by the writer and the live index, so that both
/// close buckets at the same pages.
#[derive(Default)]
struct BucketFill(usize);

impl BucketFill {
    /// Adds a page's text of `len` bytes; says whether it starts a bucket and whether it
    /// closes it.
    fn add(&mut self, len: usize) -> (bool, bool) {
        let starts = self.0 == 0;
        // `[` before the first text, `,\n` before each other.
        self.0 += if starts { 1 } else { 2 } + len;
        let closes = self.0 >= BUCKET_BYTES;
        if closes {
            self.0 = 0;
        }
        (starts, closes)
    }
}

/// Text bucket `n`, holding `texts`.
fn bucket_file<'t>(n: usize, texts: impl Iterator<Item = &'t [u8]>) -> Vec<u8> {
    let mut file = format!("atlasSearchData(\"p\",{n},[").into_bytes();
    for (i, text) in texts.enumerate() {
        if i > 0 {
            file.extend_from_slice(b",\n");
        }
        file.extend_from_slice(text);
    }
    file.extend_from_slice(b"]);\n");
    file
}

/// Term shard `n`, holding `terms` (sorted) with their encoded postings.
fn shard_file<'t>(n: u32, terms: impl Iterator<Item = (&'t str, &'t [u8])>) -> Vec<u8> {
    let mut file = format!("atlasSearchData(\"t\",{n},[").into_bytes();
    for (i, (term, encoded)) in terms.enumerate() {
        if i > 0 {
            file.extend_from_slice(b",\n");
        }
        write_json(
            &mut file,
            &(term, std::str::from_utf8(encoded).unwrap_or("")),
        );
    }
    file.extend_from_slice(b"]);\n");
    file
}

/// Adds document `n`'s `[url, title, kind]` to the list of documents.
fn push_doc(docs: &mut Vec<u8>, n: u32, doc: &[u8]) {
    docs.extend_from_slice(if n == 0 { b"[" } else { b",\n" });
    docs.extend_from_slice(doc);
}

/// The list of documents, with the number of shards and each bucket's first document;
/// `docs` as [`push_doc`] made it.
fn docs_file(shards: u32, bucket_starts: &[u32], docs: &[u8]) -> Vec<u8> {
    let mut file = b"atlasSearchData(\"docs\",0,{\"shards\":".to_vec();
    file.extend_from_slice(shards.to_string().as_bytes());
    file.extend_from_slice(b",\"buckets\":");
    write_json(&mut file, &bucket_starts);
    file.extend_from_slice(b",\"docs\":");
    if docs.is_empty() {
        file.extend_from_slice(b"[");
    }
    file.extend_from_slice(docs);
    file.extend_from_slice(b"]});\n");
    file
}

/// Builds the search data page by page, in document order, writing text buckets as they
/// fill so that no more than one is held; the index and the list of documents are written
/// by [`finish`](Self::finish).
#[derive(Default)]
pub struct IndexWriter {
    docs: Vec<u8>,
    count: u32,
    terms: FxHashMap<Box<str>, Postings>,
    bucket_texts: Vec<Vec<u8>>,
    fill: BucketFill,
    bucket_starts: Vec<u32>,
    /// Every file written so far.
    pub files: usize,
}

impl IndexWriter {
    pub fn new() -> IndexWriter {
        IndexWriter::default()
    }

    /// Adds the next pages, in document order; `write` stores a file of the site.
    pub fn add(
        &mut self,
        records: Vec<PageRecord>,
        write: &impl Fn(&str, &[u8]) -> crate::Result<()>,
    ) -> crate::Result<()> {
        for record in records {
            let doc = self.count;
            self.count += 1;
            push_doc(&mut self.docs, doc, &record.doc);
            for (term, mask) in record.terms() {
                let postings = match self.terms.get_mut(term) {
                    Some(p) => p,
                    None => self.terms.entry(term.into()).or_insert(Postings {
                        last_doc: 0,
                        encoded: Vec::new(),
                    }),
                };
                let gap = doc - postings.last_doc;
                postings.last_doc = doc;
                push_posting(&mut postings.encoded, gap, mask);
            }
            let (starts, closes) = self.fill.add(record.text.len());
            if starts {
                self.bucket_starts.push(doc);
            }
            self.bucket_texts.push(record.text);
            if closes {
                self.write_bucket(write)?;
            }
        }
        Ok(())
    }

    fn write_bucket(
        &mut self,
        write: &impl Fn(&str, &[u8]) -> crate::Result<()>,
    ) -> crate::Result<()> {
        let n = self.bucket_starts.len() - 1;
        let file = bucket_file(n, self.bucket_texts.iter().map(Vec::as_slice));
        self.bucket_texts.clear();
        self.files += 1;
        write(&format!("{SEARCH_BUCKETS}/{n}.js"), &file)
    }

    /// Writes the last text bucket, the term shards and the list of documents.
    pub fn finish(
        mut self,
        write: &impl Fn(&str, &[u8]) -> crate::Result<()>,
    ) -> crate::Result<usize> {
        if !self.bucket_texts.is_empty() {
            self.write_bucket(write)?;
        }
        let mut terms: Vec<(Box<str>, Postings)> = self.terms.into_iter().collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let total: usize = terms.iter().map(|(t, p)| term_size(t, &p.encoded)).sum();
        let shards = shard_count(total);
        let mut by_shard: Vec<Vec<(&str, &[u8])>> = vec![Vec::new(); shards as usize];
        for (term, postings) in &terms {
            by_shard[shard_of(term, shards) as usize].push((term, &postings.encoded));
        }
        for (n, terms) in by_shard.into_iter().enumerate() {
            let file = shard_file(n as u32, terms.into_iter());
            write(&format!("{SEARCH_SHARDS}/{n}.js"), &file)?;
        }
        write(
            SEARCH_DOCS,
            &docs_file(shards, &self.bucket_starts, &self.docs),
        )?;
        Ok(self.files + shards as usize + 1)
    }
}

/// The search data held whole, for `serve`: pages can be replaced one at a time, and only
/// the files whose contents that changes are made again. It gives the same files as an
/// [`IndexWriter`] fed the same records.
pub struct LiveIndex {
    records: Vec<PageRecord>,
    /// Per shard, its terms with their encoded postings. Kept encoded: a third of the
    /// memory of a list of documents, and a page changes only a few hundred terms.
    shards: Vec<BTreeMap<Box<str>, Vec<u8>>>,
    /// The sum of [`term_size`] over every term.
    total: usize,
    bucket_starts: Vec<u32>,
}

/// What replacing pages changes in the search data.
#[derive(Default)]
pub struct Changed {
    /// Files to write: those whose contents may have changed.
    pub write: Vec<(String, Vec<u8>)>,
    /// Files the data no longer has.
    pub remove: Vec<String>,
}

impl LiveIndex {
    pub fn new(records: Vec<PageRecord>) -> LiveIndex {
        let mut terms: FxHashMap<&str, Postings> = FxHashMap::default();
        for (doc, record) in records.iter().enumerate() {
            let doc = doc as u32;
            for (term, mask) in record.terms() {
                let postings = terms.entry(term).or_insert(Postings {
                    last_doc: 0,
                    encoded: Vec::new(),
                });
                push_posting(&mut postings.encoded, doc - postings.last_doc, mask);
                postings.last_doc = doc;
            }
        }
        let total = terms.iter().map(|(t, p)| term_size(t, &p.encoded)).sum();
        let shards = shard_count(total);
        let mut by_shard = vec![BTreeMap::new(); shards as usize];
        for (term, postings) in terms {
            by_shard[shard_of(term, shards) as usize].insert(term.into(), postings.encoded);
        }
        let bucket_starts = bucket_starts(&records);
        LiveIndex {
            records,
            shards: by_shard,
            total,
            bucket_starts,
        }
    }

    /// The number of documents.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Takes the records of every document, leaving none.
    pub fn take_records(&mut self) -> Vec<PageRecord> {
        std::mem::take(&mut self.records)
    }

    /// The path of every file of the search data.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        let buckets = (0..self.bucket_starts.len()).map(|n| format!("{SEARCH_BUCKETS}/{n}.js"));
        let shards = (0..self.shards.len()).map(|n| format!("{SEARCH_SHARDS}/{n}.js"));
        buckets.chain(shards).chain([SEARCH_DOCS.to_string()])
    }

    /// Every file of the search data.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let buckets = 0..self.bucket_starts.len();
        let shards = 0..self.shards.len() as u32;
        let mut files: Vec<(String, Vec<u8>)> = buckets.map(|n| self.bucket(n)).collect();
        files.extend(shards.map(|n| self.shard(n)));
        files.push(self.docs());
        files
    }

    /// Replaces the records of documents `changes` (by document number) and says which
    /// files to write again and which to remove.
    pub fn replace(&mut self, changes: Vec<(u32, PageRecord)>) -> Changed {
        let mut dirty_shards: BTreeSet<u32> = BTreeSet::new();
        let mut dirty_buckets: BTreeSet<usize> = BTreeSet::new();
        let mut docs_changed = false;
        let shards_before = self.shards.len();
        for (doc, record) in changes {
            let Some(old) = self.records.get_mut(doc as usize) else {
                continue;
            };
            docs_changed |= old.doc != record.doc;
            let before: FxHashMap<&str, u8> = old.terms().collect();
            let after: FxHashMap<&str, u8> = record.terms().collect();
            let gone = before
                .keys()
                .filter(|t| !after.contains_key(*t))
                .map(|t| (*t, None));
            let set = after
                .iter()
                .filter(|(t, mask)| before.get(*t) != Some(*mask))
                .map(|(t, mask)| (*t, Some(*mask)));
            let edits: Vec<(&str, Option<u8>)> = gone.chain(set).collect();
            for (term, mask) in edits {
                let shard = set_posting(&mut self.shards, &mut self.total, term, doc, mask);
                dirty_shards.insert(shard);
            }
            let holding = self.bucket_starts.partition_point(|&s| s <= doc);
            dirty_buckets.extend(holding.checked_sub(1));
            *old = record;
        }
        let mut changed = Changed::default();
        // A different number of shards moves terms between them: every shard is new.
        let shards = shard_count(self.total);
        if shards as usize != self.shards.len() {
            let all = std::mem::take(&mut self.shards).into_iter().flatten();
            let mut by_shard = vec![BTreeMap::new(); shards as usize];
            for (term, encoded) in all {
                by_shard[shard_of(&term, shards) as usize].insert(term, encoded);
            }
            self.shards = by_shard;
            dirty_shards = (0..shards).collect();
            docs_changed = true;
            for n in shards as usize..shards_before {
                changed.remove.push(format!("{SEARCH_SHARDS}/{n}.js"));
            }
        }
        let starts = bucket_starts(&self.records);
        if starts != self.bucket_starts {
            let moved = (0..starts.len()).filter(|&n| {
                let range = |s: &[u32]| (s.get(n).copied(), s.get(n + 1).copied());
                range(&starts) != range(&self.bucket_starts)
            });
            dirty_buckets.extend(moved);
            for n in starts.len()..self.bucket_starts.len() {
                changed.remove.push(format!("{SEARCH_BUCKETS}/{n}.js"));
            }
            self.bucket_starts = starts;
            docs_changed = true;
        }
        let buckets = dirty_buckets
            .into_iter()
            .filter(|&n| n < self.bucket_starts.len());
        changed.write.extend(buckets.map(|n| self.bucket(n)));
        changed
            .write
            .extend(dirty_shards.into_iter().map(|n| self.shard(n)));
        if docs_changed {
            changed.write.push(self.docs());
        }
        changed
    }

    fn bucket(&self, n: usize) -> (String, Vec<u8>) {
        let start = self.bucket_starts[n] as usize;
        let end = self
            .bucket_starts
            .get(n + 1)
            .map_or(self.records.len(), |&s| s as usize);
        let texts = self.records[start..end].iter().map(|r| r.text.as_slice());
        (format!("{SEARCH_BUCKETS}/{n}.js"), bucket_file(n, texts))
    }

    fn shard(&self, n: u32) -> (String, Vec<u8>) {
        let terms = self.shards[n as usize]
            .iter()
            .map(|(t, e)| (&**t, e.as_slice()));
        (format!("{SEARCH_SHARDS}/{n}.js"), shard_file(n, terms))
    }

    fn docs(&self) -> (String, Vec<u8>) {
        let mut docs = Vec::new();
        for (n, record) in self.records.iter().enumerate() {
            push_doc(&mut docs, n as u32, &record.doc);
        }
        let shards = self.shards.len() as u32;
        (
            SEARCH_DOCS.to_string(),
            docs_file(shards, &self.bucket_starts, &docs),
        )
    }
}

/// Sets where `term` stands on document `doc` (`None`: nowhere) in `shards`, keeping
/// `total` (see [`LiveIndex`]); returns the term's shard.
fn set_posting(
    shards: &mut [BTreeMap<Box<str>, Vec<u8>>],
    total: &mut usize,
    term: &str,
    doc: u32,
    mask: Option<u8>,
) -> u32 {
    let n = shard_of(term, shards.len() as u32);
    let shard = &mut shards[n as usize];
    let old = shard.get(term).map(Vec::as_slice).unwrap_or_default();
    let mut postings = decode_postings(old);
    match (postings.binary_search_by_key(&doc, |p| p.0), mask) {
        (Ok(i), Some(mask)) => postings[i].1 = mask,
        (Ok(i), None) => {
            postings.remove(i);
        }
        (Err(i), Some(mask)) => postings.insert(i, (doc, mask)),
        (Err(_), None) => {}
    }
    let mut encoded = Vec::with_capacity(old.len() + 4);
    let mut last = 0;
    for &(doc, mask) in &postings {
        push_posting(&mut encoded, doc - last, mask);
        last = doc;
    }
    *total -= shard.get(term).map_or(0, |e| term_size(term, e));
    if postings.is_empty() {
        shard.remove(term);
    } else {
        *total += term_size(term, &encoded);
        shard.insert(term.into(), encoded);
    }
    n
}

/// Each text bucket's first document, as the writer closes buckets.
fn bucket_starts(records: &[PageRecord]) -> Vec<u32> {
    let mut fill = BucketFill::default();
    let mut starts = Vec::new();
    for (doc, record) in records.iter().enumerate() {
        if fill.add(record.text.len()).0 {
            starts.push(doc as u32);
        }
    }
    starts
}

/// A term's postings as (document, `IN_*` bits), from their encoding.
fn decode_postings(encoded: &[u8]) -> Vec<(u32, u8)> {
    let mut out = Vec::with_capacity(encoded.len() / 2);
    let (mut value, mut doc) = (0u64, 0u32);
    for &digit in encoded {
        let d = DIGIT_VALUES[digit as usize];
        value = (value << 5) | u64::from(d & 31);
        if d & LAST != 0 {
            doc += (value >> 3) as u32;
            out.push((doc, (value & 7) as u8));
            value = 0;
        }
    }
    out
}

/// Posting digits: the last digit of a number from the first 32, each other from the
/// second; five bits each, most significant first. All are plain in a JSON string.
const LAST_DIGITS: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
const MORE_DIGITS: &[u8; 32] = b"ghijklmnopqrstuvwxyz0123456789-_";

/// Marks a last digit in [`DIGIT_VALUES`].
const LAST: u8 = 32;

/// Each digit's five bits, with [`LAST`] set for the last digits.
const DIGIT_VALUES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 32 {
        table[MORE_DIGITS[i] as usize] = i as u8;
        table[LAST_DIGITS[i] as usize] = i as u8 | LAST;
        i += 1;
    }
    table
};

fn push_number(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 13];
    let mut n = 0;
    loop {
        digits[n] = (value & 31) as u8;
        n += 1;
        value >>= 5;
        if value == 0 {
            break;
        }
    }
    for &d in digits[1..n].iter().rev() {
        out.push(MORE_DIGITS[d as usize]);
    }
    out.push(LAST_DIGITS[digits[0] as usize]);
}

/// JSON of `value` into `out`, inert inside a script (see [`ScriptSafe`]).
fn write_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    let start = out.len();
    if serde_json::to_writer(ScriptSafe(out), value).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// Writes JSON with every `</` as `<\/` (the same string in JSON), so that `</script>`
/// cannot appear: the file is loaded by `src`, but is kept inert anyway. A `<` and its `/`
/// may arrive in separate writes, so the byte before each `/` is looked up in what is
/// already written.
struct ScriptSafe<'a>(&'a mut Vec<u8>);

impl Write for ScriptSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        for slash in memchr::memchr_iter(b'/', buf) {
            let before = if slash == 0 {
                self.0.last()
            } else {
                buf.get(slash - 1)
            };
            if before == Some(&b'<') {
                self.0.extend_from_slice(&buf[start..slash]);
                self.0.push(b'\\');
                start = slash;
            }
        }
        self.0.extend_from_slice(&buf[start..]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut lower = String::new();
        push_lowercase(&mut lower, text);
        words(&lower, |w| out.push(w.to_string()));
        out
    }

    #[test]
    fn words_are_lowercased_and_ids_found_without_their_prefix() {
        assert_eq!(
            all_words("See AML.T0011.000: User Execution, don't; prompt-injection 漏洞"),
            [
                "see",
                "aml.t0011.000",
                "t0011.000",
                "000",
                "user",
                "execution",
                "don't",
                "prompt",
                "injection",
                "漏",
                "洞"
            ]
        );
        let long = "x".repeat(100);
        assert_eq!(all_words(&long), ["x".repeat(TERM_CHARS)]);
    }

    proptest::proptest! {
        /// The fast path finds exactly the words the Unicode rules find.
        #[test]
        fn words_are_unicode_words(
            text in "[a-c0-2_:.',;! \n-]{0,40}|[ -~\t\n\r]{0,40}|[a1_:.' é—漏\u{301}\u{200d}]{0,30}"
        ) {
            let mut fast = Vec::new();
            unicode_words(&text, |w| fast.push(w));
            let slow: Vec<&str> = text.unicode_words().collect();
            proptest::prop_assert_eq!(fast, slow);
        }

        /// So does the fast path of lowercasing.
        #[test]
        fn lowercase_is_unicode_lowercase(text in "[aB1 \n.ÉΣσİ\u{301}'-]{0,30}") {
            let mut fast = String::from("x");
            push_lowercase(&mut fast, &text);
            proptest::prop_assert_eq!(fast, format!("x{}", text.to_lowercase()));
        }
    }

    #[test]
    fn postings_numbers_use_five_bits_a_digit() {
        let mut out = Vec::new();
        for n in [0, 31, 32, 1025] {
            push_number(&mut out, n);
        }
        assert_eq!(out, b"AfhAhgB");
    }

    #[test]
    fn text_is_kept_by_section_and_cut_at_a_word() {
        let mut text = PageText::new();
        text.push("Lead ", false);
        text.push("text", false);
        text.push("ly", false);
        text.end_block();
        text.push("second paragraph", false);
        text.start_section("details");
        text.push("Details", true);
        text.push(&"word ".repeat(100), false);
        let json = String::from_utf8(kept_text(&text)).unwrap();
        let kept: Vec<(String, String, String)> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            kept[0],
            ("".into(), "".into(), "Lead textly\nsecond paragraph".into())
        );
        assert_eq!(kept[1].0, "details");
        assert_eq!(kept[1].1, "Details");
        assert!(kept[1].2.ends_with("word…") && kept[1].2.len() <= SECTION_BYTES + 3);
    }

    #[test]
    fn the_data_never_holds_a_closing_tag() {
        let mut text = PageText::new();
        text.push("x</script>y", false);
        let record = page_record("a/b.html", "</script> in a title", "Note", &text);
        let mut writer = IndexWriter::new();
        let store = std::cell::RefCell::new(Vec::new());
        let write = |path: &str, bytes: &[u8]| {
            store
                .borrow_mut()
                .push((path.to_string(), String::from_utf8(bytes.to_vec()).unwrap()));
            Ok(())
        };
        writer.add(vec![record], &write).unwrap();
        writer.finish(&write).unwrap();
        let files = store.into_inner();
        assert_eq!(files.len(), 3);
        for (path, js) in &files {
            assert!(!js.contains("</"), "{path}: {js}");
        }
        let docs = &files.iter().find(|(p, _)| p == SEARCH_DOCS).unwrap().1;
        assert_eq!(
            docs,
            "atlasSearchData(\"docs\",0,{\"shards\":1,\"buckets\":[0],\"docs\":\
             [[\"a/b.html\",\"<\\/script> in a title\",\"Note\"]]});\n"
        );
    }

    /// The files an [`IndexWriter`] writes for `records`, by path.
    fn written(records: &[PageRecord]) -> BTreeMap<String, Vec<u8>> {
        let store = std::cell::RefCell::new(BTreeMap::new());
        let write = |path: &str, bytes: &[u8]| {
            store.borrow_mut().insert(path.to_string(), bytes.to_vec());
            Ok(())
        };
        let mut writer = IndexWriter::new();
        writer.add(records.to_vec(), &write).unwrap();
        writer.finish(&write).unwrap();
        store.into_inner()
    }

    /// A page of `words` (from a small vocabulary, so that pages share terms).
    fn record(n: usize, title: &str, words: &[u16]) -> PageRecord {
        let mut text = PageText::new();
        for (i, w) in words.iter().enumerate() {
            if i % 7 == 3 {
                text.start_section(&format!("s{i}"));
                text.push(&format!("heading{w}"), true);
            }
            text.push(&format!("w{w} "), false);
        }
        page_record(&format!("p{n}.html"), title, "Note", &text)
    }

    /// Replaces pages of a live index one at a time, applying what it says to a copy of the
    /// files, and checks the copy against a fresh writer's files after each.
    fn live_follows_writer(pages: Vec<Vec<u16>>, edits: Vec<(usize, Vec<u16>)>) {
        let mut records: Vec<PageRecord> = pages
            .iter()
            .enumerate()
            .map(|(n, words)| record(n, "Page", words))
            .collect();
        let mut live = LiveIndex::new(records.clone());
        let mut files: BTreeMap<String, Vec<u8>> = live.files().into_iter().collect();
        assert!(files == written(&records), "a new live index differs");
        for (at, words) in edits {
            let at = at % records.len();
            let title = if words.len() % 5 == 0 {
                "Renamed"
            } else {
                "Page"
            };
            records[at] = record(at, title, &words);
            let changed = live.replace(vec![(at as u32, records[at].clone())]);
            for path in changed.remove {
                assert!(files.remove(&path).is_some(), "{path} was not there");
            }
            files.extend(changed.write);
            let want = written(&records);
            let differ: Vec<&String> = want
                .keys()
                .chain(files.keys())
                .filter(|p| files.get(*p) != want.get(*p))
                .collect();
            assert!(differ.is_empty(), "after replacing page {at}: {differ:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn a_live_index_gives_the_writers_files(
            pages in proptest::collection::vec(proptest::collection::vec(0u16..300, 0..200), 1..40),
            edits in proptest::collection::vec(
                (0usize..40, proptest::collection::vec(0u16..400, 0..400)), 1..6),
        ) {
            live_follows_writer(pages, edits);
        }
    }

    /// Large enough for many shards and buckets, and edits that change their numbers.
    #[test]
    fn a_live_index_follows_shard_and_bucket_counts() {
        let pages: Vec<Vec<u16>> = (0..400u16)
            .map(|n| (0..120).map(|i| (n * 37 + i * 11) % 9000).collect())
            .collect();
        let grow: Vec<u16> = (0..6000).map(|i| 20000 + i).collect();
        live_follows_writer(
            pages,
            vec![
                (3, grow.clone()),
                (200, grow),
                (3, vec![1]),
                (200, vec![]),
                (399, vec![5; 3]),
            ],
        );
    }

    #[test]
    fn a_closing_tag_split_across_writes_is_escaped() {
        let mut out = Vec::new();
        let mut w = ScriptSafe(&mut out);
        w.write_all(b"a<").unwrap();
        w.write_all(b"/b/c").unwrap();
        w.write_all(b"/").unwrap();
        assert_eq!(out, b"a<\\/b/c/");
    }
}
