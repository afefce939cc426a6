//! Stage one: walk the content root, read every page (in parallel) and parse each page on its
//! own. Nothing here looks at another page; that is the graph's job.

mod asset;
pub mod front_matter;
mod prose;
pub mod scan;

pub use prose::{first_sentence, Step};

use crate::config::Exclude;
use crate::diagnostic::{Code, Diagnostic};
use crate::error::{Error, Result};
use crate::source::{LineIndex, Span};
use crate::vocabulary::{SectionId, Vocabulary};
pub use front_matter::FrontMatter;
use rayon::prelude::*;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;

/// How a link was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSyntax {
    /// `[[target#subpath|label]]`
    Wiki,
    /// `![[target]]`
    Embed,
    /// `[text](dest)`
    Markdown,
    /// `![alt](src)`
    Image,
    /// A quoted front matter value that is exactly one wiki link: `source: "[[x]]"`.
    FrontMatter,
}

/// A link as written, before resolution. Its text parts are [`Piece`]s of the page: read them
/// with [`ParsedPage::target`], [`ParsedPage::subpath`], [`ParsedPage::label`] and
/// [`ParsedPage::note`].
#[derive(Debug, Clone)]
pub struct RawLink {
    /// How it was written.
    pub syntax: LinkSyntax,
    /// The path part (wiki) or destination without fragment (markdown), as written.
    pub target: Piece,
    /// What followed the first `#`: a heading chain (`A#B`) or a block id (`^id`).
    pub subpath: Option<Piece>,
    /// The text after `|` in a wiki link.
    pub label: Option<Piece>,
    /// Where the link syntax starts.
    pub span: Span,
    /// Width of the link syntax in characters, for the caret line ([`RawLink::width`]).
    width: u32,
    /// Byte range of the whole link syntax in the page text ([`RawLink::range`]). Offsets
    /// are 32-bit, as pages are at most [`MAX_PAGE_BYTES`]: a vault has about ten links a
    /// page, and their size is memory every stage after the load walks through.
    start: u32,
    end: u32,
    /// The relation section the link is an entry of ([`RawLink::section`]).
    section: Option<SectionId>,
    /// The entry's use text (the ATLAS "use"): what follows ` — ` on the link's line, or the
    /// paragraph under an entry written as a heading.
    pub note: Option<Piece>,
}

impl RawLink {
    /// A link with no section or note yet (the scan adds them).
    fn new(
        syntax: LinkSyntax,
        (target, subpath, label): (Piece, Option<Piece>, Option<Piece>),
        span: Span,
        width: usize,
        range: Range<usize>,
    ) -> RawLink {
        RawLink {
            syntax,
            target,
            subpath,
            label,
            span,
            width: u32::try_from(width).unwrap_or(u32::MAX),
            // Within a page, so within MAX_PAGE_BYTES.
            start: u32::try_from(range.start).unwrap_or(u32::MAX),
            end: u32::try_from(range.end).unwrap_or(u32::MAX),
            section: None,
            note: None,
        }
    }

    /// Width of the link syntax in characters, for the caret line.
    pub fn width(&self) -> usize {
        self.width as usize
    }

    /// Byte range of the whole link syntax in the page text.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// For a wiki link or embed, the byte range from its `[[` to the end of its `]]` (an
    /// embed's `!` left out): what the markdown parse sees masked.
    pub fn wiki_brackets(&self) -> Option<Range<usize>> {
        match self.syntax {
            LinkSyntax::Wiki => Some(self.range()),
            LinkSyntax::Embed => Some(self.start as usize + 1..self.end as usize),
            _ => None,
        }
    }

    /// The relation section the link is an entry of (`Mitigations`, `Procedure`, ...), if
    /// any; [`Vocabulary::section_name`] names it.
    pub fn section(&self) -> Option<SectionId> {
        self.section
    }
}

/// Where one part of a link's text is: a byte range of the page text, or, when the markdown
/// parser changed it from what was written (escapes, entities, the `mailto:` of an
/// autolink), of the page's `link_text`. Ranges instead of strings: a page has about ten
/// links, and owning up to four strings each was a large share of memory and allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    start: u32,
    len: u32,
    in_link_text: bool,
}

