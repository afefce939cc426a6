//! Stage three (a): turn the graph's facts into diagnostics. Pure: no I/O.

pub mod baseline;
pub mod machine;
pub mod report;

use crate::diagnostic::{Code, Diagnostic, OneSided, Severity};
use crate::graph::{
    AtlasId, EmbedProblem, Graph, LinkRef, PageId, Relation, Resolution, MAX_EMBED_DEPTH,
};
use crate::layout::{self, Generated};
use crate::load::LinkSyntax;
use crate::vocabulary::RelationKind;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The level each code is reported at.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    overrides: HashMap<Code, Severity>,
    /// `--deny warnings`: warnings fail the run too.
    pub deny_warnings: bool,
}

impl Rules {
    /// Reports `code` at `severity` instead of its default level.
    pub fn set(&mut self, code: Code, severity: Severity) {
        self.overrides.insert(code, severity);
    }

    /// The level `code` is reported at.
    pub fn severity(&self, code: Code) -> Severity {
        self.overrides
            .get(&code)
            .copied()
            .unwrap_or(code.default_severity())
    }

    /// The level the settings set for `code`, if they set one.
    fn set_for(&self, code: Code) -> Option<Severity> {
        self.overrides.get(&code).copied()
    }

    /// Whether these diagnostics fail the run.
    pub fn fails(&self, diagnostics: &[Diagnostic]) -> bool {
        diagnostics.iter().any(|d| {
            d.severity == Severity::Error || (self.deny_warnings && d.severity == Severity::Warning)
        })
    }
}

/// Every problem in the graph, at the levels `rules` give, in a stable order.
pub fn check(graph: &Graph, rules: &Rules) -> Vec<Diagnostic> {
    // Pages and relations are checked independently on all cores. `par_extend` keeps the
    // sequential order, which matters: the stable sort below leaves ties in that order.
    let names = Names::new(graph);
    let mut found = graph.diagnostics.clone();
    found.par_extend(
        (0..graph.pages.len())
            .into_par_iter()
            .flat_map_iter(|i| page_links(&names, PageId(i))),
    );
    found.par_extend(
        graph
            .relations
            .par_iter()
            .filter_map(|relation| relation_diagnostic(&names, relation)),
    );
    found.extend((0..graph.pages.len()).flat_map(|i| embed_problems(graph, PageId(i))));
    found.par_extend(
        graph
            .pages
            .par_iter()
            .enumerate()
            .filter(|(_, page)| !page.source.steps.is_empty())
            .flat_map_iter(|(i, _)| step_tactic_mismatches(&names, PageId(i))),
    );
    found.extend(reserved_paths(graph));
    found.extend(graph.active_assets.iter().map(|(path, why, published)| {
        let message = if *published {
            format!("`{path}` can run script when opened ({why}); it is published because `allow_active_assets` is set")
        } else {
            format!("`{path}` can run script when opened ({why}); it is not published")
        };
        Diagnostic::new(Code::ActiveAsset, path, crate::source::Span::new(1, 1), 1, message)
            .with_help("publish it anyway with `allow_active_assets = true` under `[build]` in atlas-kb.toml")
    }));
    if rules.severity(Code::OrphanPage) != Severity::Off {
        found.par_extend(
            (0..graph.pages.len())
                .into_par_iter()
                .filter_map(|i| orphan(graph, PageId(i))),
        );
    }
    at_levels(found, rules)
}

/// What [`check`] finds in page `id`'s file, and nothing else: for a page read again, while
/// the rest of the graph stayed as it was.
pub fn check_page(graph: &Graph, rules: &Rules, id: PageId) -> Vec<Diagnostic> {
    let names = Names::new(graph);
    let path = &*graph.page(id).source.path;
    let mut found: Vec<Diagnostic> = graph
        .diagnostics
        .iter()
        .filter(|d| &*d.path == path)
        .cloned()
        .collect();
    found.extend(page_links(&names, id));
    found.extend(
        graph
            .relations_of(id)
            .filter_map(|relation| relation_diagnostic(&names, relation)),
    );
    found.extend(embed_problems(graph, id));
    found.extend(step_tactic_mismatches(&names, id));
    found.extend(reserved_page(graph, &Generated::new(graph), id));
    if rules.severity(Code::OrphanPage) != Severity::Off {
        found.extend(orphan(graph, id));
    }
    found.retain(|d| &*d.path == path);
    at_levels(found, rules)
}

