//! Typed ATLAS objects -> pages in the seed format. Resolves every reference between objects
//! once (unknown IDs become diagnostics), names each page, and writes each relation on both
//! of its sides so that `check` finds them symmetric.

use super::parse::{AtlasData, AttackRef, Common, Reference};
use super::text::{body_text, id_slug, inline, kebab, label_text, one_line, quote, url_text};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;
use crate::vocabulary::{headings, keys, PageKind, RelationKind, Vocabulary};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The front matter key and value that mark a page as written by import.
pub(crate) const GENERATOR: &str = "generator: atlas-kb import";

/// One page to write.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Relative to the output folder, `/`-separated, ending in `.md`.
    pub path: String,
    pub kind: PageKind,
    pub content: String,
}

/// Where an object's page is, and what links to it say.
#[derive(Debug, Clone)]
struct Node {
    id: String,
    name: String,
    stem: String,
    /// Folder of the page, relative to the output folder, `/`-separated.
    dir: String,
}

impl Node {
    fn target(&self) -> String {
        format!("{}/{}", self.dir, self.stem)
    }

    /// `[[path|ID: Name]]`.
    fn link(&self) -> String {
        format!(
            "[[{}|{}: {}]]",
            self.target(),
            label_text(&self.id),
            label_text(&self.name)
        )
    }
}

const ROOT: &str = "frameworks/atlas";