impl Piece {
    /// `part`, which must lie inside `text`, as a piece of `text`.
    fn within(text: &str, part: &str) -> Option<Piece> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let end = start.checked_add(part.len())?;
        (end <= text.len()).then_some(Piece {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(part.len()).ok()?,
            in_link_text: false,
        })
    }

    /// The piece's text, from a page's `text` or its `link_text`.
    fn text_in<'t>(self, text: &'t str, link_text: &'t str) -> &'t str {
        let from = if self.in_link_text { link_text } else { text };
        from.get(self.range()).unwrap_or("")
    }

    /// `part` as a piece of `text` if it lies inside it, else copied to the end of
    /// `link_text`.
    pub(crate) fn of(text: &str, part: &str, link_text: &mut String) -> Piece {
        Piece::within(text, part).unwrap_or_else(|| Piece::copied(part, link_text))
    }

    /// `part`, copied to the end of `link_text`.
    fn copied(part: &str, link_text: &mut String) -> Piece {
        let start = link_text.len();
        link_text.push_str(part);
        Piece {
            // Pages are limited to MAX_PAGE_BYTES, and link text is a part of a page.
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(part.len()).unwrap_or(0),
            in_link_text: true,
        }
    }

    /// The same piece `by` bytes further on: a piece of a slice of `text` starting at `by`,
    /// made a piece of `text`.
    fn shifted(self, by: usize) -> Piece {
        Piece {
            // Within a page, so within MAX_PAGE_BYTES.
            start: u32::try_from(self.start as usize + by).unwrap_or(u32::MAX),
            ..self
        }
    }

    fn range(self) -> std::ops::Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

/// A heading of a page.
#[derive(Debug, Clone)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The heading as written (what Obsidian matches `#Heading` against).
    pub text: String,
    /// GitHub-style id, unique within the page.
    pub slug: String,
    /// Where it starts.
    pub span: Span,
    /// Byte offset of the heading's source in the page text.
    pub offset: usize,
    /// Byte offset where the heading's source ends.
    pub end: usize,
}

/// A `^block-id` marker at the end of a line.
#[derive(Debug, Clone)]
pub struct BlockId {
    /// The id, without `^`.
    pub id: String,
    /// Where the `^` is.
    pub span: Span,
}

/// A `- **Key:** value` bullet of the `## Metadata` section.
#[derive(Debug, Clone)]
pub struct MetaField {
    /// `Key`, as written.
    pub key: String,
    /// What follows `:**`, trimmed.
    pub value: String,
}

/// One markdown file, parsed on its own.
#[derive(Debug, Clone)]
pub struct ParsedPage {
    /// Path relative to the content root, `/`-separated, with its extension.
    pub path: String,
    /// The text with any BOM removed and CRLF line ends made LF (lines and columns unchanged).
    pub text: String,
    /// Where each line of `text` starts.
    pub lines: LineIndex,
    /// Byte offset of the markdown body, after the front matter.
    pub body_start: usize,
    /// The front matter's fields.
    pub front: FrontMatter,
    /// Line of the front matter `title` key, if any, to point ID diagnostics at.
    pub title_span: Option<Span>,
    /// Width of that line in characters.
    pub title_width: usize,
    /// Every heading, in order, with unique slugs.
    pub headings: Vec<Heading>,
    /// Every `^block-id`, in order.
    pub block_ids: Vec<BlockId>,
    /// Every link, front matter first, then in text order.
    pub links: Vec<RawLink>,
    /// The metadata section's `- **Key:** value` bullets.
    pub metadata: Vec<MetaField>,
    /// The `**Parent Technique:** AML.T0011 — User Execution` text.
    pub parent_technique: Option<String>,
    /// The first sentence of the page's prose, as plain text.
    pub summary: Option<Box<str>>,
    /// The steps of its procedure sections.
    pub steps: Vec<Step>,
    /// Obsidian comments (`%%...%%`), byte ranges in `text`: not shown.
    pub comments: Vec<std::ops::Range<usize>>,
    /// Link text that is not a slice of `text` (see [`Piece`]); usually empty.
    pub link_text: String,
    /// Set when the load left the text on disk (as `check` does): `text` and `lines`
    /// are then those of the empty text, every link piece is in `link_text`, and this says
    /// how the file was when it was read, so that a report reads it again only unchanged.
    pub on_disk: Option<FileStamp>,
}

impl ParsedPage {
    /// The text of one of this page's link pieces.
    pub fn piece(&self, piece: Piece) -> &str {
        piece.text_in(&self.text, &self.link_text)
    }

