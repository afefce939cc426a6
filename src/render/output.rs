//! Writing the site safely (DESIGN.md section 7): everything goes into a fresh temporary
//! folder beside the target, which then replaces the target in one rename. An existing target
//! is replaced only if an earlier build marked it as its own.
//!
//! What is unchanged since the previous build is kept rather than written again (see
//! [`super::reuse`]): the staging folder is still complete before the swap, but an unchanged
//! rebuild creates no new files and moves a handful of folders, and removing the previous
//! build is then almost free. On some file systems (ext4 without a journal, seen on the
//! benchmark machine) creating files soon after many were deleted is far slower than either.
//!
//! One departure from writing beside the target: folders kept whole are moved out of the
//! target just before the swap, so for the time those renames take (~0.1 s for 4,000 folders
//! on that machine) the old site lacks them. Any error after the first move returns them.

use super::reuse::{self, Digest, Previous, Written};
use crate::error::{Error, Result};
use crate::timings::Timings;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The target, when it holds a previous build whose files may be kept.
    previous: Option<Previous>,
    /// Each file written or kept so far, for this build's marker.
    written: Mutex<Vec<Written>>,
    folders: Folders,
    parent: PathBuf,
    name: String,
    finished: bool,
}

impl Staging {
    /// Creates the staging folder. `folders`, sorted, are all the folders the site needs;
    /// each is created when the first file is written into it, so that a folder kept whole
    /// from the previous build is not created only to be removed again.
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
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            // `check_target` let through only an empty folder or a marked build.
            previous: Previous::read(target, MARKER),
            written: Mutex::new(Vec::new()),
            folders: Folders::new(folders),
            parent,
            name,
            finished: false,
        })
    }

    /// Writes one file at `rel`, a `/`-separated path in one of the site's folders, unless
    /// the previous build's file there holds exactly these bytes: that one is kept (`finish`).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let digest = Digest::of(bytes);
        let kept = self
            .previous
            .as_ref()
            .is_some_and(|previous| previous.holds(rel, digest, bytes));
        if !kept {
            let file = self.dir.join(rel);
            self.folders.make(&self.dir, rel)?;
            std::fs::write(&file, bytes).map_err(|e| Error::io("cannot write", &file, e))?;
        }
        // Only a poisoned lock (a panic elsewhere) fails here; the file then goes unlisted.
        if let Ok(mut written) = self.written.lock() {
            written.push(Written {
                rel: rel.to_string(),
                digest,
                kept,
            });
        }
        Ok(())
    }

    /// Copies a file from the content root to `rel`.
    /// Read whole rather than copied by the file system, so that the marker lists it and
    /// the next build can keep it.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<()> {
        let bytes = std::fs::read(from).map_err(|e| Error::io("cannot copy", from, e))?;
        self.write(rel, &bytes)
    }

    /// Brings in the previous build's kept files, marks the folder as a build and swaps it
    /// in for the target.
    pub fn finish(mut self, timings: &mut Timings) -> Result<()> {
        let mut written = match self.written.lock() {
            Ok(mut written) => std::mem::take(&mut *written),
            Err(_) => Vec::new(),
        };
        written.par_sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        let whole = match &self.previous {
            Some(previous) => previous.whole_folders(&written),
            None => Vec::new(),
        };
        let whole_set: HashSet<&str> = whole.iter().map(String::as_str).collect();
        self.link_kept(&written, |rel| !inside(&whole_set, rel))?;
        let marker = self.dir.join(MARKER);
        std::fs::write(&marker, reuse::marker_text(MARKER_HEADER, &written))
            .map_err(|e| Error::io("cannot write", &marker, e))?;
        timings.mark("write");

        // From here to the swap, the target lacks the folders moved out of it: only renames
        // happen in between.
        let moved = self.move_whole(&whole, &written)?;
        match swap_into_place(&self.dir, &self.target, &self.parent, &self.name) {
            Ok(old) => {
                self.finished = true;
                timings.mark("swap");
                if let Some(old) = old {
                    remove_tree(&old)
                        .map_err(|e| Error::io("cannot remove the previous build", &old, e))?;
                }
            }
            Err(e) => {
                self.give_back(&moved);
                return Err(e);
            }
        }
        // The marker's time says until when the build alone changed the site, and moving
        // folders or removing the previous build's links changed some after it was written.
        // Failing to touch it only means that the next build trusts the list for fewer files.
        let _ = std::fs::File::options()
            .write(true)
            .open(self.target.join(MARKER))
            .and_then(|file| file.set_modified(std::time::SystemTime::now()));
        timings.mark("remove");
        Ok(())
    }

    /// Links the previous build's file for each kept file that `wanted` picks.
    fn link_kept(&self, written: &[Written], wanted: impl Fn(&str) -> bool + Sync) -> Result<()> {
        let Some(previous) = &self.previous else {
            return Ok(());
        };
        written
            .par_iter()
            .filter(|file| file.kept && wanted(&file.rel))
            .try_for_each(|file| {
                let (old, new) = (previous.dir.join(&file.rel), self.dir.join(&file.rel));
                self.folders.make(&self.dir, &file.rel)?;
                // Where links are not supported, a copy: the bytes are known to be right.
                std::fs::hard_link(&old, &new)
                    .or_else(|_| std::fs::copy(&old, &new).map(drop))
                    .map_err(|e| Error::io("cannot write", &new, e))
            })
    }

    /// Moves the folders the previous build holds whole into the staging folder; any that
    /// cannot be moved has its files linked instead. Returns the folders moved. This is the
    /// one step that changes the target before the swap; if the build fails after it,
    /// `give_back` returns them, so the target is as it was.
    fn move_whole(&self, whole: &[String], written: &[Written]) -> Result<Vec<String>> {
        let Some(previous) = &self.previous else {
            return Ok(Vec::new());
        };
        let (mut moved, mut unmoved) = (Vec::new(), HashSet::new());
        for folder in whole {
            let (from, to) = (previous.dir.join(folder), self.dir.join(folder));
            // Nothing was written below `to`, so it was not created; its parent may not be.
            let parent = to.parent().map_or(Ok(()), std::fs::create_dir_all);
            if parent.is_ok() && std::fs::rename(&from, &to).is_ok() {
                moved.push(folder.clone());
            } else {
                unmoved.insert(folder.as_str());
            }
        }
        if !unmoved.is_empty() {
            if let Err(e) = self.link_kept(written, |rel| inside(&unmoved, rel)) {
                self.give_back(&moved);
                return Err(e);
            }
        }
        Ok(moved)
    }

    /// Returns folders moved from the target by `move_whole`, last first.
    fn give_back(&self, moved: &[String]) {
        if let Some(previous) = &self.previous {
            for folder in moved.iter().rev() {
                let _ = std::fs::rename(self.dir.join(folder), previous.dir.join(folder));
            }
        }
    }
}