/// Builds every page. Diagnostics are for references to objects the file does not have.
pub(crate) fn build(
    data: &AtlasData,
    file: &str,
    vocabulary: &Vocabulary,
) -> (Vec<Page>, Vec<Diagnostic>) {
    let mut b = Builder {
        file,
        diagnostics: Vec::new(),
        taken: HashSet::new(),
    };
    let folder = |kind| vocabulary.import_folder(kind);
    let listed = |relation, technique_side| vocabulary.listing_section(relation, technique_side);
    let tactic_index: HashMap<&str, usize> = data
        .tactics
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let technique_index: HashMap<&str, usize> = data
        .techniques
        .iter()
        .enumerate()
        .map(|(i, t)| (t.common.id.as_str(), i))
        .collect();

    // Parents: a sub-technique's parent must be a technique that is not itself one.
    let parents: Vec<Option<usize>> = data
        .techniques
        .iter()
        .map(|t| {
            let parent_id = t.parent.as_deref()?;
            let found = technique_index
                .get(parent_id)
                .copied()
                .filter(|&p| data.techniques[p].parent.is_none());
            if found.is_none() {
                b.report(
                    t.parent_span,
                    format!(
                        "sub-technique `{}` names `{parent_id}` as its parent, which is no \
                         technique in the file",
                        t.common.id
                    ),
                );
            }
            found
        })
        .collect();

    // Tactics: a technique's own list; a sub-technique takes its parent's unless it has one.
    let own_tactics: Vec<Vec<usize>> = data
        .techniques
        .iter()
        .map(|t| {
            let mut out: Vec<usize> = Vec::new();
            for (tactic, span) in &t.tactics {
                match tactic_index.get(tactic.as_str()) {
                    Some(&i) if !out.contains(&i) => out.push(i),
                    Some(_) => {}
                    None => b.report(
                        *span,
                        format!(
                            "technique `{}` lists the tactic `{tactic}`, which is no tactic in \
                             the file",
                            t.common.id
                        ),
                    ),
                }
            }
            out
        })
        .collect();
    let tactics_of: Vec<Vec<usize>> = (0..data.techniques.len())
        .map(|i| match parents[i] {
            Some(p) if own_tactics[i].is_empty() => own_tactics[p].clone(),
            _ => own_tactics[i].clone(),
        })
        .collect();

    // Names and folders, in a fixed order so that parents are named before their children.
    let tactic_nodes = b.flat_nodes(
        data.tactics
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_str())),
        folder(PageKind::Tactic),
    );
    let technique_folder = folder(PageKind::Technique);
    let is_sub = |i: usize| data.techniques[i].parent.is_some();
    let folder_of = |i: usize| -> String {
        let tactic = tactics_of[i]
            .first()
            .map_or("uncategorized", |&t| tactic_nodes[t].stem.as_str());
        format!("{ROOT}/{technique_folder}/{tactic}")
    };
    let mut technique_nodes: Vec<Option<Node>> = vec![None; data.techniques.len()];
    let tops: Vec<usize> = (0..data.techniques.len()).filter(|&i| !is_sub(i)).collect();
    let subs: Vec<usize> = (0..data.techniques.len()).filter(|&i| is_sub(i)).collect();
    {
        let bases: Vec<String> = tops
            .iter()
            .map(|&i| kebab(&data.techniques[i].common.name))
            .collect();
        let ids: Vec<&str> = tops
            .iter()
            .map(|&i| data.techniques[i].common.id.as_str())
            .collect();
        for (&i, stem) in tops.iter().zip(stems(&bases, &ids)) {
            let c = &data.techniques[i].common;
            technique_nodes[i] = Some(b.node(&c.id, &c.name, stem, folder_of(i)));
        }
    }
    {
        let parent_node = |i: usize| parents[i].and_then(|p| technique_nodes[p].clone());
        let bases: Vec<String> = subs
            .iter()
            .map(|&i| {
                let own = kebab(&data.techniques[i].common.name);
                match parent_node(i) {
                    Some(p) if !own.is_empty() => format!("{}-{own}", p.stem),
                    _ => own,
                }
            })
            .collect();
        let ids: Vec<&str> = subs
            .iter()
            .map(|&i| data.techniques[i].common.id.as_str())
            .collect();
        let placed: Vec<(usize, String, String)> = subs
            .iter()
            .zip(stems(&bases, &ids))
            .map(|(&i, stem)| {
                let dir = match parent_node(i) {
                    Some(p) => format!("{}/{}", p.dir, p.stem),
                    None => folder_of(i),
                };
                (i, stem, dir)
            })
            .collect();
        for (i, stem, dir) in placed {
            let c = &data.techniques[i].common;
            technique_nodes[i] = Some(b.node(&c.id, &c.name, stem, dir));
        }
    }
    let technique_nodes: Vec<Node> = technique_nodes
        .into_iter()
        .zip(&data.techniques)
        .map(|(n, t)| n.unwrap_or_else(|| fallback_node(&t.common, technique_folder)))
        .collect();
    let mitigation_nodes = b.flat_nodes(
        data.mitigations
            .iter()
            .map(|m| (m.common.id.as_str(), m.common.name.as_str())),
        folder(PageKind::Mitigation),
    );
    let case_nodes = b.flat_nodes(
        data.case_studies
            .iter()
            .map(|c| (c.common.id.as_str(), c.common.name.as_str())),
        folder(PageKind::CaseStudy),
    );

    // Relations, each kept once per pair and keyed by the other side's ID (sorted output).
    let mut tactic_techniques: Vec<BTreeMap<&str, usize>> =
        vec![BTreeMap::new(); data.tactics.len()];
    for (i, tactics) in tactics_of.iter().enumerate() {
        for &t in tactics {
            tactic_techniques[t].insert(&data.techniques[i].common.id, i);
        }
    }
    let mut children: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); data.techniques.len()];
    for (i, parent) in parents.iter().enumerate() {
        if let Some(p) = parent {
            children[*p].insert(&data.techniques[i].common.id, i);
        }
    }
    // (mitigation, technique) -> use texts, in file order.
    let mut uses: BTreeMap<(usize, usize), Vec<&str>> = BTreeMap::new();
    for (m, mitigation) in data.mitigations.iter().enumerate() {
        for entry in &mitigation.techniques {
            match technique_index.get(entry.technique.as_str()) {
                Some(&t) => uses.entry((m, t)).or_default().push(&entry.use_text),
                None => b.report(
                    entry.span,
                    format!(
                        "mitigation `{}` lists the technique `{}`, which is no technique in \
                         the file",
                        mitigation.common.id, entry.technique
                    ),
                ),
            }
        }
    }
    let mut mitigation_techniques: Vec<BTreeMap<&str, (usize, String)>> =
        vec![BTreeMap::new(); data.mitigations.len()];
    let mut technique_mitigations: Vec<BTreeMap<&str, (usize, String)>> =
        vec![BTreeMap::new(); data.techniques.len()];
    for (&(m, t), texts) in &uses {
        let note = merge_uses(texts);
        mitigation_techniques[m].insert(&data.techniques[t].common.id, (t, note.clone()));
        technique_mitigations[t].insert(&data.mitigations[m].common.id, (m, note));
    }
    let mut technique_cases: Vec<BTreeMap<&str, usize>> =
        vec![BTreeMap::new(); data.techniques.len()];
    let mut step_targets: Vec<Vec<Option<usize>>> = Vec::with_capacity(data.case_studies.len());
    // Each step's tactic, when it is a tactic of the file.
    let mut step_tactics: Vec<Vec<Option<usize>>> = Vec::with_capacity(data.case_studies.len());
    for (c, cs) in data.case_studies.iter().enumerate() {
        let mut targets = Vec::with_capacity(cs.procedure.len());
        let mut tactics = Vec::with_capacity(cs.procedure.len());
        for step in &cs.procedure {
            let tactic = step.tactic.as_deref().and_then(|id| {
                let found = tactic_index.get(id).copied();
                if found.is_none() {
                    b.report(
                        step.span,
                        format!(
                            "case study `{}` gives a step the tactic `{id}`, which is no tactic \
                             in the file",
                            cs.common.id
                        ),
                    );
                }
                found
            });
            tactics.push(tactic);
            let found = technique_index.get(step.technique.as_str()).copied();
            match found {
                Some(t) => {
                    technique_cases[t].insert(&cs.common.id, c);
                }
                None => b.report(
                    step.span,
                    format!(
                        "case study `{}` uses the technique `{}`, which is no technique in the \
                         file",
                        cs.common.id, step.technique
                    ),
                ),
            }
            targets.push(found);
        }
        step_targets.push(targets);
        step_tactics.push(tactics);
    }

    // Pages.
    let mut pages = Vec::new();
    for (i, t) in data.tactics.iter().enumerate() {
        let node = &tactic_nodes[i];
        let mut meta = vec![meta_line(vocabulary.import_id_key(PageKind::Tactic), &t.id)];
        dates(&mut meta, t);
        attack(&mut meta, t.attack.as_ref());
        let mut sections = Vec::new();
        let links: Vec<String> = tactic_techniques[i]
            .values()
            .map(|&x| technique_nodes[x].link())
            .collect();
        section(
            &mut sections,
            listed(RelationKind::TechniqueTactic, false),
            &links,
        );
        references(&mut sections, &t.references);
        let position = t.order + 1;
        pages.push(page(
            vocabulary,
            node,
            PageKind::Tactic,
            t,
            position,
            meta,
            sections,
        ));
    }
    for (i, t) in data.techniques.iter().enumerate() {
        let node = &technique_nodes[i];
        let c = &t.common;
        let kind = if t.parent.is_some() {
            PageKind::SubTechnique
        } else {
            PageKind::Technique
        };
        let mut meta = vec![meta_line(vocabulary.import_id_key(kind), &c.id)];
        dates(&mut meta, c);
        if let Some(m) = &t.maturity {
            meta.push(meta_line(keys::MATURITY, m));
        }
        attack(&mut meta, c.attack.as_ref());
        let mut sections = Vec::new();
        if let Some(parent_id) = &t.parent {
            let name = parents[i].map(|p| &data.techniques[p].common.name);
            let key = vocabulary.import_parent_key();
            let line = match name {
                Some(name) => format!("**{key}:** {} — {}", one_line(parent_id), label_text(name)),
                None => format!("**{key}:** {}", one_line(parent_id)),
            };
            sections.push(format!("## {key}\n\n{line}"));
        }
        let links: Vec<String> = children[i]
            .values()
            .map(|&x| technique_nodes[x].link())
            .collect();
        section(
            &mut sections,
            &vocabulary.kind(PageKind::SubTechnique).plural,
            &links,
        );
        let links: Vec<String> = tactics_of[i]
            .iter()
            .map(|&x| tactic_nodes[x].link())
            .collect();
        section(
            &mut sections,
            listed(RelationKind::TechniqueTactic, true),
            &links,
        );
        let links: Vec<String> = technique_mitigations[i]
            .values()
            .map(|(m, note)| with_note(mitigation_nodes[*m].link(), note))
            .collect();
        section(
            &mut sections,
            listed(RelationKind::TechniqueMitigation, true),
            &links,
        );
        let links: Vec<String> = technique_cases[i]
            .values()
            .map(|&x| case_nodes[x].link())
            .collect();
        section(
            &mut sections,
            listed(RelationKind::TechniqueCaseStudy, true),
            &links,
        );
        references(&mut sections, &c.references);
        let position = technique_position(&c.id).unwrap_or(1_000_000 + c.order);
        pages.push(page(vocabulary, node, kind, c, position, meta, sections));
    }
    for (i, m) in data.mitigations.iter().enumerate() {
        let node = &mitigation_nodes[i];
        let c = &m.common;
        let mut meta = vec![meta_line(
            vocabulary.import_id_key(PageKind::Mitigation),
            &c.id,
        )];
        dates(&mut meta, c);
        if !m.category.is_empty() {
            meta.push(meta_line(keys::CATEGORY, &m.category.join(", ")));
        }
        if !m.lifecycle.is_empty() {
            meta.push(meta_line(keys::LIFECYCLE, &m.lifecycle.join(", ")));
        }
        attack(&mut meta, c.attack.as_ref());
        let mut sections = Vec::new();
        let links: Vec<String> = mitigation_techniques[i]
            .values()
            .map(|(t, note)| with_note(technique_nodes[*t].link(), note))
            .collect();
        section(
            &mut sections,
            listed(RelationKind::TechniqueMitigation, false),
            &links,
        );
        references(&mut sections, &c.references);
        pages.push(page(
            vocabulary,
            node,
            PageKind::Mitigation,
            c,
            c.order + 1,
            meta,
            sections,
        ));
    }
    for (i, cs) in data.case_studies.iter().enumerate() {
        let node = &case_nodes[i];
        let c = &cs.common;
        let mut meta = vec![meta_line(
            vocabulary.import_id_key(PageKind::CaseStudy),
            &c.id,
        )];
        if let Some(date) = &cs.incident_date {
            meta.push(meta_line(
                keys::INCIDENT_DATE,
                &incident_date(date, cs.granularity.as_deref()),
            ));
        }
        for (label, value) in [
            (keys::CASE_TYPE, &cs.case_type),
            (keys::TARGET, &cs.target),
            (keys::ACTOR, &cs.actor),
            (keys::REPORTER, &cs.reporter),
        ] {
            if let Some(v) = value {
                meta.push(meta_line(label, v));
            }
        }
        dates(&mut meta, c);
        let mut sections = Vec::new();
        if !cs.procedure.is_empty() {
            let mut steps = vec![format!("## {}", vocabulary.step_section())];
            let step_key = &vocabulary.metadata().step_key;
            let tactic_key = &vocabulary.metadata().step_tactic_key;
            let targets = step_targets[i].iter().zip(&step_tactics[i]);
            for (n, (step, (target, tactic))) in cs.procedure.iter().zip(targets).enumerate() {
                let (title, technique) = match target {
                    Some(t) => {
                        let node = &technique_nodes[*t];
                        (label_text(&node.name), node.link())
                    }
                    None => (one_line(&step.technique), one_line(&step.technique)),
                };
                let mut block = format!("### {} {}: {title}\n\n", headings::STEP, n + 1);
                if let Some(t) = tactic {
                    let tactic = tactic_nodes[*t].link();
                    block.push_str(&format!("**{tactic_key}:** {tactic}\n\n"));
                }
                block.push_str(&format!("**{step_key}:** {technique}"));
                let description = body_text(&step.description);
                if !description.is_empty() {
                    block.push_str("\n\n");
                    block.push_str(&description);
                }
                steps.push(block);
            }
            sections.push(steps.join("\n\n"));
        }
        references(&mut sections, &c.references);
        pages.push(page(
            vocabulary,
            node,
            PageKind::CaseStudy,
            c,
            c.order + 1,
            meta,
            sections,
        ));
    }
    (pages, b.diagnostics)
}