    /// Moves every link piece into `link_text`, then drops the text and its line index.
    fn leave_text_on_disk(&mut self, stamp: FileStamp) {
        let text = std::mem::take(&mut self.text);
        let copied = std::mem::take(&mut self.link_text);
        // Sized exactly: grown by doubling, a third of it would be spare at 100k pages.
        let size = self
            .links
            .iter()
            .flat_map(|l| [Some(l.target), l.subpath, l.label, l.note])
            .flatten()
            .map(|piece| piece.len as usize)
            .sum();
        let mut link_text = String::with_capacity(size);
        for link in &mut self.links {
            let pieces = [
                Some(&mut link.target),
                link.subpath.as_mut(),
                link.label.as_mut(),
                link.note.as_mut(),
            ];
            for piece in pieces.into_iter().flatten() {
                let from = if piece.in_link_text { &copied } else { &text };
                *piece = Piece::copied(from.get(piece.range()).unwrap_or(""), &mut link_text);
            }
        }
        self.link_text = link_text;
        self.lines = LineIndex::default();
        self.on_disk = Some(stamp);
    }

    /// Whether `other` (this file read again) shows the rest of the site exactly what this
    /// page does: the same front matter, headings, block ids, links, metadata, summary and
    /// steps, wherever they now stand in the text. Only its own page and the pages that
    /// embed it can then look different.
    pub fn same_face(&self, other: &ParsedPage) -> bool {
        let same_link = |a: &RawLink, b: &RawLink| {
            a.syntax == b.syntax
                && a.section == b.section
                && self.target(a) == other.target(b)
                && self.subpath(a) == other.subpath(b)
                && self.label(a) == other.label(b)
                && self.note(a) == other.note(b)
        };
        let same_heading =
            |a: &Heading, b: &Heading| a.level == b.level && a.text == b.text && a.slug == b.slug;
        // Lists of the same length, alike item by item.
        fn alike<T>(a: &[T], b: &[T], same: impl Fn(&T, &T) -> bool) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        self.path == other.path
            && self.front == other.front
            && self.title_span == other.title_span
            && self.title_width == other.title_width
            && alike(&self.headings, &other.headings, same_heading)
            && alike(&self.block_ids, &other.block_ids, |a, b| a.id == b.id)
            && alike(&self.links, &other.links, same_link)
            && alike(&self.metadata, &other.metadata, |a, b| {
                a.key == b.key && a.value == b.value
            })
            && self.parent_technique == other.parent_technique
            && self.summary == other.summary
            && self.steps == other.steps
    }

    /// The target of one of this page's links, as written.
    pub fn target(&self, link: &RawLink) -> &str {
        self.piece(link.target)
    }

    /// What followed `#` in one of this page's links.
    pub fn subpath(&self, link: &RawLink) -> Option<&str> {
        link.subpath.map(|p| self.piece(p))
    }

    /// The label after `|` of one of this page's wiki links.
    pub fn label(&self, link: &RawLink) -> Option<&str> {
        link.label.map(|p| self.piece(p))
    }

    /// The use text of one of this page's relation entries.
    pub fn note(&self, link: &RawLink) -> Option<&str> {
        link.note.map(|p| self.piece(p))
    }
}

/// Larger files are not read as pages: link positions are kept as 32-bit offsets, and no
/// real page comes near this.
pub const MAX_PAGE_BYTES: usize = 1 << 30;

/// What a load keeps of each page's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    /// Every text with its line index: what rendering needs.
    Keep,
    /// Only the parts of links (see [`ParsedPage::on_disk`]): what resolving and checking
    /// need. Texts are nearly half the memory of a check (~470 MB at 100k pages), and
    /// touching fresh memory is a large part of its time; a report reads again only the few
    /// pages its diagnostics point into.
    LinksOnly,
}

/// A file's size and modification time when it was read, to tell whether it changed since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    fn of(metadata: &std::fs::Metadata) -> FileStamp {
        FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// Everything read from a content root.
