//! Writes a synthetic ATLAS knowledge base for benchmarks, deterministic from a seed:
//!
//! ```text
//! cargo run --release --example gen_corpus -- --pages N --out DIR [--seed S] [--hugo] [--planted FILE]
//!     [--one-sided K]
//! ```
//!
//! Same arguments, same bytes. `DIR` becomes the content root (`atlas-kb check --root DIR`);
//! with `--hugo`, a minimal Hugo site with the same pages under `DIR/content/` (`hugo -s DIR`).
//! `--planted FILE` writes the broken links the generator planted (about 1% of all links) as a
//! JSON list of `{path, line, column, target}`, the positions `check` must report.
//! `--one-sided K` makes each technique, mitigation and tactic list K more pages that do not
//! list it back: about `0.75 * K * N` asymmetric-relation warnings, to measure reports at scale.
//!
//! Mix: 5% tactics, 60% techniques (a third sub-techniques), 15% mitigations, 20% case studies.
//! IDs keep their ATLAS shapes at any size: each kind numbers `0000`..`9999`, sub-techniques
//! `.000`..`.999`. Past 10 000 parents the extra techniques become sub-techniques; tactics,
//! mitigations or case studies past 10 000 (from about 67k pages on for mitigations, 50k for
//! case studies) become plain notes without an ID under `notes/`. The full description is in
//! `tests/support/gen_corpus.rs`, which the `bench_corpus` test shares.

#[path = "../tests/support/gen_corpus.rs"]
mod gen;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: gen_corpus --pages N --out DIR [--seed S] [--hugo] [--planted FILE] [--one-sided K]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen_corpus: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut pages = None;
    let mut out = None;
    let mut seed = 1u64;
    let mut hugo = false;
    let mut planted = None;
    let mut one_sided = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--pages" => {
                let v = value("--pages")?;
                pages = Some(
                    v.parse::<usize>()
                        .map_err(|e| format!("--pages {v}: {e}"))?,
                );
            }
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--seed" => {
                let v = value("--seed")?;
                seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?;
            }
            "--planted" => planted = Some(PathBuf::from(value("--planted")?)),
            "--hugo" => hugo = true,
            "--one-sided" => {
                let v = value("--one-sided")?;
                one_sided = v.parse().map_err(|e| format!("--one-sided {v}: {e}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let pages = pages.ok_or("--pages is required")?;
    let out = out.ok_or("--out is required")?;
    let opts = gen::Options {
        pages,
        seed,
        hugo,
        one_sided,
    };
    let started = std::time::Instant::now();
    let corpus = gen::generate(&opts, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    if let Some(file) = planted {
        std::fs::write(&file, corpus.planted_json())
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    eprintln!(
        "wrote {} pages ({} tactics, {} techniques, {} sub-techniques, {} mitigations, \
         {} case studies, {} notes; {:.1} MB) into {} in {:.2}s; {} links, {} planted broken ({:.2}%)",
        corpus.pages(),
        corpus.tactics,
        corpus.techniques,
        corpus.sub_techniques,
        corpus.mitigations,
        corpus.case_studies,
        corpus.notes,
        corpus.bytes as f64 / 1e6,
        corpus.content.display(),
        started.elapsed().as_secs_f64(),
        corpus.links,
        corpus.planted.len(),
        100.0 * corpus.planted.len() as f64 / corpus.links.max(1) as f64,
    );
    Ok(())
}
