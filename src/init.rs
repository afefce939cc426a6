//! `atlas-kb init`: a new site folder's `atlas-kb.toml` (every key with its default and a
//! comment), and in an empty folder a starter page, so that `check` and `build` run at once.

use crate::config::{self, FILE_NAME};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `init` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The files written, in order.
    pub written: Vec<PathBuf>,
}

const HOME_PAGE: &str = "\
---
title: Our ATLAS knowledge base
---

# Our ATLAS knowledge base

This site is built by atlas-kb from the markdown pages in this folder. Start with
[[first-steps]], then add pages of your own.
";

const FIRST_STEPS: &str = "\
---
title: First steps
tags: [guide]
---

# First steps

- Import the official ATLAS data: `atlas-kb import ATLAS.yaml --out content`.
- Link pages by path or by name, as Obsidian does: `[[first-steps]]`, or by ATLAS route:
  `[Code Signing](/mitigations/AML.M0013)`.
- Check every link, anchor and relation with `atlas-kb check`; build the site with
  `atlas-kb build` and open `public/index.html`.
- Say how your vault is laid out in `atlas-kb.toml`.

Back to the [[index|home page]].
";

/// Writes the settings file into `dir` (creating it), and starter pages under `content/` if
/// `dir` was empty or missing. Nothing is written if any of those files exists.
pub(crate) fn init(dir: &Path) -> Result<InitReport> {
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(Error::io("cannot read folder", dir, e)),
    };
    // `init` with no folder works in `.`: its files are named without `./`.
    let dir = dir.strip_prefix(".").unwrap_or(dir);
    let mut files: Vec<(PathBuf, String)> = vec![(dir.join(FILE_NAME), config::annotated())];
    if empty {
        let content = dir.join("content");
        files.push((content.join("index.md"), HOME_PAGE.to_string()));
        files.push((content.join("first-steps.md"), FIRST_STEPS.to_string()));
    }
    if let Some((path, _)) = files.iter().find(|(path, _)| path.exists()) {
        return Err(Error::Usage(format!(
            "`{}` exists already; init changes nothing (remove it or edit it)",
            path.display()
        )));
    }
    let mut written = Vec::new();
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("cannot create folder", parent, e))?;
        }
        // `create_new`: a file that appeared since the check above is not replaced.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io("cannot create", &path, e))?;
        file.write_all(text.as_bytes())
            .map_err(|e| Error::io("cannot write", &path, e))?;
        written.push(path);
    }
    Ok(InitReport { written })
}
