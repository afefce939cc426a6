//! `ATLAS.yaml` text -> typed objects. Reads the layout of the 4.x and 5.x releases: a
//! top-level `matrices:` list whose entries hold `tactics`, `techniques` and (from 4.4)
//! `mitigations`, and top-level `case-studies`. Problems with single objects become
//! diagnostics at the object's line; only a file that is not ATLAS data at all is an error.

use super::locate::{index, key, Locator, Seg, YamlPath};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::error::{Error, Result};
use crate::source::{LineIndex, Span};
use serde_yaml::{Mapping, Value};
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttackRef {
    pub id: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub title: Option<String>,
    pub url: Option<String>,
}

/// Fields every object has.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub id: String,
    pub name: String,
    /// `description`, or a case study's `summary`.
    pub description: String,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub attack: Option<AttackRef>,
    pub references: Vec<Reference>,
    /// 0-based position among the objects of its kind, in file order.
    pub order: usize,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Technique {
    pub common: Common,
    pub maturity: Option<String>,
    pub tactics: Vec<(String, Span)>,
    pub parent: Option<String>,
    /// Where `subtechnique-of` is written.
    pub parent_span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct TechniqueUse {
    pub technique: String,
    pub use_text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct Mitigation {
    pub common: Common,
    pub category: Vec<String>,
    pub lifecycle: Vec<String>,
    pub techniques: Vec<TechniqueUse>,
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub technique: String,
    /// The tactic the step served, if the file gives one.
    pub tactic: Option<String>,
    pub description: String,
    /// Where the step's `technique` is written.
    pub span: Span,
}

#[derive(Debug, Clone)]
pub(crate) struct CaseStudy {
    pub common: Common,
    pub incident_date: Option<String>,
    pub granularity: Option<String>,
    pub case_type: Option<String>,
    pub target: Option<String>,
    pub actor: Option<String>,
    pub reporter: Option<String>,
    pub procedure: Vec<Step>,
}

#[derive(Debug, Default)]
pub(crate) struct AtlasData {
    pub tactics: Vec<Common>,
    pub techniques: Vec<Technique>,
    pub mitigations: Vec<Mitigation>,
    pub case_studies: Vec<CaseStudy>,
}

/// Parses `text` (the contents of the file shown as `file` in messages).
pub(crate) fn parse(text: &str, file: &str) -> Result<(AtlasData, Vec<Diagnostic>)> {
    let mut value: Value = serde_yaml::from_str(text)
        .map_err(|e| Error::Import(format!("`{file}` is not ATLAS data: not valid YAML: {e}")))?;
    value
        .apply_merge()
        .map_err(|e| Error::Import(format!("`{file}` is not ATLAS data: {e}")))?;
    let not_atlas = |why: &str| {
        Error::Import(format!(
            "`{file}` is not ATLAS data: {why} (expected the ATLAS.yaml of an ATLAS data \
             release, 4.x or later, with a top-level `matrices:` list)"
        ))
    };
    let root = value
        .as_mapping()
        .ok_or_else(|| not_atlas("the top level is not a mapping"))?;

    let mut p = Parser {
        file,
        locator: Locator::new(text),
        data: AtlasData::default(),
        diagnostics: Vec::new(),
        seen: HashSet::new(),
        said_missing: Vec::new(),
    };

    let root_path: YamlPath = Vec::new();
    match root.get("matrices") {
        Some(Value::Sequence(matrices)) => {
            let usable = matrices.iter().any(|m| {
                m.as_mapping()
                    .is_some_and(|m| m.contains_key("tactics") || m.contains_key("techniques"))
            });
            if !usable {
                return Err(not_atlas(
                    "no entry of `matrices` has tactics or techniques",
                ));
            }
            for field in ["id", "name", "version"] {
                if !root.contains_key(field) {
                    p.missing_top(field);
                }
            }
            for (i, matrix) in matrices.iter().enumerate() {
                let path = index(&key(&root_path, "matrices"), i);
                match matrix.as_mapping() {
                    Some(m) => {
                        for field in ["tactics", "techniques"] {
                            if !m.contains_key(field) {
                                p.said_missing.push(field);
                                let span = p.locator.object(&path, None);
                                p.report(
                                    span,
                                    format!("matrix {} has no `{field}` list", i + 1),
                                    Severity::Error,
                                );
                            }
                        }
                        p.lists(m, &path, &[]);
                    }
                    None => {
                        let span = p.locator.object(&path, None);
                        p.report(
                            span,
                            format!("matrix {} is not a mapping; skipped", i + 1),
                            Severity::Error,
                        );
                    }
                }
            }
            p.lists(root, &root_path, &["matrices"]);
        }
        Some(_) => return Err(not_atlas("`matrices` is not a list")),
        None => return Err(not_atlas("there is no `matrices` list")),
    }
    p.missing_sections(text);
    p.route_links(text);
    Ok((p.data, p.diagnostics))
}

struct Parser<'a> {
    file: &'a str,
    locator: Locator<'a>,
    data: AtlasData,
    diagnostics: Vec<Diagnostic>,
    /// IDs already taken, for duplicates.
    seen: HashSet<String>,
    /// Lists a matrix lacks, already reported.
    said_missing: Vec<&'static str>,
}

/// The object type a list under this key holds, for objects without an `object-type`.
fn kind_of_list(list: &str) -> Option<&'static str> {
    match list {
        "tactics" => Some("tactic"),
        "techniques" => Some("technique"),
        "mitigations" => Some("mitigation"),
        "case-studies" => Some("case-study"),
        _ => None,
    }
}