/// Whether `rel` lies below one of `folders`.
fn inside(folders: &HashSet<&str>, rel: &str) -> bool {
    rel.match_indices('/')
        .any(|(slash, _)| folders.contains(&rel[..slash]))
}

/// The site's folders, and which of them exist in the staging folder yet.
struct Folders {
    paths: Vec<String>,
    made: Vec<AtomicBool>,
}

impl Folders {
    fn new(sorted: &[&str]) -> Folders {
        Folders {
            paths: sorted.iter().map(|f| f.to_string()).collect(),
            made: sorted.iter().map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Creates the folder of `rel` under `dir` unless it was made already. Threads may race
    /// to create one folder, or a folder and its parent; `create_dir_all` accepts a folder
    /// that appears meanwhile.
    fn make(&self, dir: &Path, rel: &str) -> Result<()> {
        let Some(slash) = rel.rfind('/') else {
            return Ok(());
        };
        let folder = &rel[..slash];
        let known = self.paths.binary_search_by(|p| p.as_str().cmp(folder));
        if let Ok(i) = known {
            if self.made[i].load(Ordering::Relaxed) {
                return Ok(());
            }
        }
        let path = dir.join(folder);
        std::fs::create_dir_all(&path).map_err(|e| Error::io("cannot create", &path, e))?;
        if let Ok(i) = known {
            self.made[i].store(true, Ordering::Relaxed);
        }
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

/// Swaps the staging folder in for the target; returns where the previous build went, for
/// the caller to remove.
fn swap_into_place(
    staging: &Path,
    target: &Path,
    parent: &Path,
    name: &str,
) -> Result<Option<PathBuf>> {
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
    Ok(had_old.then_some(old))
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
