//! Writing the site safely (DESIGN.md section 7): everything goes into a fresh temporary
//! folder beside the target, which then takes the target's place in one atomic exchange
//! (`renameat2` with `RENAME_EXCHANGE`). An existing target is replaced only if an earlier
//! build marked it as its own. The live site is never changed before the exchange, so a
//! process killed at any instant leaves either the complete previous site or the complete
//! new one; the next build removes the staging and old folders such a kill leaves behind.
//!
//! What is unchanged since the previous build is kept rather than written again (see
//! [`super::reuse`]): an unchanged file is hard-linked from the previous build, never moved
//! out of it, so both sites stay whole until the exchange.

use super::reuse::{self, Digest, Previous, Written};
use crate::error::{Error, Result};
use crate::timings::Timings;
use rayon::prelude::*;
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
    let real = |p: &Path| resolve(p);
    // Symlinks anywhere in the existing part of the path are resolved before any rule
    // applies: `--out vault-link/site` is inside the vault.
    let target = resolve(&cwd.join(out));
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

/// `path` (absolute) with every symlink in its existing part resolved: its longest existing
/// ancestor made canonical, then the rest of its components, `..` taken lexically (nothing
/// below the existing part exists, so no symlink can be there).
fn resolve(path: &Path) -> PathBuf {
    let components: Vec<std::path::Component> = path.components().collect();
    for split in (0..=components.len()).rev() {
        let existing: PathBuf = components[..split].iter().collect();
        let Ok(mut resolved) = existing.canonicalize() else {
            continue;
        };
        for c in &components[split..] {
            match c {
                std::path::Component::ParentDir => {
                    resolved.pop();
                }
                std::path::Component::CurDir => {}
                c => resolved.push(c),
            }
        }
        return resolved;
    }
    path.to_path_buf()
}

/// In debug builds (what the tests run), `ATLAS_KB_STOP_AT=<step>` aborts the process at that
/// step of writing the site, as a kill would, so that a test can check what each instant
/// leaves. Release builds never read it.
fn stop_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("ATLAS_KB_STOP_AT").is_some_and(|at| at == step) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}

/// The folders a build puts beside its target (`.<name>.atlas-kb-tmp-<pid>` while staging,
/// `.<name>.atlas-kb-old-<pid>` for the previous build after the exchange), as (prefix).
fn sibling_prefixes(name: &str) -> [String; 2] {
    [
        format!(".{name}.atlas-kb-tmp-"),
        format!(".{name}.atlas-kb-old-"),
    ]
}

/// Removes what interrupted builds left beside the target: staging and old folders that
/// hold a build's marker and whose process is gone.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let prefixes = sibling_prefixes(name);
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(pid) = prefixes
            .iter()
            .find_map(|p| file_name.strip_prefix(p.as_str()))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let ours = std::fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file())
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
        if ours && pid != std::process::id() && !process_alive(pid) {
            let _ = remove_tree(&path);
        }
    }
}

