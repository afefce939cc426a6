//! Writing the site safely (DESIGN.md section 7): everything goes into a fresh temporary
//! folder beside the target, which then replaces the target in one rename. An existing target
//! is replaced only if an earlier build marked it as its own.
//!
//! A file whose bytes are the same as in the previous build is hard-linked from it instead of
//! written: the staging folder is still complete and fresh, but an unchanged rebuild creates
//! no new files, and removing the previous build then frees none. On some file systems
//! (ext4 without a journal, seen on the benchmark machine) creating files soon after many
//! were deleted is far slower than either, so this is most of a rebuild's cost.

use crate::error::{Error, Result};
use crate::timings::Timings;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a site atlas-kb built (and may replace).
pub const MARKER: &str = ".atlas-kb-build";

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
    previous: Option<PathBuf>,
    parent: PathBuf,
    name: String,
    finished: bool,
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
        let previous = target.join(MARKER).is_file().then(|| target.to_path_buf());
        let staging = Staging {
            dir,
            target: target.to_path_buf(),
            previous,
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
        if let Some(previous) = &self.previous {
            let old = previous.join(rel);
            if same_file_bytes(&old, bytes) && std::fs::hard_link(&old, &file).is_ok() {
                return Ok(());
            }
        }
        std::fs::write(&file, bytes).map_err(|e| Error::io("cannot write", &file, e))
    }

    /// Copies a file from the content root to `rel`.
    pub fn copy(&self, from: &Path, rel: &str) -> Result<()> {
        if self.previous.is_some() {
            let bytes = std::fs::read(from).map_err(|e| Error::io("cannot copy", from, e))?;
            return self.write(rel, &bytes);
        }
        std::fs::copy(from, self.dir.join(rel))
            .map(|_| ())
            .map_err(|e| Error::io("cannot copy", from, e))
    }

    /// Marks the folder as a build and swaps it in for the target.
    pub fn finish(mut self, timings: &mut Timings) -> Result<()> {
        let marker = self.dir.join(MARKER);
        std::fs::write(
            &marker,
            b"This folder was written by atlas-kb build and is replaced by the next build.\n",
        )
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

/// Whether `path` is a regular file (not a symlink) holding exactly `bytes`.
fn same_file_bytes(path: &Path, bytes: &[u8]) -> bool {
    let same_size = std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_file() && m.len() == bytes.len() as u64);
    same_size && std::fs::read(path).is_ok_and(|old| old == bytes)
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
