//! `ATLAS.yaml` -> pages in the seed format.