struct Builder<'a> {
    file: &'a str,
    diagnostics: Vec<Diagnostic>,
    /// Page paths (without `.md`) already given out.
    taken: HashSet<String>,
}

impl Builder<'_> {
    fn report(&mut self, span: Span, message: String) {
        self.diagnostics.push(Diagnostic::new(
            Code::InvalidAtlasData,
            self.file,
            span,
            1,
            message,
        ));
    }

    /// Places a page, adding the ID to its name if another kind already has that path.
    /// Nodes for objects that all live in one folder under the ATLAS root (tactics,
    /// mitigations, case studies): kebab-case names, with IDs added where names collide.
    fn flat_nodes<'o>(
        &mut self,
        objects: impl Iterator<Item = (&'o str, &'o str)>,
        folder: &str,
    ) -> Vec<Node> {
        let objects: Vec<(&str, &str)> = objects.collect();
        let bases: Vec<String> = objects.iter().map(|(_, name)| kebab(name)).collect();
        let ids: Vec<&str> = objects.iter().map(|(id, _)| *id).collect();
        objects
            .iter()
            .zip(stems(&bases, &ids))
            .map(|((id, name), stem)| self.node(id, name, stem, format!("{ROOT}/{folder}")))
            .collect()
    }

    fn node(&mut self, id: &str, name: &str, stem: String, dir: String) -> Node {
        let mut node = Node {
            id: id.to_string(),
            name: name.to_string(),
            stem,
            dir,
        };
        let base = node.stem.clone();
        let mut n = 1;
        while !self.taken.insert(node.target()) {
            node.stem = if n == 1 {
                format!("{base}-{}", id_slug(id))
            } else {
                format!("{base}-{}-{n}", id_slug(id))
            };
            n += 1;
        }
        node
    }
}

