//! Turning imported strings into safe pieces of a page: slugs, one-line values, quoted YAML,
//! and description text that keeps its markdown but cannot open a wiki link or swallow the
//! rest of the page in an unclosed code fence.

/// Lowercase ASCII letters and digits; every other run of characters becomes one `-`;
/// no `-` at either end. The result is always safe as a path component (or empty).
pub(crate) fn kebab(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// `AML.T0011.000` -> `aml-t0011-000`.
pub(crate) fn id_slug(id: &str) -> String {
    kebab(id)
}

/// All white space (line breaks included) collapsed to single spaces, trimmed.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value on one line that cannot start a wiki link.
pub(crate) fn inline(s: &str) -> String {
    escape_wiki(&one_line(s))
}

/// A link label or heading: one line, with neither `[[` nor `]]` in it.
pub(crate) fn label_text(s: &str) -> String {
    one_line(s).replace("[[", "[ [").replace("]]", "] ]")
}

/// A YAML double-quoted scalar on one line.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in one_line(s).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A URL that stays inside a markdown link destination.
pub(crate) fn url_text(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.trim().chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if c.is_whitespace() || c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Description text, kept as written except that it is trimmed, has `\n` line ends, opens
/// no wiki link, and closes a code fence it leaves open.
pub(crate) fn body_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n");
    close_fences(&escape_wiki(s.trim()))
}

/// Markdown like `[[7]](url)` (a bracketed link label) would read as a wiki link. Writing it
/// `[\[7\]](url)` renders the same and is no wiki link. An already escaped `\[[` stays.
pub(crate) fn escape_wiki(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("[[") {
        let (before, after) = rest.split_at(i);
        out.push_str(before);
        rest = &after[2..];
        if before.ends_with('\\') {
            out.push_str("[[");
            continue;
        }
        out.push_str("[\\[");
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let next_open = rest.find("[[").unwrap_or(rest.len());
        if let Some(j) = rest.find("]]").filter(|&j| j < line_end && j < next_open) {
            out.push_str(&rest[..j]);
            out.push_str("\\]]");
            rest = &rest[j + 2..];
        }
    }
    out.push_str(rest);
    out
}

/// Appends a closing fence when a fenced code block is still open at the end, so the
/// sections after the text stay sections.
fn close_fences(s: &str) -> String {
    let mut open: Option<(char, usize)> = None;
    for line in s.lines() {
        let trimmed = line.trim_start_matches(' ');
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let Some(c) = trimmed.chars().next().filter(|&c| c == '`' || c == '~') else {
            continue;
        };
        let run = trimmed.chars().take_while(|&x| x == c).count();
        if run < 3 {
            continue;
        }
        let info = &trimmed[run..];
        match open {
            None if c == '`' && info.contains('`') => {}
            None => open = Some((c, run)),
            Some((oc, on)) if oc == c && run >= on && info.trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    match open {
        Some((c, n)) => format!("{s}\n{}", c.to_string().repeat(n)),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_keeps_ascii_alphanumerics_only() {
        assert_eq!(kebab("User Execution"), "user-execution");
        assert_eq!(
            kebab("Hacking ChatGPT’s Memories"),
            "hacking-chatgpt-s-memories"
        );
        assert_eq!(kebab("  ../../etc/passwd  "), "etc-passwd");
        assert_eq!(
            kebab("AI Model Inference API Access"),
            "ai-model-inference-api-access"
        );
        assert_eq!(kebab("Ünïcode"), "n-code");
        assert_eq!(kebab("…"), "");
        assert_eq!(id_slug("AML.T0011.000"), "aml-t0011-000");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"A "b" \c"#), r#""A \"b\" \\c""#);
        assert_eq!(quote("two\nlines"), "\"two lines\"");
    }

    #[test]
    fn wiki_openers_are_escaped() {
        assert_eq!(
            escape_wiki("see <sup>[[7]](https://x.example/a)</sup> and [\\[1\\]][1]"),
            "see <sup>[\\[7\\]](https://x.example/a)</sup> and [\\[1\\]][1]"
        );
        assert_eq!(escape_wiki("a [[b"), "a [\\[b");
        assert_eq!(escape_wiki("a \\[[b]]"), "a \\[[b]]");
        assert!(!escape_wiki("[[a]] [[b]]").contains("[["));
    }

    #[test]
    fn open_fences_are_closed() {
        assert_eq!(body_text("a\n```\ncode\n```\nb"), "a\n```\ncode\n```\nb");
        assert_eq!(body_text("a\n~~~~\ncode"), "a\n~~~~\ncode\n~~~~");
        assert_eq!(
            body_text("```“Are you a computer?\"```"),
            "```“Are you a computer?\"```"
        );
    }

    #[test]
    fn urls_stay_in_their_link() {
        assert_eq!(
            url_text(" https://x.example/a b(c) "),
            "https://x.example/a%20b%28c%29"
        );
    }
}
