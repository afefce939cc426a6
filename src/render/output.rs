//! Writing the site safely (DESIGN.md section 7): everything goes into a fresh temporary
//! folder beside the target, which then replaces the target in one rename. An existing target
//! is replaced only if an earlier build marked it as its own.
//!
//! A file whose bytes are the same as in the previous build is hard-linked from it instead of
//! written: the staging folder is still complete and fresh, but an unchanged rebuild creates
//! no new files, and removing the previous build then frees none. On some file systems
//! (ext4 without a journal, seen on the benchmark machine) creating files soon after many
//! were deleted is far slower than either, so this is most of a rebuild's cost.
//!
//! To know which files are the same without reading them all again, the marker lists the
//! digest and size of every file the build wrote (see [`Manifest`]). The list speaks only for
//! files unchanged since the marker was written; any other file is read and compared, so a
//! page edited by hand in the output is replaced by the next build.

use crate::error::{Error, Result};
use crate::timings::Timings;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file that marks a folder as a site atlas-kb built (and may replace).
pub const MARKER: &str = ".atlas-kb-build";

/// The marker's first line; the manifest follows it.
const MARKER_HEADER: &str =
    "This folder was written by atlas-kb build and is replaced by the next build.";

/// Refuses output folders whose replacement would destroy something that is not a build.
pub fn check_target(out: &Path, content_root: &Path) -> Result<PathBuf> {
    let refuse = |reason: &str| Error::UnsafeOutput {
        path: out.to_path_buf(),
        reason: reason.to_string(),
    };
    let cwd = std::env::current_dir().map_err(|e| Error::io("cannot read", ".", e))?;
    let absolute = normalize(&cwd.join(out));
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| normalize(p));
    let target = match absolute.canonicalize() {
        Ok(p) => p,
        Err(_) => absolute.clone(),
    };
    let root = real(content_root);
    if target.parent().is_none() {
        return Err(refuse("it is the file system root"));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        if real(&home) == target {
            return Err(refuse("it is the home folder"));
        }
    }
    if target == root || target.starts_with(&root) {
        return Err(refuse("it is inside the content root"));
    }
    if root.starts_with(&target) {
        return Err(refuse("it holds the content root"));
    }
    if real(&cwd).starts_with(&target) {
        return Err(refuse("it holds the current (project) folder"));
    }
    if target.exists() {
        if !target.is_dir() {
            return Err(refuse("it is a file, not a folder"));
        }
        let empty = std::fs::read_dir(&target)
            .map_err(|e| Error::io("cannot read", &target, e))?
            .next()
            .is_none();
        if !empty && !target.join(MARKER).is_file() {
            return Err(refuse(
                "it is not empty and was not written by atlas-kb build (no .atlas-kb-build file); remove it or choose another --out",
            ));
        }
    }
    Ok(target)
}

/// `a/./b/../c` -> `a/c` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// A fresh folder beside the target that the build writes into; `finish` marks it and swaps
/// it into place. Dropped unfinished (an error on the way), it is removed.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    /// The target, when it holds a previous build whose files may be reused.
    previous: Option<Previous>,
    /// Digest and size of each file written so far, for this build's marker.
    written: Mutex<Vec<(String, Digest)>>,
    parent: PathBuf,
    name: String,
    finished: bool,
}

/// A previous build in the target folder, and what its marker says it wrote.
struct Previous {
    dir: PathBuf,
    manifest: Manifest,
    /// When the marker was written: a file changed since is no longer what the manifest
    /// describes.
    marked: Option<Stamp>,
}

/// A 128-bit digest of a file's bytes, and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digest {
    hash: u128,
    len: u64,
}

impl Digest {
    fn of(bytes: &[u8]) -> Digest {
        Digest {
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
            len: bytes.len() as u64,
        }
    }
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

    /// The marker's text for `files`, sorted so that the same build gives the same bytes.
    fn text(mut files: Vec<(String, Digest)>) -> String {
        use std::fmt::Write;
        // Paths are unique: an unstable sort gives the one order there is.
        files.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let size: usize = files.iter().map(|(rel, _)| rel.len() + 56).sum();
        let mut text = String::with_capacity(MARKER_HEADER.len() + 1 + size);
        text.push_str(MARKER_HEADER);
        text.push('\n');
        for (rel, digest) in files {
            // A line per file: a name with a line break in it cannot be listed.
            if !rel.contains(['\n', '\r']) {
                // Writing to a String cannot fail.
                let _ = writeln!(text, "{:032x} {} {rel}", digest.hash, digest.len);
            }
        }
        text
    }
}

/// When a file last changed. The status-change time cannot be set back by any tool, and
/// writing, linking or renaming the file all move it on; the modification time survives a
/// copy that keeps times (`cp -a`), so a file edited and then copied still shows its edit.
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

