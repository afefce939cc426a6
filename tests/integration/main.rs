//! The one integration-test binary: each module drives the built `atlas-kb` binary (or the
//! library) over fixture vaults in `tests/fixtures/`, and over the real corpora in `../shared`
//! when present.

mod baseline;
mod bench_corpus;
mod browser;
mod build;
mod check;
mod formats;
mod import;
mod obsidian;
mod safety;
mod serve;
mod settings;
mod site;
mod support;
mod vocabulary;