/// The node of a technique that could not be named (not reached: every technique is either
/// a top-level technique or a sub-technique).
fn fallback_node(c: &Common, technique_folder: &str) -> Node {
    Node {
        id: c.id.clone(),
        name: c.name.clone(),
        stem: id_slug(&c.id),
        dir: format!("{ROOT}/{technique_folder}/uncategorized"),
    }
}

/// File stems for objects of one kind: the kebab-case name, with the ID added to every name
/// that several objects share (and used alone when the name has no usable character).
fn stems(bases: &[String], ids: &[&str]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for b in bases {
        *count.entry(b.as_str()).or_default() += 1;
    }
    bases
        .iter()
        .zip(ids)
        .map(|(base, id)| {
            let slug = id_slug(id);
            if base.is_empty() {
                if slug.is_empty() {
                    "page".to_string()
                } else {
                    slug
                }
            } else if count.get(base.as_str()).copied().unwrap_or(0) > 1 {
                format!("{base}-{slug}")
            } else {
                base.clone()
            }
        })
        .collect()
}

fn page(
    vocabulary: &Vocabulary,
    node: &Node,
    kind: PageKind,
    c: &Common,
    position: usize,
    meta: Vec<String>,
    sections: Vec<String>,
) -> Page {
    let title = format!("{}: {}", one_line(&c.id), one_line(&c.name));
    let mut blocks = vec![
        format!(
            "---\nid: {}\ntitle: {}\nsidebar_label: {}\nsidebar_position: {position}\ntype: {}\n{GENERATOR}\n---",
            node.stem,
            quote(&title),
            quote(&one_line(&c.name)),
            kind.slug(),
        ),
        format!("# {}: {}", one_line(&c.id), label_text(&c.name)),
    ];
    let description = body_text(&c.description);
    if !description.is_empty() {
        blocks.push(description);
    }
    blocks.push(format!(
        "## {}\n\n{}",
        vocabulary.metadata().section,
        meta.join("\n")
    ));
    blocks.extend(sections);
    let mut content = blocks.join("\n\n");
    content.push('\n');
    Page {
        path: format!("{}.md", node.target()),
        kind,
        content,
    }
}

