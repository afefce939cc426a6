//! A fast path for the simple front matter nearly every page has: flat `key: value` lines,
//! scalar lists, comments and blank lines.
//!
//! serde_yaml sets up a full libyaml parser for every document, which dominates the cost of
//! small front matter blocks. This parser only accepts a subset whose meaning is certain and
//! builds exactly the `Value`s serde_yaml would build; on anything else it returns `None` and
//! the caller falls back to serde_yaml, so results and diagnostics never differ.

use serde_yaml::{Number, Value};

/// The top-level keys with their values, in file order.
pub(super) type Pairs = Vec<(String, Value)>;

/// Plain words serde_yaml reads as null or bool (`null`, `True`, ...), plus YAML 1.1 booleans
/// and float names other YAML tools treat specially. Compared case-insensitively; such
/// scalars are left to serde_yaml.
const SPECIAL_WORDS: &[&str] = &[
    "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "infinity", "nan",
];

/// Longer keys hit libyaml's simple-key length limit (1024); stay far below it.
const MAX_KEY_LEN: usize = 128;

/// The top-level mapping of `yaml`, or `None` when the text is outside the simple subset.
/// A list of pairs, not a `Mapping`: a page has a handful of keys, and hashing each one into
/// an index map cost more than the rest of the parse.
pub(super) fn parse(yaml: &str) -> Option<Pairs> {
    // libyaml rejects some characters anywhere in the stream and treats others as line
    // breaks; allow only plain printable text plus `\n`. This also rules out tabs and `\r`.
    if !yaml.chars().all(|c| c == '\n' || is_safe_char(c)) {
        return None;
    }
    let mut map = Pairs::new();
    // A `key:` with nothing after it: the items of its block list so far, and their indent
    // once the first item fixed it.
    let mut open: Option<(String, Vec<Value>, Option<usize>)> = None;
    for line in yaml.split('\n') {
        if line.is_empty() || line.starts_with('#') {
            // A list interrupted by a blank or comment line may still go on; leave that case
            // to serde_yaml by closing the list here and refusing indented lines after it.
            close(&mut map, &mut open)?;
        } else if line.starts_with([' ', '-']) {
            let (_, items, indent) = open.as_mut()?;
            let rest = line.trim_start_matches(' ');
            let spaces = line.len() - rest.len();
            if *indent.get_or_insert(spaces) != spaces {
                return None;
            }
            items.push(scalar(rest.strip_prefix("- ")?)?);
        } else {
            close(&mut map, &mut open)?;
            let (key, value) = line.split_once(':')?;
            let key = key_value(key)?;
            if value.is_empty() {
                open = Some((key, Vec::new(), None));
                continue;
            }
            let value = value.strip_prefix(' ')?;
            let value = if value.starts_with('[') {
                flow_list(value)?
            } else {
                scalar(value)?
            };
            insert(&mut map, key, value)?;
        }
    }
    close(&mut map, &mut open)?;
    // A document of only comments is null to serde_yaml, not an empty mapping.
    (!map.is_empty()).then_some(map)
}

/// Stores a pending `key:` as a list, or as null when no items followed.
fn close(map: &mut Pairs, open: &mut Option<(String, Vec<Value>, Option<usize>)>) -> Option<()> {
    match open.take() {
        None => Some(()),
        Some((key, items, _)) if items.is_empty() => insert(map, key, Value::Null),
        Some((key, items, _)) => insert(map, key, Value::Sequence(items)),
    }
}

/// Adds one entry; a repeated key is an error for serde_yaml, so give up on it.
fn insert(map: &mut Pairs, key: String, value: Value) -> Option<()> {
    if map.iter().any(|(k, _)| *k == key) {
        return None;
    }
    map.push((key, value));
    Some(())
}

/// A key: letters, digits, `_` and `-`, starting with a letter or `_`, never a special word.
fn key_value(key: &str) -> Option<String> {
    let ok = key.len() <= MAX_KEY_LEN
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !is_special_word(key);
    ok.then(|| key.to_string())
}

/// `[a, "b", 'c']` on one line. Items may hold `,` or `]` only inside quotes.
fn flow_list(text: &str) -> Option<Value> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let mut rest = inner.trim_start_matches(' ');
    if rest.is_empty() {
        return Some(Value::Sequence(items));
    }
    loop {
        // One item: a quoted string up to its closing quote, or plain text up to `,`.
        let end = match rest.as_bytes()[0] {
            quote @ (b'"' | b'\'') => rest[1..].find(quote as char)? + 2,
            _ => rest.find(',').unwrap_or(rest.len()),
        };
        let item = rest[..end].trim_end_matches(' ');
        items.push(scalar(item)?);
        rest = rest[end..].trim_start_matches(' ');
        if rest.is_empty() {
            return Some(Value::Sequence(items));
        }
        // Something other than a comma after an item, or a trailing comma: not ours.
        rest = rest.strip_prefix(',')?.trim_start_matches(' ');
        if rest.is_empty() {
            return None;
        }
    }
}

