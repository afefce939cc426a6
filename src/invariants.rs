//! What must hold for any page, however hostile: the fuzz targets (`fuzz/`, built with
//! `--cfg fuzzing`) and a property test run pages through scan, resolve, check and render
//! and look at the result with an HTML tokenizer (html5ever's, the one ammonia parses with).
//!
//! - nothing panics;
//! - every URL in the rendered HTML is relative, `http(s):` or `mailto:`;
//! - no `<script>`, no event (`on*`) attribute, no frame, object, form or `<base>`;
//! - the links `check` finds broken are the links rendered as broken. Where the page has
//!   raw HTML or a table, as many or fewer: what the sanitizer removes (a comment, say) takes
//!   the links inside it along, and a table drops the cells past its header's columns; those
//!   links are not on the page at all.

use crate::graph::{Graph, LinkSyntax, PageId, Resolution};
use crate::load::{parse_page, Vault};
use crate::syntax::{url_kind, UrlKind};
use crate::vocabulary::Vocabulary;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::cell::RefCell;
use std::path::PathBuf;

/// A page rendered beside a few neighbours it may link to.
pub struct PageRun {
    /// The page's body HTML.
    pub html: String,
    /// Its links that resolved as broken (what `check` reports as broken).
    pub broken: usize,
    /// Whether the body held raw HTML or a table, which can drop links (see the module).
    pub may_drop: bool,
    /// The search data files written for the page alone, by path.
    pub search: Vec<(String, String)>,
}

/// Pages a fuzzed page can link to: a heading, a block id, a folder, an attachment.
const NEIGHBOURS: &[(&str, &str)] = &[
    (
        "b.md",
        "---\ntitle: \"AML.T0010: B\"\n---\n# B\n\n## Section\n\nText ^block\n",
    ),
    ("folder/c.md", "# C\n\n## Mitigations\n\n- [[page]]\n"),
    ("tactics/t.md", "---\ntitle: \"AML.TA0005: T\"\n---\n# T\n"),
];

/// `text` as the page `page.md` of a small vault, through the whole pipeline.
pub fn run_page(text: &str) -> PageRun {
    let vocabulary = Vocabulary::default();
    let mut diagnostics = Vec::new();
    let mut pages: Vec<Box<crate::load::ParsedPage>> = NEIGHBOURS
        .iter()
        .map(|(path, text)| {
            Box::new(parse_page(
                path,
                text.to_string(),
                &vocabulary,
                &mut diagnostics,
            ))
        })
        .collect();
    pages.push(Box::new(parse_page(
        "page.md",
        text.to_string(),
        &vocabulary,
        &mut diagnostics,
    )));
    pages.sort_by(|a, b| a.path.cmp(&b.path));
    let vault = Vault {
        root: PathBuf::from("."),
        pages,
        assets: vec!["img.png".to_string()],
        withheld: Vec::new(),
        active: Vec::new(),
        diagnostics,
    };
    let graph = Graph::build(vault, vocabulary);
    let _ = crate::check::check(&graph, &crate::check::Rules::default());
    let id = graph.by_path_id("page.md").unwrap_or(PageId(0));
    let broken = body_links_broken(&graph, id);
    let text = &graph.page(id).source.text;
    let text_of = |p: PageId| Some(graph.page(p).source.text.clone());
    let body = crate::render::markdown::render_body(&graph, id, text, "page.html", &text_of);
    let may_drop = body.raw_html || body.html.contains("<table>");
    let title = graph.page(id).title().to_string();
    let record = crate::render::search::page_record("page.html", &title, "Note", &body.text);
    let files = RefCell::new(Vec::new());
    let write = |path: &str, bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes).into_owned();
        files.borrow_mut().push((path.to_string(), text));
        Ok(())
    };
    let mut index = crate::render::search::IndexWriter::new();
    let _ = index.add(vec![record], &write);
    let _ = index.finish(&write);
    PageRun {
        html: body.html,
        broken,
        may_drop,
        search: files.into_inner(),
    }
}

/// The links of page `id` that the body renders and that resolved as broken.
fn body_links_broken(graph: &Graph, id: PageId) -> usize {
    let page = graph.page(id);
    page.source
        .links
        .iter()
        .zip(&graph.resolutions[id.0])
        .filter(|(link, resolution)| {
            link.syntax != LinkSyntax::FrontMatter && matches!(resolution, Resolution::Broken(_))
        })
        .count()
}

/// What in `run` breaks the invariants, in words; empty when all hold.
pub fn violations(run: &PageRun) -> Vec<String> {
    let sink = Tags::default();
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from(run.html.as_str()));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let mut found = tokenizer.sink.found.into_inner();
    let rendered_broken = run.html.matches("class=\"broken-link\"").count();
    let agree = if run.may_drop {
        rendered_broken <= run.broken
    } else {
        rendered_broken == run.broken
    };
    if !agree {
        found.push(format!(
            "{} links resolved as broken, {rendered_broken} rendered as broken",
            run.broken
        ));
    }
    // Each search data file is one call with JSON arguments and cannot close a script.
    for (path, js) in &run.search {
        let args = js
            .strip_prefix("atlasSearchData(")
            .and_then(|rest| rest.strip_suffix(");\n"));
        let valid = args.is_some_and(|args| {
            serde_json::from_str::<serde_json::Value>(&format!("[{args}]")).is_ok()
        });
        if !valid || js.contains("</") {
            found.push(format!("search data {path} is not one safe call: {js}"));
        }
    }
    found
}