#[derive(Debug)]
pub struct Vault {
    pub root: PathBuf,
    /// Sorted by path.
    /// Boxed: the lists of pages are moved and reordered, and a page is over 500 bytes.
    #[allow(clippy::vec_box)]
    pub pages: Vec<Box<ParsedPage>>,
    /// Other files (images, attachments), relative paths, sorted.
    pub assets: Vec<String>,
    /// Files that are not published, with why (relative paths, sorted): those the settings
    /// exclude (never read), and attachments that can run script when the settings do not
    /// allow them. Only named when a link leads to one.
    pub withheld: Vec<(String, String)>,
    /// Attachments that can run script when opened (relative paths, sorted), with why, and
    /// whether the settings publish them anyway.
    pub active: Vec<(String, String, bool)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads and parses every page under `root` that `exclude` leaves in, with the words of
/// `vocabulary`, keeping what `texts` says of their texts.
pub fn load(
    root: &Path,
    vocabulary: &Vocabulary,
    exclude: &Exclude,
    publish_active: bool,
    texts: Texts,
) -> Result<Vault> {
    let canonical_root = root
        .canonicalize()
        .map_err(|e| Error::io("cannot open content root", root, e))?;
    if !canonical_root.is_dir() {
        return Err(Error::NotAFolder(root.to_path_buf()));
    }
    // The walk runs on its own thread and hands pages to the parsing threads as it finds
    // them, so reading and parsing start at once instead of after the whole walk. Pages go in
    // batches of a few folders, which hold those folders open; the queue is bounded because
    // the number of open files is.
    let (found, batches) = std::sync::mpsc::sync_channel::<Vec<FoundPage>>(16);
    let (walked, parsed) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| walk(&canonical_root, exclude, publish_active, found));
        let parsed: Vec<(Box<ParsedPage>, Vec<Diagnostic>)> = batches
            .into_iter()
            .par_bridge()
            .flat_map_iter(|batch| {
                batch
                    .into_iter()
                    .map(|page| read_page(&canonical_root, &page, vocabulary, texts))
            })
            .collect();
        (walker.join(), parsed)
    });
    let Walked {
        assets,
        withheld,
        active,
        mut diagnostics,
    } = match walked {
        Ok(walked) => walked,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    // Pages are boxed, so sorting moves pointers, not pages.
    let mut parsed = parsed;
    parsed.par_sort_unstable_by(|a, b| a.0.path.cmp(&b.0.path));
    // Maps a list into one of smaller items in its own allocation.
    let pages: Vec<Box<ParsedPage>> = parsed
        .into_iter()
        .map(|(page, mut found)| {
            diagnostics.append(&mut found);
            page
        })
        .collect();
    Ok(Vault {
        root: canonical_root,
        pages,
        assets,
        withheld,
        active,
        diagnostics,
    })
}

/// Reads and parses the page at `rel` under `root` (canonical) again, keeping its text, with
/// the problems found in it.
pub fn read_one(
    root: &Path,
    rel: &str,
    vocabulary: &Vocabulary,
) -> (Box<ParsedPage>, Vec<Diagnostic>) {
    let page = FoundPage {
        rel: rel.to_string(),
        #[cfg(unix)]
        in_folder: None,
    };
    read_page(root, &page, vocabulary, Texts::Keep)
}

/// A page the walk found: its path relative to the root, and where it can, a handle on its
/// folder and its file name, to open it relative to that folder. Opening by full path walks
/// every folder of the path again: about half the kernel's cost of opening 100k pages.
struct FoundPage {
    rel: String,
    #[cfg(unix)]
    in_folder: Option<(Folder, std::ffi::OsString)>,
}

#[cfg(unix)]
type Folder = std::sync::Arc<FolderHandle>;

/// Folder handles held by walks at once, in the whole process: the limit on open files is
/// the process's, and several vaults may load at once.
#[cfg(unix)]
static OPEN_FOLDERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An open folder, counted in [`OPEN_FOLDERS`] while it lives.
#[cfg(unix)]
struct FolderHandle(std::os::fd::OwnedFd);