/// Whether process `pid` is running (where that cannot be told: assumed so, and its folders
/// are left alone).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // Signal 0 tests for the process; a process of another user answers EPERM.
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            Err(e) => e != rustix::io::Errno::SRCH,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
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
        remove_leftovers(&parent, &name);
        let dir = parent.join(format!(
            "{}{}",
            sibling_prefixes(&name)[0],
            std::process::id()
        ));
        if dir.exists() {
            remove_tree(&dir).map_err(|e| Error::io("cannot remove", &dir, e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        // Marked at once, so that a later build knows to remove it if this one is killed.
        let marker = dir.join(MARKER);
        std::fs::write(&marker, MARKER_HEADER)
            .map_err(|e| Error::io("cannot write", &marker, e))?;
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
        stop_point("writing");
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
    /// in for the target. Returns every file of the site with its digest, sorted by path.
    pub fn finish(mut self, timings: &mut Timings) -> Result<Vec<(String, Digest)>> {
        let mut written = match self.written.lock() {
            Ok(mut written) => std::mem::take(&mut *written),
            Err(_) => Vec::new(),
        };
        written.par_sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        stop_point("written");
        self.link_kept(&written)?;
        stop_point("linked");
        let marker = self.dir.join(MARKER);
        std::fs::write(
            &marker,
            reuse::marker_text(
                MARKER_HEADER,
                written.iter().map(|w| (w.rel.as_str(), w.digest)),
            ),
        )
        .map_err(|e| Error::io("cannot write", &marker, e))?;
        timings.mark("write");
        stop_point("marked");

        let old = swap_into_place(&self.dir, &self.target, &self.parent, &self.name)?;
        self.finished = true;
        timings.mark("swap");
        stop_point("swapped");
        if let Some(old) = old {
            remove_tree(&old)
                .map_err(|e| Error::io("cannot remove the previous build", &old, e))?;
        }
        stop_point("removed");
        // The marker's time says until when the build alone changed the site, and removing
        // the previous build's links changed the link counts of kept files after it was
        // written. Failing to touch it only means that the next build trusts the list for
        // fewer files.
        let _ = std::fs::File::options()
            .write(true)
            .open(self.target.join(MARKER))
            .and_then(|file| file.set_modified(std::time::SystemTime::now()));
        timings.mark("remove");
        Ok(written.into_iter().map(|w| (w.rel, w.digest)).collect())
    }

    /// Links the previous build's file for each kept file.
    fn link_kept(&self, written: &[Written]) -> Result<()> {
        let Some(previous) = &self.previous else {
            return Ok(());
        };
        written
            .par_iter()
            .filter(|file| file.kept)
            .try_for_each(|file| {
                let (old, new) = (previous.dir.join(&file.rel), self.dir.join(&file.rel));
                self.folders.make(&self.dir, &file.rel)?;
                // Where links are not supported, a copy: the bytes are known to be right.
                std::fs::hard_link(&old, &new)
                    .or_else(|_| std::fs::copy(&old, &new).map(drop))
                    .map_err(|e| Error::io("cannot write", &new, e))
            })
    }
}

/// A built site changed in place, a few files at a time, by `serve` (which alone reads it):
/// each file is written beside its place and renamed into it, so that a request never gets
/// half a file, and the marker's list is kept true, so that the folder stays what a build
/// of the same content would leave.
pub struct InPlace {
    dir: PathBuf,
    /// Every file of the site with its digest.
    files: std::collections::BTreeMap<String, Digest>,
    /// Files written or removed since the marker was last written.
    changed: usize,
}

impl InPlace {
    /// The site in `dir`, whose files `finish` listed.
    pub fn new(dir: &Path, files: Vec<(String, Digest)>) -> InPlace {
        InPlace {
            dir: dir.to_path_buf(),
            files: files.into_iter().collect(),
            changed: 0,
        }
    }

    /// Writes `bytes` at `rel`, unless the file there holds them already.
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let digest = Digest::of(bytes);
        if self.files.get(rel) == Some(&digest) {
            return Ok(());
        }
        let file = self.dir.join(rel);
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let fresh = file.with_file_name(format!(".{name}.atlas-kb-new"));
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder).map_err(|e| Error::io("cannot create", folder, e))?;
        }
        std::fs::write(&fresh, bytes).map_err(|e| Error::io("cannot write", &fresh, e))?;
        std::fs::rename(&fresh, &file).map_err(|e| Error::io("cannot write", &file, e))?;
        self.files.insert(rel.to_string(), digest);
        self.changed += 1;
        Ok(())
    }

    /// Removes the file at `rel`.
    pub fn remove(&mut self, rel: &str) -> Result<()> {
        if self.files.remove(rel).is_some() {
            let file = self.dir.join(rel);
            std::fs::remove_file(&file).map_err(|e| Error::io("cannot remove", &file, e))?;
            self.changed += 1;
        }
        Ok(())
    }

    /// Removes every file but those in `keep`, and the folders that leaves empty.
    pub fn keep_only(&mut self, keep: &std::collections::HashSet<String>) -> Result<()> {
        let gone: Vec<String> = self
            .files
            .keys()
            .filter(|rel| !keep.contains(*rel))
            .cloned()
            .collect();
        for rel in gone {
            self.remove(&rel)?;
            // Up from the file, each folder it leaves empty (never the site's own).
            let mut folder = Path::new(&rel).parent();
            while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
                if std::fs::remove_dir(self.dir.join(f)).is_err() {
                    break;
                }
                folder = f.parent();
            }
        }
        Ok(())
    }

    /// Writes the marker again if any file changed; returns how many did.
    pub fn finish(&mut self) -> Result<usize> {
        let changed = std::mem::take(&mut self.changed);
        if changed > 0 {
            let files = self
                .files
                .iter()
                .map(|(rel, digest)| (rel.as_str(), *digest));
            let marker = self.dir.join(MARKER);
            std::fs::write(&marker, reuse::marker_text(MARKER_HEADER, files))
                .map_err(|e| Error::io("cannot write", &marker, e))?;
        }
        Ok(changed)
    }
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

/// Puts the staging folder in the target's place; returns where the previous build went, for
/// the caller to remove. Where the system can, the two are exchanged in one step, so the
/// target always holds a whole site; elsewhere the target is moved aside first, and for the
/// instant between the two renames there is none.
fn swap_into_place(
    staging: &Path,
    target: &Path,
    parent: &Path,
    name: &str,
) -> Result<Option<PathBuf>> {
    if !target.exists() {
        return std::fs::rename(staging, target)
            .map(|()| None)
            .map_err(|e| Error::io("cannot move into place", target, e));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            // The previous build now sits where the staging folder was: renamed to show it.
            let old = parent.join(format!(
                "{}{}",
                sibling_prefixes(name)[1],
                std::process::id()
            ));
            return Ok(Some(match std::fs::rename(staging, &old) {
                Ok(()) => old,
                Err(_) => staging.to_path_buf(),
            }));
        }
    }
    let old = parent.join(format!(
        "{}{}",
        sibling_prefixes(name)[1],
        std::process::id()
    ));
    std::fs::rename(target, &old).map_err(|e| Error::io("cannot move aside", target, e))?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&old, target);
        return Err(Error::io("cannot move into place", target, e));
    }
    Ok(Some(old))
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
