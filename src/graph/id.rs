//! ATLAS IDs (`AML.TA0005`, `AML.T0011`, `AML.T0011.000`, `AML.M0013`, `AML.CS0031`) and the
//! page kinds they imply.

pub use crate::vocabulary::PageKind;
use crate::vocabulary::{route_of, ID_PREFIXES};
use serde::Serialize;
use std::fmt;

/// A validated ATLAS ID, stored in its canonical upper-case form. Kept inline (at most 13
/// ASCII bytes, `AML.T0011.000`) rather than as a `String`: IDs are parsed from the label of
/// nearly every link, and the allocations were a large part of that cost. Unused bytes are
/// zero, so the derived order is the order of the text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AtlasId {
    bytes: [u8; ID_BYTES],
    len: u8,
}

const ID_BYTES: usize = 13;

impl AtlasId {
    /// Parses a whole string as an ID (case-insensitive).
    pub fn parse(s: &str) -> Option<AtlasId> {
        let (id, rest) = AtlasId::parse_prefix(s.trim())?;
        rest.is_empty().then_some(id)
    }

    /// Parses an ID at the start of `s` (`AML.T0011.000: Unsafe ...`), returning the rest.
    pub fn parse_prefix(s: &str) -> Option<(AtlasId, &str)> {
        let upper = s.get(..4)?;
        if !upper.eq_ignore_ascii_case("AML.") {
            return None;
        }
        let rest = &s[4..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let prefix = &rest[..letters];
        let kind = ID_PREFIXES
            .iter()
            .find(|(p, _)| prefix.eq_ignore_ascii_case(p))
            .map(|(_, kind)| *kind)?;
        let technique = kind == PageKind::Technique;
        let digits = rest[letters..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits != 4 {
            return None;
        }
        let mut end = letters + digits;
        if technique {
            let tail = &rest[end..];
            if tail.len() >= 4
                && tail.as_bytes()[0] == b'.'
                && tail[1..4].bytes().all(|b| b.is_ascii_digit())
                && !tail[4..].starts_with(|c: char| c.is_ascii_alphanumeric())
            {
                end += 4;
            }
        }
        if rest[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return None;
        }
        // `AML.` + at most `CS0000` or `T0000.000`: always within ID_BYTES, all ASCII.
        let written = &s.as_bytes()[..4 + end];
        let mut bytes = [0u8; ID_BYTES];
        for (to, from) in bytes.iter_mut().zip(written) {
            *to = from.to_ascii_uppercase();
        }
        let id = AtlasId {
            bytes,
            len: written.len() as u8,
        };
        Some((id, &rest[end..]))
    }

    /// The ID as text, upper case (`AML.T0011.000`).
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored; the fallback cannot be reached.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// The kind of page this ID belongs to.
    pub fn kind(&self) -> PageKind {
        let body = &self.as_str()[4..];
        let kind = ID_PREFIXES
            .iter()
            .find(|(p, _)| {
                body.starts_with(p) && body[p.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
            .map_or(PageKind::Technique, |(_, kind)| *kind);
        if kind == PageKind::Technique && body.contains('.') {
            PageKind::SubTechnique
        } else {
            kind
        }
    }

    /// `AML.T0011.000` -> `AML.T0011`.
    pub fn parent(&self) -> Option<AtlasId> {
        (self.kind() == PageKind::SubTechnique).then(|| {
            let len = self.len - 4;
            let mut bytes = self.bytes;
            bytes[usize::from(len)..].fill(0);
            AtlasId { bytes, len }
        })
    }

    /// The ATLAS website route folder for this kind of ID (`techniques`, `studies`, ...).
    pub fn route_folder(&self) -> &'static str {
        route_of(self.kind()).unwrap_or_default()
    }
}

impl fmt::Display for AtlasId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for AtlasId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtlasId({:?})", self.as_str())
    }
}

impl Serialize for AtlasId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_id_shape_and_rejects_near_misses() {
        let kind = |s: &str| AtlasId::parse(s).map(|id| id.kind());
        assert_eq!(kind("AML.TA0005"), Some(PageKind::Tactic));
        assert_eq!(kind("aml.t0010"), Some(PageKind::Technique));
        assert_eq!(kind("AML.T0011.000"), Some(PageKind::SubTechnique));
        assert_eq!(kind("AML.M0013"), Some(PageKind::Mitigation));
        assert_eq!(kind("AML.CS0031"), Some(PageKind::CaseStudy));
        assert_eq!(kind("AML.T001"), None);
        assert_eq!(kind("AML.T00100"), None);
        assert_eq!(kind("AML.X0001"), None);
        let (id, rest) = AtlasId::parse_prefix("AML.T0011.000: Unsafe").unwrap();
        assert_eq!((id.as_str(), rest), ("AML.T0011.000", ": Unsafe"));
        assert_eq!(id.parent().unwrap().as_str(), "AML.T0011");
    }
}