fn meta_line(label: &str, value: &str) -> String {
    format!("- **{label}:** {}", inline(value))
}

fn dates(meta: &mut Vec<String>, c: &Common) {
    if let Some(d) = &c.created {
        meta.push(meta_line(keys::CREATED, &date(d)));
    }
    if let Some(d) = &c.modified {
        meta.push(meta_line(keys::MODIFIED, &date(d)));
    }
}

fn attack(meta: &mut Vec<String>, r: Option<&AttackRef>) {
    if let Some(r) = r {
        let value = match &r.url {
            Some(url) => format!("[{}]({})", label_text(&r.id), url_text(url)),
            None => label_text(&r.id),
        };
        meta.push(format!("- **{}:** {value}", keys::ATTACK_REFERENCE));
    }
}

/// `## Name (N)` and one bullet per link; nothing when there are none.
fn section(sections: &mut Vec<String>, name: &str, links: &[String]) {
    if links.is_empty() {
        return;
    }
    let bullets: Vec<String> = links.iter().map(|l| format!("- {l}")).collect();
    sections.push(format!(
        "## {name} ({})\n\n{}",
        links.len(),
        bullets.join("\n")
    ));
}

fn with_note(link: String, note: &str) -> String {
    if note.is_empty() {
        link
    } else {
        format!("{link} — {note}")
    }
}