#[cfg(unix)]
impl Drop for FolderHandle {
    fn drop(&mut self) {
        OPEN_FOLDERS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for FolderHandle {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// How many folder handles the walks may hold: a quarter of the limit on open files, so
/// that pages being read, the walk's own handles and the rest of the process always have
/// room. Past it, pages open by full path, which only costs time.
#[cfg(unix)]
fn folder_budget() -> usize {
    static BUDGET: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BUDGET.get_or_init(|| {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        limit.map_or(1024, |n| usize::try_from(n / 4).unwrap_or(1024).min(1024))
    })
}

/// Opens a folder for use as the base of relative opens: by name inside `parent` when that
/// is open, else by full path. `None` when it cannot be opened or the budget is spent.
#[cfg(unix)]
fn open_folder(parent: Option<&Folder>, entry: &walkdir::DirEntry) -> Option<Folder> {
    use rustix::fs::{Mode, OFlags, CWD};
    use std::sync::atomic::Ordering::Relaxed;
    if OPEN_FOLDERS.fetch_add(1, Relaxed) >= folder_budget() {
        OPEN_FOLDERS.fetch_sub(1, Relaxed);
        return None;
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let opened = match parent {
        Some(parent) => rustix::fs::openat(parent, entry.file_name(), flags, Mode::empty()),
        None => rustix::fs::openat(CWD, entry.path(), flags, Mode::empty()),
    };
    match opened {
        Ok(fd) => Some(std::sync::Arc::new(FolderHandle(fd))),
        Err(_) => {
            OPEN_FOLDERS.fetch_sub(1, Relaxed);
            None
        }
    }
}

/// The open folder holding an entry at `depth` of the walk, if it could be opened.
#[cfg(unix)]
fn parent_folder(folders: &[Option<Folder>], depth: usize) -> Option<Folder> {
    folders.get(depth.checked_sub(1)?)?.clone()
}

#[cfg(unix)]
fn same_folder(a: &FoundPage, b: &FoundPage) -> bool {
    match (&a.in_folder, &b.in_folder) {
        (Some((a, _)), Some((b, _))) => std::sync::Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Opens a page: by name in its folder where the walk kept one open, else by full path.
fn open_page(root: &Path, page: &FoundPage) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    if let Some((folder, name)) = &page.in_folder {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        return Ok(rustix::fs::openat(folder, name, flags, Mode::empty())?.into());
    }
    std::fs::File::open(root.join(&page.rel))
}

/// Pages per batch: enough to make sending cheap, few enough to spread a large folder over
/// all threads.
const BATCH_PAGES: usize = 32;

/// Folders per batch. Vaults hold a few pages per folder (seven on average in the benchmark
/// corpus), so batches of one folder each meant a send and a wake-up of a parsing thread for
/// every few pages. The 16 batches the queue holds keep at most 128 folders open; the
/// folder budget bounds the rest.
const BATCH_FOLDERS: usize = 8;

/// Sends the pages to `pages` in batches of a few folders as they are found, and returns the
/// other files (sorted) and the walk's diagnostics. Dot folders and dot files are skipped, as
/// Obsidian does; a symlink is followed only while it stays inside the root.
fn walk(
    root: &Path,
    exclude: &Exclude,
    publish_active: bool,
    pages: SyncSender<Vec<FoundPage>>,
) -> Walked {
    let mut diagnostics = Vec::new();
    let mut assets = Vec::new();
    let mut withheld = Vec::new();
    let mut active = Vec::new();
    let excluded_why = format!(
        "excluded by the `exclude` setting in `{}`",
        exclude.source()
    );
    // The depth of the excluded folder the walk is in, if any: all below it is excluded.
    let mut excluded_from: Option<usize> = None;
    let mut batch: Vec<FoundPage> = Vec::new();
    #[cfg(unix)]
    let mut batch_folders = 0;
    // A send fails only when the parsing threads are gone (one panicked); the walk then
    // goes on unheard, and its caller re-raises the panic.
    let send = |batch: &mut Vec<FoundPage>| {
        if !batch.is_empty() {
            let _ = pages.send(std::mem::replace(batch, Vec::with_capacity(BATCH_PAGES)));
        }
    };
    // The open folder at each depth of the walk: the last one entered, so the parent of
    // whatever comes next one level below it.
    #[cfg(unix)]
    let mut folders: Vec<Option<Folder>> = Vec::new();
    // Unsorted: pages are sorted once parsed and assets at the end, and diagnostics are
    // sorted by what they say; sorting every folder cost the walk ~10% of its time.
    let mut entries = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().as_encoded_bytes().starts_with(b"."));
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| relative(root, p)).unwrap_or_default();
                // What cannot be read in an excluded folder was not going to be read.
                let inside_excluded = excluded_from.is_some_and(|from| e.depth() > from)
                    || (!exclude.is_empty() && exclude.excludes(&path, true));
                if inside_excluded {
                    continue;
                }
                diagnostics.push(Diagnostic::new(
                    Code::UnreadableFile,
                    &path,
                    Span::new(1, 1),
                    1,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        let depth = entry.depth();
        if excluded_from.is_some_and(|from| depth <= from) {
            excluded_from = None;
        }
        let is_dir = entry.file_type().is_dir();
        let is_excluded = excluded_from.is_some()
            || (depth > 0
                && !exclude.is_empty()
                && exclude.excludes(&relative(root, entry.path()), is_dir));
        if entry.path_is_symlink() {
            let escapes = entry
                .path()
                .canonicalize()
                .map_or(true, |target| !target.starts_with(root));
            if escapes && is_excluded {
                if is_dir {
                    entries.skip_current_dir();
                }
                continue;
            }
            if escapes {
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnreadableFile,
                        &relative(root, entry.path()),
                        Span::new(1, 1),
                        1,
                        "symlink leads out of the content root; skipped".into(),
                    )
                    .with_help("atlas-kb reads nothing outside the content root"),
                );
                if entry.file_type().is_dir() {
                    // Walking with `follow_links` would otherwise descend into it next.
                    entries.skip_current_dir();
                }
                continue;
            }
        }
        if is_excluded {
            // Listed so that a link into it can say why it finds nothing; never read.
            if is_dir {
                excluded_from.get_or_insert(depth);
                #[cfg(unix)]
                {
                    folders.truncate(depth);
                    folders.push(None);
                }
            } else if entry.file_type().is_file() {
                withheld.push((relative(root, entry.path()), excluded_why.clone()));
            }
            continue;
        }
        #[cfg(unix)]
        if is_dir {
            let opened = open_folder(parent_folder(&folders, depth).as_ref(), &entry);
            folders.truncate(depth);
            folders.push(opened);
            continue;
        }
        if !entry.file_type().is_file() {
            // A FIFO, a device or a socket: reading one could block or never end.
            diagnostics.push(
                Diagnostic::new(
                    Code::UnreadableFile,
                    &relative(root, entry.path()),
                    Span::new(1, 1),
                    1,
                    format!("{} is not a regular file; skipped", special_kind(&entry)),
                )
                .at_level(crate::diagnostic::Severity::Warning),
            );
            continue;
        }
        let rel = relative(root, entry.path());
        let is_page = entry
            .path()
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("md"));
        if is_page {
            let page = FoundPage {
                rel,
                #[cfg(unix)]
                in_folder: parent_folder(&folders, entry.depth())
                    .map(|folder| (folder, entry.file_name().to_os_string())),
            };
            // A batch holds the pages of at most `BATCH_FOLDERS` folders, and so keeps at
            // most that many open.
            #[cfg(unix)]
            if batch.last().is_none_or(|last| !same_folder(last, &page)) {
                if batch_folders == BATCH_FOLDERS {
                    send(&mut batch);
                    batch_folders = 0;
                }
                batch_folders += 1;
            }
            batch.push(page);
            if batch.len() >= BATCH_PAGES {
                send(&mut batch);
                #[cfg(unix)]
                {
                    batch_folders = 0;
                }
            }
        } else {
            match asset::active(entry.path()) {
                Ok(None) => assets.push(rel),
                Ok(Some(why)) => {
                    if publish_active {
                        assets.push(rel.clone());
                    } else {
                        let withheld_why = format!(
                            "not published: {why} (`allow_active_assets` under `[build]` in atlas-kb.toml publishes it)"
                        );
                        withheld.push((rel.clone(), withheld_why));
                    }
                    active.push((rel, why, publish_active));
                }
                // Reported, and left out of the site rather than failing the build.
                Err(e) => diagnostics.push(Diagnostic::new(
                    Code::UnreadableFile,
                    &rel,
                    Span::new(1, 1),
                    1,
                    format!("cannot read file: {e}; it is not published"),
                )),
            }
        }
    }
    send(&mut batch);
    assets.sort();
    withheld.sort();
    active.sort();
    Walked {
        assets,
        withheld,
        active,
        diagnostics,
    }
}

/// What kind of file that is not a regular file an entry is, in words.
fn special_kind(entry: &walkdir::DirEntry) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = entry.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    let _ = entry;
    "this"
}