impl Parser<'_> {
    fn report(&mut self, span: Span, message: String, severity: Severity) {
        let mut d = Diagnostic::new(Code::InvalidAtlasData, self.file, span, 1, message);
        d.severity = severity;
        self.diagnostics.push(d);
    }

    /// Every ATLAS release has tactics, techniques, mitigations and case studies; a file
    /// without some (most often one cut short, which can still parse) is said so at its
    /// last line, with where the data has them.
    fn missing_sections(&mut self, text: &str) {
        let found = [
            (
                "tactics",
                self.data.tactics.is_empty(),
                "a matrix's `tactics:` list",
            ),
            (
                "techniques",
                self.data.techniques.is_empty(),
                "a matrix's `techniques:` list",
            ),
            (
                "mitigations",
                self.data.mitigations.is_empty(),
                "a matrix's `mitigations:` list",
            ),
            (
                "case studies",
                self.data.case_studies.is_empty(),
                "a top-level `case-studies:` list",
            ),
        ];
        let last = LineIndex::new(text).span(text, text.trim_end().len());
        let last = Span::new(last.line, 1);
        for (what, none, where_kept) in found {
            if !none || self.said_missing.contains(&what) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::InvalidAtlasData,
                self.file,
                last,
                1,
                format!("the file has no {what}; ATLAS data keeps them in {where_kept}"),
            )
            .with_help(format!(
                "pages are written for what the file has; if it was cut short (it ends at \
                 line {}), download it again",
                last.line
            ));
            d.severity = Severity::Warning;
            self.diagnostics.push(d);
        }
    }

    /// Route links in descriptions (`[x](/techniques/AML.T0010)`) to IDs the file does not
    /// have: the page would hold a broken link. Each is said at its place in the YAML.
    fn route_links(&mut self, text: &str) {
        let data = &self.data;
        let ids: HashSet<&str> = data
            .tactics
            .iter()
            .chain(data.techniques.iter().map(|t| &t.common))
            .chain(data.mitigations.iter().map(|m| &m.common))
            .chain(data.case_studies.iter().map(|c| &c.common))
            .map(|c| c.id.as_str())
            .collect();
        // Each piece of prose, with whose it is and the line it is written from.
        let mut prose: Vec<(&str, &str, Span)> = Vec::new();
        for common in data
            .tactics
            .iter()
            .chain(data.techniques.iter().map(|t| &t.common))
        {
            prose.push((&common.id, &common.description, common.span));
        }
        for m in &data.mitigations {
            prose.push((&m.common.id, &m.common.description, m.common.span));
            for u in &m.techniques {
                prose.push((&m.common.id, &u.use_text, u.span));
            }
        }
        for cs in &data.case_studies {
            prose.push((&cs.common.id, &cs.common.description, cs.common.span));
            for step in &cs.procedure {
                prose.push((&cs.common.id, &step.description, step.span));
            }
        }
        let lines = LineIndex::new(text);
        let mut found = Vec::new();
        for (owner, words, from) in prose {
            for link in route_destinations(words) {
                let path = link.split('#').next().unwrap_or(&link);
                let Some((_, id)) = crate::graph::route(path) else {
                    continue;
                };
                if ids.contains(&*id) {
                    continue;
                }
                let start = lines.line_start(text, from.line);
                let at = text[start..]
                    .find(path)
                    .map_or(from, |i| lines.span(text, start + i));
                let mut d = Diagnostic::new(
                    Code::InvalidAtlasData,
                    self.file,
                    at,
                    path.chars().count(),
                    format!("`{owner}` links `{path}`, but the file has no object `{id}`"),
                )
                .with_help(
                    "the page will hold a broken link; ATLAS data links only IDs it defines",
                );
                d.severity = Severity::Warning;
                found.push(d);
            }
        }
        self.diagnostics.extend(found);
    }

    fn missing_top(&mut self, field: &str) {
        self.report(
            Span::new(1, 1),
            format!("the file has no top-level `{field}`"),
            Severity::Warning,
        );
    }

    /// Reads every list of objects in `map` (a matrix, or the top level) in file order.
    fn lists(&mut self, map: &Mapping, path: &[Seg], skip: &[&str]) {
        for (k, v) in map {
            let (Some(name), Some(items)) = (k.as_str(), v.as_sequence()) else {
                continue;
            };
            if skip.contains(&name) {
                continue;
            }
            let list_path = key(path, name);
            let implied = kind_of_list(name);
            for (i, item) in items.iter().enumerate() {
                let item_path = index(&list_path, i);
                match item.as_mapping() {
                    Some(obj) if implied.is_some() || obj.contains_key("object-type") => {
                        self.object(obj, &item_path, name, implied);
                    }
                    Some(_) => {}
                    None if implied.is_some() => {
                        let span = self.locator.object(&item_path, None);
                        self.report(
                            span,
                            format!("entry {} of `{name}` is not a mapping; skipped", i + 1),
                            Severity::Error,
                        );
                    }
                    None => {}
                }
            }
        }
    }

    fn object(&mut self, obj: &Mapping, path: &[Seg], list: &str, implied: Option<&str>) {
        let id = text(obj.get("id"));
        let span = self.locator.object(path, id.as_deref());
        let what = id
            .as_deref()
            .map_or_else(|| format!("an entry of `{list}`"), |id| format!("`{id}`"));
        let object_type = match text(obj.get("object-type")) {
            Some(t) => t,
            None => {
                let Some(implied) = implied else { return };
                self.report(
                    span,
                    format!(
                        "{what} has no `object-type`; read as a {implied} from its list `{list}`"
                    ),
                    Severity::Warning,
                );
                implied.to_string()
            }
        };
        if !matches!(
            object_type.as_str(),
            "tactic" | "technique" | "mitigation" | "case-study"
        ) {
            let span = self.locator.field(path, "object-type", id.as_deref());
            self.report(
                span,
                format!(
                    "{what} has the unknown object type `{object_type}`; skipped (import knows \
                     tactic, technique, mitigation and case-study)"
                ),
                Severity::Error,
            );
            return;
        }
        let Some(id) = self.required(obj, path, "id", &what, &object_type, span) else {
            return;
        };
        let what = format!("{object_type} `{id}`");
        let Some(name) = self.required(obj, path, "name", &what, &object_type, span) else {
            return;
        };
        if !self.seen.insert(id.clone()) {
            self.report(
                span,
                format!("{what} appears again; this copy is skipped"),
                Severity::Error,
            );
            return;
        }
        let text_key = if object_type == "case-study" {
            "summary"
        } else {
            "description"
        };
        let description = self
            .required(obj, path, text_key, &what, &object_type, span)
            .unwrap_or_default();
        let order = match object_type.as_str() {
            "tactic" => self.data.tactics.len(),
            "technique" => self.data.techniques.len(),
            "mitigation" => self.data.mitigations.len(),
            _ => self.data.case_studies.len(),
        };
        let common = Common {
            created: self.optional(obj, path, "created_date", &what, &id),
            modified: self.optional(obj, path, "modified_date", &what, &id),
            attack: self.attack(obj, path, &what, &id),
            references: self.references(obj, path, &what, &id),
            id,
            name,
            description,
            order,
            span,
        };
        match object_type.as_str() {
            "tactic" => self.data.tactics.push(common),
            "technique" => self.technique(obj, path, common),
            "mitigation" => self.mitigation(obj, path, common),
            _ => self.case_study(obj, path, common),
        }
    }

    fn technique(&mut self, obj: &Mapping, path: &[Seg], common: Common) {
        let what = format!("technique `{}`", common.id);
        let parent = self.optional(obj, path, "subtechnique-of", &what, &common.id);
        let parent_span = self
            .locator
            .find(&key(path, "subtechnique-of"))
            .unwrap_or(common.span);
        let mut tactics = Vec::new();
        match obj.get("tactics") {
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = index(&key(path, "tactics"), i);
                    let span = self.locator.find(&item_path).unwrap_or(common.span);
                    match text(Some(item)) {
                        Some(t) => tactics.push((t, span)),
                        None => self.report(
                            span,
                            format!("{what}: tactic {} is not an ID; skipped", i + 1),
                            Severity::Error,
                        ),
                    }
                }
            }
            Some(_) => {
                let span = self.locator.field(path, "tactics", Some(&common.id));
                self.report(
                    span,
                    format!("{what}: `tactics` is not a list"),
                    Severity::Error,
                );
            }
            None if parent.is_none() => self.report(
                common.span,
                format!("{what} has no `tactics` and is no sub-technique (`subtechnique-of`)"),
                Severity::Error,
            ),
            None => {}
        }
        let maturity = self.optional(obj, path, "maturity", &what, &common.id);
        self.data.techniques.push(Technique {
            common,
            maturity,
            tactics,
            parent,
            parent_span,
        });
    }

    fn mitigation(&mut self, obj: &Mapping, path: &[Seg], common: Common) {
        let what = format!("mitigation `{}`", common.id);
        let category = self.text_list(obj, path, "category", &what, &common.id);
        let lifecycle = self.text_list(obj, path, "ml-lifecycle", &what, &common.id);
        let mut techniques = Vec::new();
        match obj.get("techniques") {
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let item_path = index(&key(path, "techniques"), i);
                    let span = self.locator.object(&item_path, Some(&common.id));
                    // 4.4 listed bare IDs; later releases give `{id, use}`.
                    let entry = match item {
                        Value::Mapping(m) => text(m.get("id")).map(|id| {
                            let use_text = text(m.get("use")).unwrap_or_default();
                            (id, use_text)
                        }),
                        other => text(Some(other)).map(|id| (id, String::new())),
                    };
                    match entry {
                        Some((technique, use_text)) => techniques.push(TechniqueUse {
                            technique,
                            use_text,
                            span,
                        }),
                        None => self.report(
                            span,
                            format!("{what}: technique entry {} has no `id`; skipped", i + 1),
                            Severity::Error,
                        ),
                    }
                }
            }
            Some(Value::Null) | None => {}
            Some(_) => {
                let span = self.locator.field(path, "techniques", Some(&common.id));
                self.report(
                    span,
                    format!("{what}: `techniques` is not a list"),
                    Severity::Error,
                );
            }
        }
        self.data.mitigations.push(Mitigation {
            common,
            category,
            lifecycle,
            techniques,
        });
    }

    fn case_study(&mut self, obj: &Mapping, path: &[Seg], common: Common) {
        let what = format!("case study `{}`", common.id);
        let id = common.id.clone();
        let span = common.span;
        let incident_date = self.required(obj, path, "incident-date", &what, "case-study", span);
        let granularity = self.required(
            obj,
            path,
            "incident-date-granularity",
            &what,
            "case-study",
            span,
        );
        let case_type = self.optional(obj, path, "case-study-type", &what, &id);
        let target = self.optional(obj, path, "target", &what, &id);
        let actor = self.optional(obj, path, "actor", &what, &id);
        // Before 4.1 the field was `reported-by`.
        let reporter = self
            .optional(obj, path, "reporter", &what, &id)
            .or_else(|| self.optional(obj, path, "reported-by", &what, &id));
        let mut procedure = Vec::new();
        match obj.get("procedure") {
            Some(Value::Sequence(steps)) => {
                for (i, step) in steps.iter().enumerate() {
                    let step_path = index(&key(path, "procedure"), i);
                    let step_span = self
                        .locator
                        .find(&step_path)
                        .unwrap_or_else(|| self.locator.object(path, Some(&id)));
                    let Some(step) = step.as_mapping() else {
                        self.report(
                            step_span,
                            format!("{what}: procedure step {} is not a mapping; skipped", i + 1),
                            Severity::Error,
                        );
                        continue;
                    };
                    let step_what = format!("{what}, procedure step {}", i + 1);
                    let field = |p: &mut Self, name: &str| {
                        let value = text(step.get(name));
                        if value.is_none() {
                            p.report(
                                step_span,
                                format!("{step_what} has no `{name}`"),
                                Severity::Error,
                            );
                        }
                        value
                    };
                    let technique = field(self, "technique");
                    let tactic = field(self, "tactic");
                    let description = field(self, "description").unwrap_or_default();
                    if let Some(technique) = technique {
                        let span = self
                            .locator
                            .find(&key(&step_path, "technique"))
                            .unwrap_or(step_span);
                        procedure.push(Step {
                            technique,
                            tactic,
                            description,
                            span,
                        });
                    }
                }
            }
            Some(_) => {
                let span = self.locator.field(path, "procedure", Some(&id));
                self.report(
                    span,
                    format!("{what}: `procedure` is not a list"),
                    Severity::Error,
                );
            }
            None => self.report(span, format!("{what} has no `procedure`"), Severity::Error),
        }
        self.data.case_studies.push(CaseStudy {
            common,
            incident_date,
            granularity,
            case_type,
            target,
            actor,
            reporter,
            procedure,
        });
    }

    /// A field the schema requires: reported when missing or not text.
    fn required(
        &mut self,
        obj: &Mapping,
        path: &[Seg],
        field: &str,
        what: &str,
        object_type: &str,
        span: Span,
    ) -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) => {
                self.report(
                    span,
                    format!("{what} has no `{field}`, which every {object_type} needs"),
                    Severity::Error,
                );
                None
            }
            Some(v) => {
                let t = text(Some(v));
                if t.is_none() {
                    let span = self.locator.find(&key(path, field)).unwrap_or(span);
                    self.report(
                        span,
                        format!("{what}: `{field}` is not text"),
                        Severity::Error,
                    );
                }
                t
            }
        }
    }

    /// A field that may be absent, but must be text when present.
    fn optional(
        &mut self,
        obj: &Mapping,
        path: &[Seg],
        field: &str,
        what: &str,
        id: &str,
    ) -> Option<String> {
        let v = obj.get(field)?;
        if v.is_null() {
            return None;
        }
        let t = text(Some(v));
        if t.is_none() {
            let span = self.locator.field(path, field, Some(id));
            self.report(
                span,
                format!("{what}: `{field}` is not text; ignored"),
                Severity::Warning,
            );
        }
        t
    }

    /// A field holding text or a list of texts.
    fn text_list(
        &mut self,
        obj: &Mapping,
        path: &[Seg],
        field: &str,
        what: &str,
        id: &str,
    ) -> Vec<String> {
        match obj.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
            Some(v) => match text(Some(v)) {
                Some(t) => vec![t],
                None => {
                    let span = self.locator.field(path, field, Some(id));
                    self.report(
                        span,
                        format!("{what}: `{field}` is not text or a list; ignored"),
                        Severity::Warning,
                    );
                    Vec::new()
                }
            },
        }
    }

    fn attack(&mut self, obj: &Mapping, path: &[Seg], what: &str, id: &str) -> Option<AttackRef> {
        let v = obj.get("ATT&CK-reference")?;
        let m = v.as_mapping();
        match m.and_then(|m| text(m.get("id"))) {
            Some(attack_id) => Some(AttackRef {
                id: attack_id,
                url: m.and_then(|m| text(m.get("url"))),
            }),
            None => {
                let span = self.locator.field(path, "ATT&CK-reference", Some(id));
                self.report(
                    span,
                    format!("{what}: `ATT&CK-reference` has no `id`; ignored"),
                    Severity::Warning,
                );
                None
            }
        }
    }

    fn references(&mut self, obj: &Mapping, path: &[Seg], what: &str, id: &str) -> Vec<Reference> {
        match obj.get("references") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|r| {
                    let m = r.as_mapping()?;
                    let title = text(m.get("title")).filter(|t| !t.trim().is_empty());
                    let url = text(m.get("url")).filter(|u| !u.trim().is_empty());
                    (title.is_some() || url.is_some()).then_some(Reference { title, url })
                })
                .collect(),
            Some(_) => {
                let span = self.locator.field(path, "references", Some(id));
                self.report(
                    span,
                    format!("{what}: `references` is not a list; ignored"),
                    Severity::Warning,
                );
                Vec::new()
            }
        }
    }
}

/// A scalar as text: strings as they are, numbers and booleans written out (a date stays the
/// string YAML wrote). Mappings, lists and null are not text.
/// The destinations of the links in a piece of markdown prose.
fn route_destinations(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new_ext(markdown, crate::syntax::markdown_options())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => text(Some(&t.value)),
        _ => None,
    }
}