/// The diagnostics of page `id`'s links.
fn page_links(names: &Names, id: PageId) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for link in 0..names.graph.page(id).source.links.len() {
        link_diagnostics(names, LinkRef { page: id, link }, &mut out);
    }
    out
}

/// The orphan-page diagnostic, if no other page links to page `id`.
fn orphan(graph: &Graph, id: PageId) -> Option<Diagnostic> {
    let page = graph.page(id);
    (graph.backlinks(id).is_empty() && !page.generated).then(|| {
        Diagnostic::new(
            Code::OrphanPage,
            &page.source.path,
            crate::source::Span::new(1, 1),
            1,
            "no other page links here".into(),
        )
    })
}

/// `found` at the levels `rules` give, without those turned off, sorted and without repeats.
fn at_levels(mut found: Vec<Diagnostic>, rules: &Rules) -> Vec<Diagnostic> {
    for d in &mut found {
        // A diagnostic made at another level than its code's default keeps it, unless the
        // settings set the code's level.
        if let Some(severity) = rules.set_for(d.code) {
            d.severity = severity;
        }
    }
    found.retain(|d| d.severity != Severity::Off);
    // Stable, as `dedup` needs equal diagnostics next to each other in a fixed order.
    found.par_sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    found.dedup();
    found
}

/// The names diagnostics are worded with, made once per page or word and shared by every
/// diagnostic that uses them: a vault with a million one-sided relations would otherwise
/// hold a million copies of the same few thousand paths.
struct Names<'g> {
    graph: &'g Graph,
    /// Per page: its path, and its path as a link names it (without `.md`).
    pages: Vec<OnceLock<(Arc<str>, Arc<str>)>>,
    /// Relation section names.
    words: FxHashMap<&'g str, Arc<str>>,
}

impl<'g> Names<'g> {
    fn new(graph: &'g Graph) -> Self {
        let vocabulary = &graph.vocabulary;
        let listing = RelationKind::ALL
            .into_iter()
            .flat_map(|kind| [true, false].map(|side| vocabulary.listing_section(kind, side)));
        let words = vocabulary
            .section_names()
            .chain(listing)
            .map(|word| (word, Arc::from(word)))
            .collect();
        Names {
            graph,
            pages: (0..graph.pages.len()).map(|_| OnceLock::new()).collect(),
            words,
        }
    }

    fn page(&self, id: PageId) -> &(Arc<str>, Arc<str>) {
        self.pages[id.0].get_or_init(|| {
            let page = self.graph.page(id);
            (
                Arc::from(page.source.path.as_str()),
                Arc::from(page.stem_path()),
            )
        })
    }

    fn path(&self, id: PageId) -> Arc<str> {
        self.page(id).0.clone()
    }

    fn word(&self, word: &str) -> Arc<str> {
        self.words
            .get(word)
            .cloned()
            .unwrap_or_else(|| Arc::from(word))
    }
}

fn at_link(names: &Names, at: LinkRef, code: Code, message: String) -> Diagnostic {
    let link = names.graph.link(at);
    Diagnostic::in_file(code, names.path(at.page), link.span, link.width(), message)
}