/// What the walk found besides pages (which it sends as it goes).
struct Walked {
    /// Other files, sorted.
    assets: Vec<String>,
    /// Files not published, with why, sorted.
    withheld: Vec<(String, String)>,
    /// Attachments that can run script, with why and whether published, sorted.
    active: Vec<(String, String, bool)>,
    diagnostics: Vec<Diagnostic>,
}

fn relative(root: &Path, path: &Path) -> String {
    // Nearly always: `root/` and a UTF-8 rest, compared as bytes rather than components.
    if std::path::MAIN_SEPARATOR == '/' {
        let rest = path
            .as_os_str()
            .as_encoded_bytes()
            .strip_prefix(root.as_os_str().as_encoded_bytes())
            .and_then(|rest| rest.strip_prefix(b"/"))
            .and_then(|rest| std::str::from_utf8(rest).ok());
        if let Some(rest) = rest {
            return rest.to_string();
        }
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    // Nearly always: a UTF-8 path whose separator is already `/`.
    if let Some(rel) = rel.to_str().filter(|_| std::path::MAIN_SEPARATOR == '/') {
        return rel.to_string();
    }
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_page(
    root: &Path,
    page: &FoundPage,
    vocabulary: &Vocabulary,
    texts: Texts,
) -> (Box<ParsedPage>, Vec<Diagnostic>) {
    let rel = page.rel.as_str();
    let mut diagnostics = Vec::new();
    let (text, stamp) = match open_page(root, page).and_then(read_file) {
        Ok((bytes, stamp)) => {
            let (text, valid_up_to) = decode(bytes);
            if let Some(valid) = valid_up_to {
                let prefix = &text[..valid];
                let span = LineIndex::new(prefix).span(prefix, prefix.len());
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnreadableFile,
                        rel,
                        span,
                        1,
                        "file is not valid UTF-8".into(),
                    )
                    .with_help(
                        "save the file as UTF-8; the page is read with the bad bytes replaced",
                    ),
                );
            }
            (text, stamp)
        }
        Err(e) => {
            diagnostics.push(Diagnostic::new(
                Code::UnreadableFile,
                rel,
                Span::new(1, 1),
                1,
                format!("cannot read file: {e}"),
            ));
            (String::new(), None)
        }
    };
    let mut page = parse_page(rel, text, vocabulary, &mut diagnostics);
    // A file whose metadata could not be read keeps its text: it could not be told unchanged.
    if let (Texts::LinksOnly, Some(stamp)) = (texts, stamp) {
        page.leave_text_on_disk(stamp);
    }
    (Box::new(page), diagnostics)
}