/// Collects what breaks the invariants from each start tag.
#[derive(Default)]
struct Tags {
    found: RefCell<Vec<String>>,
}

const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "data",
    "cite",
    "background",
    "srcset",
    "ping",
    "manifest",
    "icon",
    "xlink:href",
];

impl TokenSink for Tags {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        let mut found = self.found.borrow_mut();
        let name: &str = &tag.name;
        if matches!(
            name,
            "script"
                | "iframe"
                | "frame"
                | "object"
                | "embed"
                | "form"
                | "base"
                | "meta"
                | "link"
                | "style"
                | "svg"
                | "math"
        ) {
            found.push(format!("a <{name}> element"));
        }
        for attribute in &tag.attrs {
            let attribute_name: &str = &attribute.name.local;
            let lower = attribute_name.to_ascii_lowercase();
            if lower.starts_with("on") {
                found.push(format!("<{name} {attribute_name}>"));
            }
            if URL_ATTRIBUTES.contains(&lower.as_str())
                && url_kind(&attribute.value) == UrlKind::Other
            {
                found.push(format!("<{name} {attribute_name}={:?}>", &*attribute.value));
            }
        }
        // This tokenizer starts every tag's content as data: what follows `<script>` or
        // `<style>` is tokenized as markup too, which only finds more.
        TokenSinkResult::Continue
    }
}

/// An `ATLAS.yaml` text through parsing and page building: nothing may panic, and each page
/// written must read back as a page.
pub fn import_yaml(text: &str) -> usize {
    let vocabulary = Vocabulary::default();
    let Ok((pages, _)) = crate::import::pages_from_text(text, "ATLAS.yaml", &vocabulary) else {
        return 0;
    };
    let mut diagnostics = Vec::new();
    for page in &pages {
        let _ = parse_page(
            &page.path,
            page.content.clone(),
            &vocabulary,
            &mut diagnostics,
        );
    }
    pages.len()
}

#[cfg(test)]
mod tests {
    use super::{run_page, violations};
    use proptest::prelude::*;

    /// Pieces of link syntax, markdown and raw HTML that have broken renderers, in any order.
    const PIECES: &[&str] = &[
        "[[",
        "]]",
        "|",
        "\\|",
        "#",
        "^",
        "`",
        "``",
        "<",
        ">",
        "\"",
        "'",
        "(",
        ")",
        "[",
        "]",
        "!",
        "\\",
        "\n",
        "\n\n",
        " ",
        "- ",
        "> ",
        "| a | b |\n|---|---|\n",
        "## Mitigations\n",
        "## Procedure\n",
        "**Technique:** ",
        "[[b]]",
        "[[b#Section]]",
        "[[b#^block]]",
        "[[folder/c|label]]",
        "![[img.png]]",
        "[[nowhere]]",
        "[[b#Missing]]",
        "[x](b.md)",
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[r]: javascript:alert(1)\n",
        "[y][r]",
        "![i](javascript:alert(1))",
        "[z](&#106;avascript:alert(1))",
        "[w](/techniques/AML.T0010)",
        "[v](/tactics/AML.T0010)",
        "<a href=\"javascript:x\">",
        "</a>",
        "<img src=x onerror=alert(1)>",
        "<script>",
        "</script>",
        "<details>",
        "</details>",
        "<svg onload=alert(1)>",
        "data:text/html,x",
        "%20",
        "é",
        "\u{E000}",
        "\u{E001}",
        "$$",
        "==",
        "%%",
        "---\n",
        "```\n",
        "    indented\n",
        "[^1]",
        "[^1]: n\n",
        "[[",
        "]]",
        "](x)",
    ];

    /// Pages the fuzzer found breaking an invariant, kept so that they stay fixed.
    #[test]
    fn fuzz_findings_hold_the_invariants() {
        for text in [
            "[[[v](x)]]",
            "[-[[](2)]]",
            "<script></script><a [[g]]\n[]()",
            "<a title=\"[[g]]\" [[h]]\n\n[[i]] [x](y)\n",
            "<div>\n<a x='\n\n[[g]]\n",
            "[[[[T]t]]](1)",
            "[[a`]] [x](y) `",
            "# H [[a]b]]\n[[page#H ab]]",
            "```[[`]]\n\nSee [[b]].\n",
            "[[a]]\n\n| [[b]] |\n|---|\n| [[c\\|d]] |\n",
            // Not a finding: closing tags and line separators for the search data.
            "---\ntitle: \"</script>\"\n---\n## <\n/b\n\n`</` \u{2028}x</script>\n",
        ] {
            let run = run_page(text);
            assert_eq!(violations(&run), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn import_reads_back_what_it_writes_or_refuses() {
        let yaml = "id: ATLAS\nmatrices:\n- id: m\n  tactics:\n  - id: AML.TA0001\n    name: T\n  techniques:\n  - id: AML.T0001\n    name: X\n    tactics: [AML.TA0001]\n";
        assert_eq!(super::import_yaml(yaml), 2);
        assert_eq!(super::import_yaml("not: [atlas"), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_page_renders_without_script_or_unchecked_links(
            pieces in prop::collection::vec(prop::sample::select(PIECES), 0..48)
        ) {
            let text: String = pieces.concat();
            let run = run_page(&text);
            let found = violations(&run);
            prop_assert!(found.is_empty(), "{found:?}\n--- page\n{text}\n--- html\n{}", run.html);
        }
    }
}