fn link_diagnostics(names: &Names, at: LinkRef, out: &mut Vec<Diagnostic>) {
    let graph = names.graph;
    let link = graph.link(at);
    match graph.resolution(at) {
        Resolution::Broken(broken) => {
            out.push(Diagnostic::shared(
                broken.code,
                names.path(at.page),
                link.span,
                link.width(),
                broken.message.clone(),
                broken.help.clone(),
            ));
        }
        Resolution::Unsafe => out.push(
            at_link(
                names,
                at,
                Code::UnsafeLink,
                format!(
                    "`{}` is not a safe link target",
                    graph.page(at.page).source.target(link).trim()
                ),
            )
            .with_help("the link is rendered as plain text"),
        ),
        Resolution::Page { page, tied, .. } => {
            if !tied.is_empty() {
                let tied_paths: Vec<&str> = tied
                    .iter()
                    .map(|p| graph.page(*p).source.path.as_str())
                    .collect();
                out.push(
                    at_link(
                        names,
                        at,
                        Code::AmbiguousLink,
                        format!(
                            "`{}` matches {} pages equally; took `{}`",
                            graph.page(at.page).source.target(link),
                            tied.len(),
                            tied_paths[0]
                        ),
                    )
                    .with_help(if case_twins(&tied_paths) {
                        format!(
                            "{} differ only in letter case, which links (and Windows and macOS) \
                             do not tell apart; rename one",
                            tied_paths.join(" and ")
                        )
                    } else {
                        format!(
                            "candidates: {}; write more of the path to choose",
                            tied_paths.join(", ")
                        )
                    }),
                );
            }
            let target = graph.page(*page);
            let label_id = graph
                .page(at.page)
                .source
                .label(link)
                .filter(|_| link.syntax != LinkSyntax::Markdown)
                // `[[x| AML.T0017: ...]]` names the ID as much as `[[x|AML.T0017: ...]]`.
                .and_then(|label| AtlasId::parse_prefix(label.trim()))
                .map(|(id, _)| id);
            // Needed only when the label names an ID: this runs for every link.
            let target_id = label_id.and_then(|_| {
                target.atlas_id.or_else(|| {
                    target
                        .source
                        .front
                        .atlas
                        .as_deref()
                        .and_then(AtlasId::parse)
                })
            });
            if let (Some(label_id), Some(target_id)) = (label_id, target_id) {
                if label_id != target_id {
                    out.push(
                        at_link(
                            names,
                            at,
                            Code::LabelIdMismatch,
                            format!("label names `{label_id}` but the link goes to `{target_id}` (`{}`)", target.stem_path()),
                        )
                        .with_help(match graph.by_id.get(&label_id).map(|p| graph.page(*p)) {
                            Some(p) if !p.generated => format!("`{label_id}` is `{}`", p.stem_path()),
                            // A generated parent has no file: a link to its path would break.
                            _ => format!("no page has `{label_id}`"),
                        }),
                    );
                }
            }
        }
        Resolution::Asset(_) | Resolution::External => {}
    }
}

/// The diagnostic for a relation listed on one side only.
fn relation_diagnostic(names: &Names, relation: &Relation) -> Option<Diagnostic> {
    let graph = names.graph;
    let vocabulary = &graph.vocabulary;
    let technique_section = vocabulary.listing_section(relation.kind, true);
    let other_section = vocabulary.listing_section(relation.kind, false);
    let (declared, listed_by, missing_on, section) =
        match (relation.from_technique, relation.from_other) {
            (Some(at), None) => (at, relation.technique, relation.other, other_section),
            (None, Some(at)) => (at, relation.other, relation.technique, technique_section),
            _ => return None,
        };
    let link = graph.link(declared);
    let listed_under = link.section().map_or("", |s| vocabulary.section_name(s));
    let (missing_on_file, missing_on) = names.page(missing_on).clone();
    Some(Diagnostic::one_sided(
        names.path(declared.page),
        link.span,
        link.width(),
        OneSided {
            listed_by: names.page(listed_by).1.clone(),
            missing_on,
            missing_on_file,
            listed_under: names.word(listed_under),
            belongs_under: names.word(section),
        },
    ))
}