impl Staging {
    /// Creates the staging folder with every folder the site needs, each created once.
    pub fn create(target: &Path, folders: &[&str]) -> Result<Staging> {
        let parent = target.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| Error::io("cannot create", &parent, e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "site".into());
        let dir = parent.join(format!(".{name}.atlas-kb-tmp-{}", std::process::id()));
        if dir.exists() {
            remove_tree(&dir).map_err(|e| Error::io("cannot remove", &dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        // `check_target` let through only an empty folder or a marked build.
        let marker = target.join(MARKER);
        let previous = marker.is_file().then(|| Previous {
            dir: target.to_path_buf(),
            manifest: Manifest::parse(&std::fs::read_to_string(&marker).unwrap_or_default()),
            marked: std::fs::symlink_metadata(&marker)
                .ok()
                .and_then(|m| Stamp::of(&m)),
        });
        let staging = Staging {
            dir,
            target: target.to_path_buf(),
            previous,
            written: Mutex::new(Vec::new()),
            parent,
            name,
            finished: false,
        };
        // In parallel: creating folders is file-system latency, which threads overlap. A
        // folder whose parent another thread has not made yet makes the parent itself;
        // `create_dir_all` accepts a folder that appears meanwhile.
        folders.par_iter().try_for_each(|folder| {
            let path = staging.dir.join(folder);
            std::fs::create_dir_all(&path).map_err(|e| Error::io("cannot create", &path, e))
        })?;
        Ok(staging)
    }

    /// Writes one file at `rel`, a `/`-separated path whose folder exists already, or links
    /// the previous build's file there if it holds exactly these bytes.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let file = self.dir.join(rel);
        let digest = Digest::of(bytes);
        let reused = self.previous.as_ref().is_some_and(|previous| {
            let old = previous.dir.join(rel);
            previous.holds(rel, &old, digest, bytes) && std::fs::hard_link(&old, &file).is_ok()
        });
        if !reused {
            std::fs::write(&file, bytes).map_err(|e| Error::io("cannot write", &file, e))?;
        }
        // Only a poisoned lock (a panic elsewhere) fails here; the file then goes unlisted.
        if let Ok(mut written) = self.written.lock() {
            written.push((rel.to_string(), digest));
        }
        Ok(())
    }

    /// Copies a file from the content root to `rel`.
    /// Read whole rather than copied by the file system, so that the marker lists it and
    /// the next build can reuse it.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<()> {
        let bytes = std::fs::read(from).map_err(|e| Error::io("cannot copy", from, e))?;
        self.write(rel, &bytes)
    }

    /// Marks the folder as a build and swaps it in for the target.
    pub fn finish(mut self, timings: &mut Timings) -> Result<()> {
        let marker = self.dir.join(MARKER);
        let written = match self.written.lock() {
            Ok(mut written) => std::mem::take(&mut *written),
            Err(_) => Vec::new(),
        };
        std::fs::write(&marker, Manifest::text(written))
            .map_err(|e| Error::io("cannot write", &marker, e))?;
        timings.mark("write");
        swap_into_place(&self.dir, &self.target, &self.parent, &self.name)?;
        self.finished = true;
        timings.mark("swap");
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = remove_tree(&self.dir);
        }
    }
}

impl Previous {
    /// Whether `old`, the previous build's file at `rel`, is a regular file (not a symlink)
    /// holding exactly `bytes`. The manifest answers for a file unchanged since the marker
    /// was written; any other file is read and compared.
    fn holds(&self, rel: &str, old: &Path, digest: Digest, bytes: &[u8]) -> bool {
        let Ok(metadata) = std::fs::symlink_metadata(old) else {
            return false;
        };
        if !metadata.file_type().is_file() || metadata.len() != digest.len {
            return false;
        }
        let untouched = match (Stamp::of(&metadata), self.marked) {
            (Some(file), Some(marker)) => file.before(marker),
            _ => false,
        };
        match self.manifest.get(rel) {
            Some(listed) if untouched => listed == digest,
            _ => std::fs::read(old).is_ok_and(|old| old == bytes),
        }
    }
}

fn swap_into_place(staging: &Path, target: &Path, parent: &Path, name: &str) -> Result<()> {
    let old = parent.join(format!(".{name}.atlas-kb-old-{}", std::process::id()));
    let had_old = target.exists();
    if had_old {
        std::fs::rename(target, &old).map_err(|e| Error::io("cannot move aside", target, e))?;
    }
    if let Err(e) = std::fs::rename(staging, target) {
        if had_old {
            let _ = std::fs::rename(&old, target);
        }
        return Err(Error::io("cannot move into place", target, e));
    }
    if had_old {
        remove_tree(&old).map_err(|e| Error::io("cannot remove the previous build", &old, e))?;
    }
    Ok(())
}

/// Removes a folder tree, its sub-folders in parallel. A folder without sub-folders goes in
/// one `remove_dir_all`, which unlinks each file relative to the open folder instead of
/// walking its whole path again; a site keeps most files in such folders.
fn remove_tree(folder: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            folders.push(entry.path());
        } else {
            files.push(entry.path());
        }
    }
    if folders.is_empty() {
        return std::fs::remove_dir_all(folder);
    }
    folders.par_iter().try_for_each(|f| remove_tree(f))?;
    files.iter().try_for_each(std::fs::remove_file)?;
    std::fs::remove_dir(folder)
}
