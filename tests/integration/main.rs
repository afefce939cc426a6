//! The one integration-test binary: each module drives the built `atlas-kb` binary over
//! fixture vaults in `tests/fixtures/` (and the real corpora in `../shared` when present).

mod check;
mod import;
mod support;