/// Procedure steps whose tactic is not among their technique's tactics.
fn step_tactic_mismatches(names: &Names, page: PageId) -> Vec<Diagnostic> {
    let graph = names.graph;
    let source = &graph.page(page).source;
    source
        .steps
        .iter()
        .filter_map(|step| {
            let (Some(technique), Some(tactic)) = graph.step_pages(page, step) else {
                return None;
            };
            let tactics = graph.tactics_of(technique);
            // A technique that lists no tactic gives nothing to compare with.
            if tactics.is_empty() || tactics.contains(&tactic) {
                return None;
            }
            let link = &source.links[step.tactic? as usize];
            let listed: Vec<String> = tactics
                .iter()
                .map(|t| format!("`{}`", graph.page(*t).title()))
                .collect();
            Some(
                Diagnostic::new(
                    Code::StepTacticMismatch,
                    &source.path,
                    link.span,
                    link.width(),
                    format!(
                        "this step's tactic `{}` is not a tactic of its technique `{}`",
                        graph.page(tactic).title(),
                        graph.page(technique).title()
                    ),
                )
                .with_help(format!("its technique lists {}", listed.join(", "))),
            )
        })
        .collect()
}

/// Embeds of page `id` that would never end: each is shown as a link.
fn embed_problems(graph: &Graph, id: PageId) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let i = id.0;
    {
        let source = &graph.page(id).source;
        for (j, link) in source.links.iter().enumerate() {
            if link.syntax != LinkSyntax::Embed {
                continue;
            }
            let Some(problem) = graph.embed_problem(PageId(i), j) else {
                continue;
            };
            let target = graph
                .link_target(PageId(i), j as u32)
                .map(|t| graph.page(t));
            let name = target.map_or(String::new(), |t| t.title().into_owned());
            let (message, help) = match problem {
                EmbedProblem::Cycle => (
                    format!("embedding `{name}` leads back to this page"),
                    "link it (`[[...]]`) instead of embedding it, here or on a page it embeds",
                ),
                EmbedProblem::TooDeep => (
                    format!("embedding `{name}` nests embeds deeper than {MAX_EMBED_DEPTH} levels"),
                    "link some of the pages in the chain instead of embedding them",
                ),
            };
            found.push(
                Diagnostic::new(
                    Code::EmbedCycle,
                    &source.path,
                    link.span,
                    link.width(),
                    message,
                )
                .with_help(help),
            );
        }
    }
    found
}

/// Content files that would land where the build writes its own: not published.
fn reserved_paths(graph: &Graph) -> Vec<Diagnostic> {
    let generated = Generated::new(graph);
    let pages = (0..graph.pages.len()).filter_map(|i| reserved_page(graph, &generated, PageId(i)));
    let assets = graph
        .assets
        .iter()
        .filter_map(|a| reserved_path(&generated, a, a.clone()));
    pages.chain(assets).collect()
}

/// The reserved-path diagnostic of page `id`, if it has one.
fn reserved_page(graph: &Graph, generated: &Generated, id: PageId) -> Option<Diagnostic> {
    let page = graph.page(id);
    if page.generated || page.source.path == layout::HOME_TEXT {
        return None;
    }
    reserved_path(generated, &page.source.path, layout::page_path(page))
}

/// The reserved-path diagnostic of content file `file`, if its output path `out` is one the
/// build writes itself.
fn reserved_path(generated: &Generated, file: &str, out: String) -> Option<Diagnostic> {
    let why = generated.owner(&out)?;
    Some(
        Diagnostic::new(
            Code::ReservedPath,
            file,
            crate::source::Span::new(1, 1),
            1,
            format!("`{file}` is not published: `{out}` is where the build writes {why}"),
        )
        .with_help("rename it or move it to another folder"),
    )
}

/// Whether the paths name the same page but for letter case or Unicode normalization.
fn case_twins(paths: &[&str]) -> bool {
    let folded = |p: &str| crate::graph::fold(p).into_owned();
    paths.windows(2).all(|w| folded(w[0]) == folded(w[1]))
}