fn references(sections: &mut Vec<String>, refs: &[Reference]) {
    let bullets: Vec<String> = refs
        .iter()
        .map(|r| {
            let title = r.title.as_deref().or(r.url.as_deref()).unwrap_or_default();
            let title = one_line(title).replace('[', "\\[").replace(']', "\\]");
            match &r.url {
                Some(url) => format!("- [{title}]({})", url_text(url)),
                None => format!("- {title}"),
            }
        })
        .collect();
    if !bullets.is_empty() {
        sections.push(format!(
            "## {}\n\n{}",
            headings::REFERENCES,
            bullets.join("\n")
        ));
    }
}

/// The use texts one mitigation gives one technique, on one line. The data sometimes lists
/// a pair twice with two texts; both are kept, in file order.
fn merge_uses(texts: &[&str]) -> String {
    let mut out = String::new();
    let mut seen = BTreeSet::new();
    for t in texts {
        let t = inline(t);
        if t.is_empty() || !seen.insert(t.clone()) {
            continue;
        }
        if !out.is_empty() {
            let sentence_end = out.ends_with(['.', '!', '?', ':', ';']);
            out.push_str(if sentence_end { " " } else { "; " });
        }
        out.push_str(&t);
    }
    out
}

/// A date as `YYYY-MM-DD` when it starts with one, else the value on one line.
fn date(value: &str) -> String {
    let v = value.trim();
    match v.get(..10) {
        Some(d) if is_date(d) => d.to_string(),
        _ => one_line(v),
    }
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// An incident date written only as precisely as the data knows it.
fn incident_date(value: &str, granularity: Option<&str>) -> String {
    let d = date(value);
    if !is_date(&d) {
        return d;
    }
    match granularity
        .map(|g| g.trim().to_ascii_uppercase())
        .as_deref()
    {
        Some("YEAR") => d[..4].to_string(),
        Some("MONTH") => d[..7].to_string(),
        _ => d,
    }
}

/// `AML.T0011` -> 11000, `AML.T0011.000` -> 11001: parents sort before their children.
fn technique_position(id: &str) -> Option<usize> {
    let mut parts = id.rsplit('.');
    let last = parts.next()?;
    let (number, sub) = match last.strip_prefix('T') {
        Some(n) => (n, None),
        None => (parts.next()?.strip_prefix('T')?, Some(last)),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.len() > 6 {
        return None;
    }
    let n: usize = number.parse().ok()?;
    let s = match sub {
        None => 0,
        Some(s) if !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<usize>().ok()? + 1
        }
        Some(_) => return None,
    };
    Some(n * 1000 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_positions_follow_ids() {
        assert_eq!(technique_position("AML.T0011"), Some(11000));
        assert_eq!(technique_position("AML.T0011.000"), Some(11001));
        assert_eq!(technique_position("AML.VER1.T0002.010"), Some(2011));
        assert_eq!(technique_position("AML.M0002"), None);
        assert_eq!(technique_position("T"), None);
    }

    #[test]
    fn stems_add_ids_to_shared_names() {
        let bases = vec![
            "a".to_string(),
            "b".to_string(),
            "a".to_string(),
            String::new(),
        ];
        let ids = ["AML.T0001", "AML.T0002", "AML.T0003", "AML.T0004"];
        assert_eq!(
            stems(&bases, &ids),
            ["a-aml-t0001", "b", "a-aml-t0003", "aml-t0004"]
        );
    }

    #[test]
    fn incident_dates_keep_their_precision() {
        assert_eq!(incident_date("2020-01-01", Some("YEAR")), "2020");
        assert_eq!(incident_date("2020-04-16", Some("MONTH")), "2020-04");
        assert_eq!(incident_date("2020-04-16", Some("DATE")), "2020-04-16");
        assert_eq!(incident_date("sometime", Some("YEAR")), "sometime");
    }

    #[test]
    fn repeated_pairs_keep_both_use_texts() {
        assert_eq!(merge_uses(&["One\n  - a\n", "Two."]), "One - a; Two.");
        assert_eq!(merge_uses(&["One.", "One.", ""]), "One.");
    }
}