/// A page file's text: its bytes as UTF-8, any invalid sequence replaced, and where the
/// first invalid one was.
fn decode(bytes: Vec<u8>) -> (String, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some(valid),
            )
        }
    }
}

/// The text of a page whose load left it on disk, read again as the load read it; `None`
/// when the file cannot be read or changed since (another size or modification time).
pub fn read_again(root: &Path, page: &ParsedPage) -> Option<String> {
    let stamp = page.on_disk?;
    let file = std::fs::File::open(root.join(&page.path)).ok()?;
    let (bytes, now) = read_file(file).ok()?;
    if now != Some(stamp) {
        return None;
    }
    Some(normalize(&page.path, decode(bytes).0, &mut Vec::new()))
}

/// A page's text: the one it keeps, or, left on disk, read again from `root` (`None` when
/// the file changed since it was loaded).
pub fn page_text<'a>(root: &Path, page: &'a ParsedPage) -> Option<std::borrow::Cow<'a, str>> {
    match page.on_disk {
        None => Some(std::borrow::Cow::Borrowed(&page.text)),
        Some(_) => read_again(root, page).map(std::borrow::Cow::Owned),
    }
}

/// The bytes of a file, in one `read` where the file is as long as its metadata says:
/// `fs::read` makes a second `read` to see the end, one more system call per page.
fn read_file(mut file: std::fs::File) -> std::io::Result<(Vec<u8>, Option<FileStamp>)> {
    use std::io::Read;
    let stamp = file.metadata().ok().map(|m| FileStamp::of(&m));
    let size = stamp.map_or(0, |s| s.len);
    let size = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .min(MAX_PAGE_BYTES + 1);
    let mut bytes = Vec::new();
    // Room for one byte more than the size: a file that grew since shows it by filling it.
    bytes
        .try_reserve_exact(size.saturating_add(1))
        .map_err(std::io::Error::other)?;
    while bytes.len() < size {
        let start = bytes.len();
        bytes.resize(bytes.capacity(), 0);
        match file.read(&mut bytes[start..]) {
            Ok(0) => {
                bytes.truncate(start);
                return Ok((bytes, stamp));
            }
            Ok(n) => bytes.truncate(start + n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => bytes.truncate(start),
            Err(e) => return Err(e),
        }
    }
    if bytes.len() > size || size == 0 {
        // Longer than its metadata said (or a size the file system does not report): read on.
        file.read_to_end(&mut bytes)?;
    }
    Ok((bytes, stamp))
}

/// A page's text as it is parsed: empty past the size limit (reported), without a BOM, with
/// CRLF line ends made LF.
fn normalize(rel: &str, text: String, diagnostics: &mut Vec<Diagnostic>) -> String {
    let text = if text.len() > MAX_PAGE_BYTES {
        diagnostics.push(Diagnostic::new(
            Code::UnreadableFile,
            rel,
            Span::new(1, 1),
            1,
            format!(
                "file is too large to read as a page ({} bytes; the limit is {MAX_PAGE_BYTES})",
                text.len()
            ),
        ));
        String::new()
    } else {
        text
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

/// Parses one page's text. Problems go to `diagnostics`; a page always comes back.
pub fn parse_page(
    rel: &str,
    text: String,
    vocabulary: &Vocabulary,
    diagnostics: &mut Vec<Diagnostic>,
) -> ParsedPage {
    let text = normalize(rel, text, diagnostics);
    let lines = LineIndex::new(&text);
    let mut link_text = String::new();
    let (front, body_start, front_links, title_span) = match front_matter::split(&text, rel) {
        Ok(Some(split)) => {
            let front = front_matter::parse(&text, &split, &lines, rel, diagnostics);
            let (links, title_span) =
                front_matter_links(&text, &split, &lines, rel, &mut link_text, diagnostics);
            (front, split.body_start, links, title_span)
        }
        Ok(None) => (FrontMatter::default(), 0, Vec::new(), None),
        Err(d) => {
            diagnostics.push(d);
            (FrontMatter::default(), 0, Vec::new(), None)
        }
    };
    let title_width = title_span
        .and_then(|s| lines.line(&text, s.line))
        .map_or(1, |l| l.chars().count());
    let scanned = scan::scan_body(
        &text,
        body_start,
        &lines,
        rel,
        vocabulary,
        &mut link_text,
        diagnostics,
    );
    // Inline `#tags` are the page's tags as much as those of its front matter.
    let mut front = front;
    for tag in scanned.tags {
        if !front.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            front.tags.push(tag);
        }
    }
    let front_count = front_links.len();
    // Front matter links come first; most pages have none, and then the body's list is kept.
    let links = if front_links.is_empty() {
        scanned.links
    } else {
        let mut links = front_links;
        links.extend(scanned.links);
        links
    };
    ParsedPage {
        path: rel.to_string(),
        text,
        lines,
        body_start,
        front,
        title_span,
        title_width,
        headings: scanned.headings,
        block_ids: scanned.block_ids,
        links,
        metadata: scanned.metadata,
        parent_technique: scanned.parent_technique,
        summary: scanned.summary,
        steps: scanned
            .steps
            .into_iter()
            .map(|s| s.shifted(front_count))
            .collect(),
        comments: scanned.comments,
        link_text,
        on_disk: None,
    }
}

/// In front matter only a quoted value that is exactly one wiki link is a link; an unquoted
/// `[[x]]` is a YAML nested list and is reported. Also finds the `title:` line.
fn front_matter_links(
    text: &str,
    split: &front_matter::Split,
    lines: &LineIndex,
    rel: &str,
    link_text: &mut String,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<RawLink>, Option<Span>) {
    let mut links = Vec::new();
    let mut title_span = None;
    let mut offset = split.yaml.start;
    for line in text[split.yaml.clone()].split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let line = line.trim_end();
        if line.starts_with("title:") && title_span.is_none() {
            title_span = Some(lines.span(text, at));
        }
        // The value: after `key:` or a list dash.
        let value_start = if let Some(rest) = line.trim_start().strip_prefix("- ") {
            line.len() - rest.len()
        } else if let Some(colon) = line.find(": ") {
            colon + 2
        } else {
            continue;
        };
        let value = line[value_start..].trim_start();
        let value_at = at + line.len() - value.len();
        let quoted = value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"'))
                || (value.starts_with('\'') && value.ends_with('\'')));
        let inner = if quoted {
            &value[1..value.len() - 1]
        } else {
            value
        };
        let is_one_link = inner.starts_with("[[")
            && inner.ends_with("]]")
            && !inner[2..inner.len() - 2].contains("]]")
            && inner.len() > 4;
        if !is_one_link {
            continue;
        }
        let start = if quoted { value_at + 1 } else { value_at };
        let width = inner.chars().count();
        if !quoted {
            diagnostics.push(
                Diagnostic::new(
                    Code::MalformedLink,
                    rel,
                    lines.span(text, start),
                    width,
                    "unquoted wiki link in front matter is a YAML nested list, not a link".into(),
                )
                .with_help(format!("quote it: \"{inner}\"")),
            );
            continue;
        }
        let content = &inner[2..inner.len() - 2];
        let (target, label) = match content.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (content, None),
        };
        let (target, subpath) = match target.split_once('#') {
            Some((t, s)) => (t, Some(s)),
            None => (target, None),
        };
        let pieces = (
            Piece::of(text, target, link_text),
            subpath.map(|s| Piece::of(text, s, link_text)),
            label.map(|l| Piece::of(text, l, link_text)),
        );
        links.push(RawLink::new(
            LinkSyntax::FrontMatter,
            pieces,
            lines.span(text, start),
            width,
            start..start + inner.len(),
        ));
    }
    (links, title_span)
}