/// One complete scalar (nothing may follow it): a quoted string without escapes, a small
/// integer, a `YYYY-MM-DD` date (a string to serde_yaml) or a plain word from the safe set.
fn scalar(text: &str) -> Option<Value> {
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        return (!inner.contains(['"', '\\'])).then(|| Value::String(inner.to_string()));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        return (!inner.contains('\'')).then(|| Value::String(inner.to_string()));
    }
    if let Some(n) = integer(text) {
        return Some(Value::Number(n));
    }
    if is_date(text) || is_plain_string(text) {
        return Some(Value::String(text.to_string()));
    }
    None
}

/// `0` or `-?[1-9][0-9]*` within i64. serde_yaml reads these as integers (unsigned when
/// non-negative); leading zeros, `+`, `_`, hex, octal, floats and `-0` are left to it.
fn integer(text: &str) -> Option<Number> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let shaped = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (!digits.starts_with('0') || text == "0");
    if !shaped {
        return None;
    }
    let n: i64 = text.parse().ok()?;
    Some(if n < 0 {
        Number::from(n)
    } else {
        Number::from(n as u64)
    })
}

/// `2024-01-05`: neither an integer nor a float, and serde_yaml has no timestamp type.
fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Plain text that can only be a string: starts with an ASCII letter (so never a number),
/// has no YAML indicator, quote, comment or `:` anywhere, no edge spaces, no special word.
fn is_plain_string(text: &str) -> bool {
    const INDICATORS: &[char] = &[
        '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '#', ':', '\\',
    ];
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && !text.ends_with(' ')
        && !text.contains(INDICATORS)
        && !is_special_word(text)
}

fn is_special_word(text: &str) -> bool {
    SPECIAL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(text))
}

