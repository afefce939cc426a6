//! What a build can keep of the previous one in the target folder (see [`super::output`]).
//!
//! A file whose bytes are unchanged is the previous build's file, hard-linked into the new
//! one instead of written again. (Moving whole folders out of the previous build would be
//! cheaper, but it would change the live site before the new one is in place.)
//!
//! To know which files are unchanged without reading them all again, the marker lists the
//! digest and size of every file the build wrote (see [`Manifest`]). The list speaks only for
//! files unchanged since the marker was written; any other file is read and compared, so a
//! page edited by hand in the output does not survive the next build, and a file added there
//! is not carried into it.

use std::path::{Path, PathBuf};

/// A 128-bit digest of a file's bytes, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    hash: u128,
    len: u64,
}

impl Digest {
    pub(super) fn of(bytes: &[u8]) -> Digest {
        Digest {
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
            len: bytes.len() as u64,
        }
    }
}

/// One file of the new build.
pub(super) struct Written {
    /// `/`-separated, relative to the site root.
    pub rel: String,
    pub digest: Digest,
    /// The previous build's file at the same place holds exactly these bytes; nothing has
    /// been written for it yet.
    pub kept: bool,
}

/// The files a build wrote, from its marker: one `<digest> <size> <path>` line each, sorted
/// by path. A marker without the list (an older build's), or with lines it cannot read, only
/// means that more files are compared byte by byte.
struct Manifest(Vec<(String, Digest)>);

impl Manifest {
    fn parse(text: &str) -> Manifest {
        let mut files: Vec<(String, Digest)> = text
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut parts = line.splitn(3, ' ');
                let hash = u128::from_str_radix(parts.next()?, 16).ok()?;
                let len = parts.next()?.parse().ok()?;
                Some((parts.next()?.to_string(), Digest { hash, len }))
            })
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Manifest(files)
    }

    fn get(&self, rel: &str) -> Option<Digest> {
        let i = self.0.binary_search_by(|(p, _)| p.as_str().cmp(rel)).ok()?;
        Some(self.0[i].1)
    }
}

/// The marker's text: `header`, then a line for each of `files`, which are sorted by path,
/// so that the same build gives the same bytes.
pub(super) fn marker_text<'f>(
    header: &str,
    files: impl Iterator<Item = (&'f str, Digest)> + Clone,
) -> String {
    use std::fmt::Write;
    let size: usize = files.clone().map(|(rel, _)| rel.len() + 56).sum();
    let mut text = String::with_capacity(header.len() + 1 + size);
    text.push_str(header);
    text.push('\n');
    for (rel, Digest { hash, len }) in files {
        // A line per file: a name with a line break in it cannot be listed.
        if !rel.contains(['\n', '\r']) {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{hash:032x} {len} {rel}");
        }
    }
    text
}

/// When a file or folder last changed. The status-change time cannot be set back by any
/// tool, and writing, linking or renaming all move it on; the modification time survives a
/// copy that keeps times (`cp -a`), so a file edited and then copied still shows its edit.
/// A folder's times move when an entry is added, removed or renamed.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    changed: (i64, i64),
    modified: std::time::SystemTime,
}

impl Stamp {
    #[cfg(unix)]
    fn of(metadata: &std::fs::Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            modified: metadata.modified().ok()?,
        })
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Stamp> {
        None
    }

    /// Strictly before on both clocks: a change in the same clock tick as `other` does not
    /// count as before it.
    fn before(self, other: Stamp) -> bool {
        self.changed < other.changed && self.modified < other.modified
    }
}

/// A previous build in the target folder, and what its marker says it wrote.
pub(super) struct Previous {
    pub dir: PathBuf,
    manifest: Manifest,
    /// When the marker was written: what changed since is no longer what the manifest
    /// describes.
    marked: Option<Stamp>,
}

impl Previous {
    /// The build in `dir`, if its marker says there is one.
    pub(super) fn read(dir: &Path, marker: &str) -> Option<Previous> {
        let marker = dir.join(marker);
        let metadata = std::fs::symlink_metadata(&marker).ok()?;
        if !metadata.is_file() {
            return None;
        }
        Some(Previous {
            dir: dir.to_path_buf(),
            manifest: Manifest::parse(&std::fs::read_to_string(&marker).unwrap_or_default()),
            marked: Stamp::of(&metadata),
        })
    }

    /// Whether a file or folder of the previous build is unchanged since its marker.
    fn untouched(&self, metadata: &std::fs::Metadata) -> bool {
        match (Stamp::of(metadata), self.marked) {
            (Some(stamp), Some(marker)) => stamp.before(marker),
            _ => false,
        }
    }

    /// Whether the previous build's file at `rel` is a regular file (not a symlink) holding
    /// exactly `bytes`. The manifest answers for a file unchanged since the marker was
    /// written; any other file is read and compared.
    pub(super) fn holds(&self, rel: &str, digest: Digest, bytes: &[u8]) -> bool {
        let old = self.dir.join(rel);
        let Ok(metadata) = std::fs::symlink_metadata(&old) else {
            return false;
        };
        if !metadata.file_type().is_file() || metadata.len() != digest.len {
            return false;
        }
        match self.manifest.get(rel) {
            Some(listed) if self.untouched(&metadata) => listed == digest,
            _ => std::fs::read(&old).is_ok_and(|old| old == bytes),
        }
    }
}
