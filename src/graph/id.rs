//! ATLAS IDs (`AML.TA0005`, `AML.T0011`, `AML.T0011.000`, `AML.M0013`, `AML.CS0031`) and the
//! page kinds they imply.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageKind {
    Tactic,
    Technique,
    SubTechnique,
    Mitigation,
    CaseStudy,
    Note,
}

impl PageKind {
    pub const ALL: [PageKind; 6] = [
        PageKind::Tactic,
        PageKind::Technique,
        PageKind::SubTechnique,
        PageKind::Mitigation,
        PageKind::CaseStudy,
        PageKind::Note,
    ];

    /// `technique`, `sub-technique`, `case-study`, ... as written in `type:` and tags.
    pub fn slug(self) -> &'static str {
        match self {
            PageKind::Tactic => "tactic",
            PageKind::Technique => "technique",
            PageKind::SubTechnique => "sub-technique",
            PageKind::Mitigation => "mitigation",
            PageKind::CaseStudy => "case-study",
            PageKind::Note => "note",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            PageKind::Tactic => "Tactics",
            PageKind::Technique => "Techniques",
            PageKind::SubTechnique => "Sub-techniques",
            PageKind::Mitigation => "Mitigations",
            PageKind::CaseStudy => "Case Studies",
            PageKind::Note => "Notes",
        }
    }

    /// Reads a `type:` value or a `type/...` tag; spelling variants are accepted.
    pub fn from_type_name(name: &str) -> Option<PageKind> {
        let name: String = name
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Some(match name.as_str() {
            "tactic" | "tactics" => PageKind::Tactic,
            "technique" | "techniques" => PageKind::Technique,
            "subtechnique" | "subtechniques" => PageKind::SubTechnique,
            "mitigation" | "mitigations" => PageKind::Mitigation,
            "casestudy" | "casestudies" | "study" | "studies" => PageKind::CaseStudy,
            _ => return None,
        })
    }
}

impl fmt::Display for PageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

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
        let technique = prefix.eq_ignore_ascii_case("T");
        if !(technique
            || ["TA", "M", "CS"]
                .iter()
                .any(|p| prefix.eq_ignore_ascii_case(p)))
        {
            return None;
        }
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

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored; the fallback cannot be reached.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    pub fn kind(&self) -> PageKind {
        let body = &self.as_str()[4..];
        if body.starts_with("TA") {
            PageKind::Tactic
        } else if body.starts_with("CS") {
            PageKind::CaseStudy
        } else if body.starts_with('M') {
            PageKind::Mitigation
        } else if body.contains('.') {
            PageKind::SubTechnique
        } else {
            PageKind::Technique
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
        match self.kind() {
            PageKind::Tactic => "tactics",
            PageKind::Mitigation => "mitigations",
            PageKind::CaseStudy => "studies",
            _ => "techniques",
        }
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