/// Printable characters libyaml takes as ordinary content: ASCII graphic and space, and
/// non-ASCII except C1 controls, the Unicode line/paragraph separators, BOM and non-characters.
fn is_safe_char(c: char) -> bool {
    matches!(c, ' '..='~')
        || (c >= '\u{A0}'
            && !matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
            ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPICAL: &str = "id: scheduler-spoofing-0442
title: \"AML.TA0442: Scheduler Spoofing\"
sidebar_label: \"Scheduler Spoofing\"
sidebar_position: 442
type: tactic
tags:
  - atlas
  - technique
aliases: [AML.T0010, \"Supply Chain\"]
source: \"[[frameworks/atlas/x|X]]\"
created: 2024-01-05
";

    /// Snippets the fast path must take (and get right).
    const ACCEPTED: &[&str] = &[
        TYPICAL,
        "title: \"\"\n",
        "title: ''\n",
        "title: \"a # not a comment\"\n",
        "title: \"AML.T0001: colon: inside\"\n",
        "title: 'single # and : inside'\n",
        "title: 'back\\slash is literal here'\n",
        "title: \"  spaced  \"\n",
        "title: \"true\"\nnum: '42'\nnull_ish: \"~\"\n",
        "title: \"Café — ünïcode ✓\"\n",
        "title: Scheduler  Spoofing  Twice\n",
        "title: a - b -- c --- d\n",
        "title: café\n",
        "url: example.com/a/b?c=d\n",
        "sidebar-label: dashed key\n",
        "_private: x\n",
        "CamelKey: Value\n",
        "k1: v1\nk2: v2\nk3: v3\n",
        "zero: 0\n",
        "num: 7\nneg: -7\n",
        "max: 9223372036854775807\nmin: -9223372036854775808\n",
        "created: 2024-01-05\nupdated: 1999-12-31\n",
        "tags:\n  - a\n  - b\n",
        "tags:\n- a\n- b\nnext: x\n",
        "tags:\n    - deep\n    - indent\n",
        "tags:\n  - \"quoted # item\"\n  - 'single'\n  - 42\n  - 2024-01-05\n",
        "tags:\n  - type/playbook\n  - target/ml-model\n",
        "empty:\nnext: x\n",
        "empty:\n",
        "a:\nb:\n",
        "aliases: []\n",
        "aliases: [ ]\n",
        "aliases: [a]\n",
        "aliases: [a,b]\n",
        "aliases: [ a , b ]\n",
        "aliases: [Supply Chain, AML.T0010]\n",
        "aliases: [\"a, b\", 'c]', \"[x]\"]\n",
        "aliases: [1, -2, 2024-01-05]\n",
        "aliases: [a - b, c?d, x/y, e=f]\n",
        "tags:\n  - a - b\n  - c?d\n",
        "# leading comment\ntitle: x\n",
        "title: x\n# trailing comment\n",
        "title: x\n\n\nother: z\n",
        "#no space comment\ntitle: x\n",
        "tags:\n  - a\n# after list\nnext: z\n",
        "tags:\n  - a\n\nnext: z\n",
        "title: x",
    ];

    /// Near misses: the fast path may decline, but if it answers it must agree.
    const TRICKY: &[&str] = &[
        // Numbers of other shapes.
        "num: 007\n",
        "num: 00\n",
        "num: -0\n",
        "num: +5\n",
        "num: 1_000\n",
        "num: 0x1F\n",
        "num: 0o17\n",
        "num: 0b101\n",
        "num: 1e3\n",
        "num: 1.5\n",
        "num: .5\n",
        "num: 1.\n",
        "num: 9223372036854775808\n",
        "num: -9223372036854775809\n",
        "num: 18446744073709551616\n",
        "num: 12:30\n",
        "num: 1:20:30\n",
        "num: 1.2.3\n",
        "num: 2024-1-5\n",
        "num: 2024-01-05T10:00:00Z\n",
        "num: 2024-01-05 10:00:00\n",
        "num: 978-1-83508-798-5\n",
        // Quoting the fast path does not read.
        "t: \"esc \\\" quote\"\n",
        "t: \"back\\\\slash\"\n",
        "t: \"tab\\tescape\"\n",
        "t: 'it''s'\n",
        "t: \"a\" # comment\n",
        "t: 'a' # comment\n",
        "t: \"unterminated\n",
        "t: \"multi\n  line\"\n",
        "t: \"a\" trailing\n",
        // Plain scalars near the edge.
        "t: a #comment\n",
        "t: a#b\n",
        "t: a: b\n",
        "t: a:b\n",
        "t: a:\n",
        "t: https://example.com\n",
        "t: trailing  \n",
        "t:  two spaces\n",
        "t: O'Reilly Media\n",
        "t: It's fine\n",
        "t: a|b\nu: a>b\nv: a%b\nw: a@b\nx: a`b\n",
        "t: a&b\nu: a*b\nv: a!b\nw: a[b\nx: a{b}\n",
        "t: ?a\n",
        "t: -a\n",
        "t: - a\n",
        "t: &anchor x\nu: *anchor\n",
        "t: !!str 5\n",
        "t: |\n  literal\n",
        "t: >\n  folded\n",
        "t: {a: b}\n",
        "t: plain\n  continued\n",
        "t: plain\n\n  continued after blank\n",
        "t: plain\n# c\n  continued after comment\n",
        "t: ~\n",
        // Keys the fast path does not read.
        "2fa: x\n",
        "a b: x\n",
        "\"quoted\": x\n",
        "'quoted': x\n",
        "key :x\n",
        "key:x\n",
        "-key: x\n",
        "? complex\n: value\n",
        "<<: x\n",
        "1: one\n",
        // Structure.
        "a: 1\na: 2\n",
        "tags:\n  - a\ntags: x\n",
        "tags:\n  - a\n    - b\n",
        "tags:\n    - a\n  - b\n",
        "tags:\n  - a\n  b\n",
        "tags:\n\n  - a\n",
        "tags:\n# c\n  - a\n",
        "tags:\n  - a\n\n  - b\n",
        "tags:\n  - a\n# c\n  - b\n",
        "tags:\n  -a\n",
        "tags:\n  -\n",
        "tags:\n  - \n",
        "tags:\n  - - a\n",
        "tags:\n  - a: b\n",
        "tags:\n  -  a\n",
        "tags:\n  - a\n- b\n",
        "tags:\n  - a #c\n",
        "nested:\n  sub: x\n",
        "aliases: [a, b,]\n",
        "aliases: [a, [b]]\n",
        "aliases: [[x]]\n",
        "aliases: [a]x\n",
        "aliases: [a\n",
        "aliases: [a, \"b\" c]\n",
        "aliases: [a,,b]\n",
        "aliases: [a: b]\n",
        "aliases: [a:b]\n",
        "aliases: [\"x\"\n",
        "source: [[sources/bibliography#Securing AI Agents']]\n",
        "  # indented comment\nt: x\n",
        "t: x\n  # indented comment\n",
        "  t: x\n",
        "  - a\n",
        "- a\n- b\n",
        "hello\n",
        "---\nt: x\n",
        "t: x\n---\n",
        "t: x\n...\n",
        "%YAML 1.2\n---\nt: x\n",
        "# only a comment\n",
        "\n\n",
        "",
        "   \n",
        // Characters libyaml treats specially.
        "k:\tv\n",
        "k: a\tb\n",
        "\u{FEFF}k: v\n",
        "k: a\u{85}b\n",
        "k: a\u{2028}b\n",
        "k: a\u{7}b\n",
        "k: a\rb\n",
        "k: \"a\u{7F}b\"\n",
        "k: a\u{A0}\n",
    ];

    /// `fast` must equal serde_yaml's mapping, including key order (Mapping's `==` ignores it).
    fn assert_same(yaml: &str, fast: &Pairs) {
        let slow: Value = serde_yaml::from_str(yaml)
            .unwrap_or_else(|e| panic!("fast path accepted invalid YAML {yaml:?}: {e}"));
        let Value::Mapping(slow) = slow else {
            panic!("fast path accepted non-mapping {yaml:?}");
        };
        let fast_pairs: Vec<_> = fast.iter().map(|(k, v)| (Some(k.as_str()), v)).collect();
        let slow_pairs: Vec<_> = slow.iter().map(|(k, v)| (k.as_str(), v)).collect();
        assert_eq!(fast_pairs, slow_pairs, "fast path differs on {yaml:?}");
    }

    /// Every spelling of the words YAML tools treat as null, bool or special floats, in every
    /// position the fast path knows.
    fn special_word_snippets() -> Vec<String> {
        let words = [
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "inf", "infinity", "nan",
        ];
        let mut spellings = Vec::new();
        for w in words {
            spellings.push(w.to_string());
            spellings.push(w.to_uppercase());
            let mut chars = w.chars();
            let first = chars.next().unwrap().to_ascii_uppercase();
            spellings.push(format!("{first}{}", chars.as_str()));
            // Alternating case, e.g. `tRuE`.
            spellings.push(
                w.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i % 2 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect(),
            );
        }
        for extra in ["~", ".inf", "-.inf", "+.inf", ".NaN", ".nan"] {
            spellings.push(extra.to_string());
        }
        spellings.sort();
        spellings.dedup();
        let mut out = Vec::new();
        for s in &spellings {
            out.push(format!("k: {s}\n"));
            out.push(format!("k:\n  - {s}\n"));
            out.push(format!("k: [{s}]\n"));
            out.push(format!("{s}: v\n"));
        }
        out
    }

    #[test]
    fn typical_front_matter_takes_the_fast_path() {
        let fast = parse(TYPICAL).expect("typical front matter should take the fast path");
        assert_same(TYPICAL, &fast);
    }

    #[test]
    fn accepted_snippets_match_serde_yaml() {
        for yaml in ACCEPTED {
            let fast = parse(yaml).unwrap_or_else(|| panic!("fast path declined {yaml:?}"));
            assert_same(yaml, &fast);
        }
    }

    #[test]
    fn near_misses_decline_or_match_serde_yaml() {
        let long_key = format!("{}: v\n", "k".repeat(2000));
        let mut snippets: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
        snippets.extend(special_word_snippets());
        snippets.push(long_key);
        for yaml in &snippets {
            if let Some(fast) = parse(yaml) {
                assert_same(yaml, &fast);
            }
        }
    }

    #[test]
    fn special_words_are_left_to_serde_yaml() {
        for yaml in special_word_snippets() {
            assert!(parse(&yaml).is_none(), "fast path took {yaml:?}");
        }
    }

    /// Checks every front matter block under `dir` (relative to the crate root) and returns
    /// (blocks, blocks that took the fast path).
    fn check_tree(dir: &str) -> (usize, usize) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let (mut blocks, mut fast_count) = (0, 0);
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "md") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let path = entry.path().display().to_string();
            let Ok(Some(split)) = super::super::split(&text, &path) else {
                continue;
            };
            let yaml = &text[split.yaml];
            blocks += 1;
            if let Some(fast) = parse(yaml) {
                fast_count += 1;
                assert_same(yaml, &fast);
            }
        }
        println!("{dir}: {fast_count} of {blocks} front matter blocks took the fast path");
        (blocks, fast_count)
    }

    #[test]
    fn shared_corpus_matches_serde_yaml() {
        let dir = "../shared/corpora/ai-redteam-kb";
        if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(dir)
            .is_dir()
        {
            println!("skipped: ../shared/corpora absent");
            return;
        }
        check_tree(dir);
    }

    #[test]
    fn bundled_content_matches_serde_yaml_and_mostly_takes_the_fast_path() {
        let (blocks, fast_count) = check_tree("content");
        assert!(blocks > 0);
        assert!(
            fast_count * 2 > blocks,
            "only {fast_count} of {blocks} took the fast path"
        );
    }
}
