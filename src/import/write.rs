//! Writing pages under the output folder without harming anything that was there: a file
//! is replaced only when an earlier import wrote it (its front matter says so) or when the
//! user forces it; nothing is written through a symbolic link or outside the folder.

use super::pages::{Page, GENERATOR};
use crate::error::{Error, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// How many refused paths the error message lists before summing up the rest.
const LISTED: usize = 20;

/// Writes `pages` under `out`, after checking every target first (all or nothing for the
/// checks; a failure while writing leaves earlier pages written).
pub(crate) fn write_pages(out: &Path, pages: &[Page], force: bool) -> Result<()> {
    match fs::metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Import(format!(
                "output `{}` exists and is not a folder",
                out.display()
            )))
        }
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("inspect", out, e)),
    }

    let mut foreign: Vec<&str> = Vec::new();
    let mut blocked: Vec<String> = Vec::new();
    for page in pages {
        match inspect(out, &page.path)? {
            Target::Free | Target::Ours => {}
            Target::Foreign => foreign.push(&page.path),
            Target::Blocked(why) => blocked.push(why),
        }
    }
    if !blocked.is_empty() {
        blocked.sort();
        blocked.dedup();
        return Err(Error::Import(format!(
            "cannot write into `{}`:\n{}",
            out.display(),
            listing(&blocked)
        )));
    }
    if !foreign.is_empty() && !force {
        foreign.sort_unstable();
        return Err(Error::Import(format!(
            "import would overwrite {} file(s) in `{}` that it did not write (their front \
             matter has no `{GENERATOR}`); nothing was written. Move them away or pass \
             --force to replace them:\n{}",
            foreign.len(),
            out.display(),
            listing(&foreign)
        )));
    }

    for page in pages {
        write_one(&join(out, &page.path), page.content.as_bytes())?;
    }
    Ok(())
}

/// What is at a target path now.
enum Target {
    /// Nothing: the file (and maybe folders) will be created.
    Free,
    /// A file an earlier import wrote.
    Ours,
    /// A file import did not write.
    Foreign,
    /// Something no import may replace (a folder, a link, a file where a folder must go).
    Blocked(String),
}

/// `rel` is `/`-separated with components of `[a-z0-9-]` (and `.md`), so joining cannot
/// leave `out`; links inside `out` are refused below.
fn join(out: &Path, rel: &str) -> PathBuf {
    let mut p = out.to_path_buf();
    p.extend(rel.split('/'));
    p
}

fn inspect(out: &Path, rel: &str) -> Result<Target> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut path = out.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || *part == "." || *part == ".." {
            return Ok(Target::Blocked(format!(
                "  {rel}: not a plain relative path"
            )));
        }
        path.push(part);
        let shown = parts[..=i].join("/");
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Target::Free),
            Err(e) => return Err(Error::io("inspect", &path, e)),
        };
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            if last {
                // Replacing a link replaces the link itself, never what it points to.
                return Ok(Target::Foreign);
            }
            return Ok(Target::Blocked(format!(
                "  {shown}: a symbolic link where import needs a plain folder"
            )));
        }
        if last {
            if meta.is_dir() {
                return Ok(Target::Blocked(format!(
                    "  {shown}: a folder where import writes a page"
                )));
            }
            let bytes = fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
            return Ok(if is_ours(&bytes) {
                Target::Ours
            } else {
                Target::Foreign
            });
        }
        if !meta.is_dir() {
            return Ok(Target::Blocked(format!(
                "  {shown}: a file where import needs a folder"
            )));
        }
    }
    Ok(Target::Free)
}

/// Whether the front matter of a page marks it as written by import.
pub(crate) fn is_ours(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    if lines.next().map(str::trim_end) != Some("---") {
        return false;
    }
    for line in lines {
        let line = line.trim_end();
        if line == "---" {
            return false;
        }
        if let Some(value) = line.strip_prefix("generator:") {
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if value == "atlas-kb import" {
                return true;
            }
        }
    }
    false
}

fn listing<S: AsRef<str>>(items: &[S]) -> String {
    let mut lines: Vec<String> = items
        .iter()
        .take(LISTED)
        .map(|s| {
            let s = s.as_ref();
            if s.starts_with("  ") {
                s.to_string()
            } else {
                format!("  {s}")
            }
        })
        .collect();
    if items.len() > LISTED {
        lines.push(format!("  and {} more", items.len() - LISTED));
    }
    lines.join("\n")
}

/// Writes a temporary file beside the target, then renames it over the target. A file that
/// already has exactly these bytes is left alone.
fn write_one(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Ok(existing) = fs::symlink_metadata(path) {
        if existing.is_file() && fs::read(path).is_ok_and(|b| b == bytes) {
            return Ok(());
        }
    }
    let dir = path
        .parent()
        .ok_or_else(|| Error::Import(format!("`{}` has no parent folder", path.display())))?;
    fs::create_dir_all(dir).map_err(|e| Error::io("create folder", dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    if let Err(e) = fs::write(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io("rename into place", path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_must_be_in_the_front_matter() {
        assert!(is_ours(
            b"---\nid: x\ngenerator: atlas-kb import\n---\n# x\n"
        ));
        assert!(is_ours(b"---\r\ngenerator: \"atlas-kb import\"\r\n---\r\n"));
        assert!(!is_ours(b"---\nid: x\n---\ngenerator: atlas-kb import\n"));
        assert!(!is_ours(b"# x\ngenerator: atlas-kb import\n"));
        assert!(!is_ours(b"---\ngenerator: something else\n---\n"));
        assert!(!is_ours(&[0xff, 0xfe]));
    }

    #[test]
    fn long_listings_are_summed_up() {
        let items: Vec<String> = (0..23).map(|i| format!("f{i:02}.md")).collect();
        let text = listing(&items);
        assert!(text.contains("  f19.md"));
        assert!(!text.contains("f20.md"));
        assert!(text.ends_with("  and 3 more"));
    }
}
