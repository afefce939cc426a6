//! The ATLAS vocabulary as data: page kinds (ID shapes, folders, `type:` values and tags,
//! labels), relation kinds with the section names each side lists them under, the ATLAS
//! website's routes, and metadata keys. [`Vocabulary::default`] holds what real ATLAS vaults
//! use; a site's `[schema]` adds to it or replaces parts of it ([`SchemaSettings`]). The
//! scanner, the graph, `check`, the renderer and the importer all read their words from here.

use serde::Serialize;
use std::fmt;

/// What a page is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PageKind {
    /// An ATLAS tactic (`AML.TA0005`).
    Tactic,
    /// An ATLAS technique (`AML.T0011`).
    Technique,
    /// An ATLAS sub-technique (`AML.T0011.000`).
    SubTechnique,
    /// An ATLAS mitigation (`AML.M0013`).
    Mitigation,
    /// An ATLAS case study (`AML.CS0031`).
    CaseStudy,
    /// Any other page of the vault.
    Note,
}

impl PageKind {
    /// Every kind, in display order.
    pub const ALL: [PageKind; 6] = [
        PageKind::Tactic,
        PageKind::Technique,
        PageKind::SubTechnique,
        PageKind::Mitigation,
        PageKind::CaseStudy,
        PageKind::Note,
    ];

    /// `case-study`, `sub-technique`, ...: the kind's name in `[schema.kinds.*]`, in CSS
    /// classes and in JSON.
    pub fn slug(self) -> &'static str {
        KIND_WORDS[self as usize].slug
    }

    /// The file name (without `.html`) of the kind's list page under `list/`.
    pub fn list_name(self) -> &'static str {
        KIND_WORDS[self as usize].list_name
    }

    /// A technique or a sub-technique.
    pub fn is_technique(self) -> bool {
        matches!(self, PageKind::Technique | PageKind::SubTechnique)
    }
}

impl fmt::Display for PageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// The typed edges of the graph: between a technique (or sub-technique) and another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationKind {
    /// A technique serves a tactic.
    TechniqueTactic,
    /// A mitigation defends against a technique.
    TechniqueMitigation,
    /// A case study used a technique.
    TechniqueCaseStudy,
}

impl RelationKind {
    /// Every relation kind.
    pub const ALL: [RelationKind; 3] = [
        RelationKind::TechniqueTactic,
        RelationKind::TechniqueMitigation,
        RelationKind::TechniqueCaseStudy,
    ];

    /// The kind on the other side from the technique.
    pub fn other(self) -> PageKind {
        match self {
            RelationKind::TechniqueTactic => PageKind::Tactic,
            RelationKind::TechniqueMitigation => PageKind::Mitigation,
            RelationKind::TechniqueCaseStudy => PageKind::CaseStudy,
        }
    }

    /// `technique-mitigation`, ...: the relation's name in `[schema.relations.*]`.
    pub fn slug(self) -> &'static str {
        match self {
            RelationKind::TechniqueTactic => "technique-tactic",
            RelationKind::TechniqueMitigation => "technique-mitigation",
            RelationKind::TechniqueCaseStudy => "technique-case-study",
        }
    }
}

/// The words of a kind that no configuration changes: they name files, routes and classes.
struct FixedKindWords {
    slug: &'static str,
    list_name: &'static str,
    /// The ATLAS website's route folder for IDs of this kind.
    route: Option<&'static str>,
    /// The metadata key the importer writes the ID under.
    id_key: Option<&'static str>,
}

const KIND_WORDS: [FixedKindWords; 6] = [
    FixedKindWords {
        slug: "tactic",
        list_name: "tactics",
        route: Some("tactics"),
        id_key: Some("Tactic ID"),
    },
    FixedKindWords {
        slug: "technique",
        list_name: "techniques",
        route: Some("techniques"),
        id_key: Some("Technique ID"),
    },
    FixedKindWords {
        slug: "sub-technique",
        list_name: "sub-techniques",
        route: Some("techniques"),
        id_key: Some("Technique ID"),
    },
    FixedKindWords {
        slug: "mitigation",
        list_name: "mitigations",
        route: Some("mitigations"),
        id_key: Some("Mitigation ID"),
    },
    FixedKindWords {
        slug: "case-study",
        list_name: "case-studies",
        route: Some("studies"),
        id_key: Some("ID"),
    },
    FixedKindWords {
        slug: "note",
        list_name: "notes",
        route: None,
        id_key: None,
    },
];

/// ATLAS ID shapes: the letters after `AML.` and the kind they give (a technique with a
/// `.###` suffix is a sub-technique). Longer prefixes first.
pub const ID_PREFIXES: [(&str, PageKind); 4] = [
    ("TA", PageKind::Tactic),
    ("CS", PageKind::CaseStudy),
    ("M", PageKind::Mitigation),
    ("T", PageKind::Technique),
];

/// The ATLAS website's route folders (`/techniques/AML.T0010`), each once.
pub fn route_folders() -> impl Iterator<Item = &'static str> {
    let routes = KIND_WORDS.iter().filter_map(|k| k.route);
    // Techniques and sub-techniques, next to each other, share theirs.
    let mut last = None;
    routes.filter(move |route| last.replace(*route) != Some(*route))
}

/// The route folder of the IDs of `kind`.
pub fn route_of(kind: PageKind) -> Option<&'static str> {
    KIND_WORDS[kind as usize].route
}

/// Where a group of related pages comes on a page, first to last: a technique's tactics,
/// its sub-techniques (`relation` `None`), its mitigations, its case studies; then, on the
/// pages of other kinds, their techniques.
pub fn group_order(relation: Option<RelationKind>, technique_side: bool) -> u8 {
    match (technique_side, relation) {
        (true, Some(RelationKind::TechniqueTactic)) => 1,
        (true, None) => 2,
        (true, Some(RelationKind::TechniqueMitigation)) => 3,
        (true, Some(RelationKind::TechniqueCaseStudy)) => 4,
        (false, _) => 5,
    }
}

/// Metadata keys the importer writes and the lists show, beside the configurable ones in
/// [`MetadataWords`]. ATLAS data fields, not a vault's choice.
pub mod keys {
    /// A technique's maturity level.
    pub const MATURITY: &str = "Maturity";
    /// A mitigation's category.
    pub const CATEGORY: &str = "Category";
    /// A mitigation's machine learning lifecycle stages.
    pub const LIFECYCLE: &str = "ML Lifecycle";
    /// When an object was created.
    pub const CREATED: &str = "Created";
    /// When an object last changed.
    pub const MODIFIED: &str = "Last Modified";
    /// The ATT&CK object an ATLAS object is based on.
    pub const ATTACK_REFERENCE: &str = "MITRE ATT&CK Reference";
    /// When a case study's incident happened.
    pub const INCIDENT_DATE: &str = "Incident Date";
    /// A case study's type (incident or exercise).
    pub const CASE_TYPE: &str = "Type";
    /// A case study's target.
    pub const TARGET: &str = "Target";
    /// A case study's actor.
    pub const ACTOR: &str = "Actor";
    /// Who reported a case study.
    pub const REPORTER: &str = "Reporter";
}

/// ATLAS maturity levels, least to most proven, each with what it means in a line.
pub const MATURITY_LEVELS: [(&str, &str); 3] = [
    (
        "feasible",
        "shown to work in research or a proof of concept",
    ),
    (
        "demonstrated",
        "shown to work against a realistic system, as in a red-team exercise",
    ),
    (
        "realized",
        "used by real adversaries against AI systems in the wild",
    ),
];

/// What maturity `level` means, if it is an ATLAS level (in any case).
pub fn maturity_hint(level: &str) -> Option<&'static str> {
    let level = level.trim();
    MATURITY_LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(level))
        .map(|(_, hint)| *hint)
}

/// Section headings the importer writes that carry no relation.
pub mod headings {
    /// The section of source references.
    pub const REFERENCES: &str = "References";
    /// The word that starts each case study step's heading (`### Step 1: ...`).
    pub const STEP: &str = "Step";
}

/// How a kind is recognised and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindWords {
    /// One page of the kind, as shown: `Case study`.
    pub label: String,
    /// Several pages of the kind, as shown: `Case Studies`.
    pub plural: String,
    /// Folders, from the content root, whose pages without an ATLAS ID are of this kind
    /// (`attacks`, or `kb/attacks` for a deeper one). The first is where import writes.
    /// A site's own words come before the built-in ones in every list.
    pub folders: Vec<String>,
    /// Front matter `type:` values, also read from `type/<value>` tags.
    pub types: Vec<String>,
    /// Whole tags that make a page of this kind (`atlas_technique`).
    pub tags: Vec<String>,
}

/// The section names a relation is listed under on each side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationWords {
    /// On the technique's page (`Mitigations`). The first is what import writes.
    pub technique_sections: Vec<String>,
    /// On the other page (`Techniques`, `Defends Against`). The first is what import writes.
    pub other_sections: Vec<String>,
    /// On the other page, sections of steps where only a step's technique line
    /// (`**Technique:** [[...]]`) or a table cell is an entry, not the step's prose
    /// (`Procedure`). The first is what import writes.
    pub step_sections: Vec<String>,
}

/// Metadata keys that the graph reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataWords {
    /// The section of `- **Key:** value` bullets (`Metadata`).
    pub section: String,
    /// Keys whose value starts with the page's own ATLAS ID (`Technique ID`).
    pub id_keys: Vec<String>,
    /// Keys naming a sub-technique's parent (`Parent Technique`). The first is what import
    /// writes.
    pub parent_keys: Vec<String>,
    /// The label of a case study step's technique line (`Technique`).
    pub step_key: String,
    /// The label of a case study step's tactic line (`Tactic`).
    pub step_tactic_key: String,
}

/// Changes to one kind's words from `[schema.kinds.<kind>]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindSettings {
    /// The lists below replace the built-in ones instead of adding to them.
    pub replace: bool,
    /// See [`KindWords::folders`].
    pub folders: Vec<String>,
    /// See [`KindWords::types`].
    pub types: Vec<String>,
    /// See [`KindWords::tags`].
    pub tags: Vec<String>,
    /// See [`KindWords::label`].
    pub label: Option<String>,
    /// See [`KindWords::plural`].
    pub plural: Option<String>,
}

/// Changes to one relation's words from `[schema.relations.<relation>]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationSettings {
    /// The lists below replace the built-in ones instead of adding to them.
    pub replace: bool,
    /// See [`RelationWords::technique_sections`].
    pub technique_sections: Vec<String>,
    /// See [`RelationWords::other_sections`].
    pub other_sections: Vec<String>,
    /// See [`RelationWords::step_sections`].
    pub step_sections: Vec<String>,
}

/// Changes to the metadata keys from `[schema.metadata]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataSettings {
    /// The lists below replace the built-in ones instead of adding to them.
    pub replace: bool,
    /// See [`MetadataWords::section`].
    pub section: Option<String>,
    /// See [`MetadataWords::id_keys`].
    pub id_keys: Vec<String>,
    /// See [`MetadataWords::parent_keys`].
    pub parent_keys: Vec<String>,
    /// See [`MetadataWords::step_key`].
    pub step_key: Option<String>,
    /// See [`MetadataWords::step_tactic_key`].
    pub step_tactic_key: Option<String>,
}

/// A site's `[schema]`: what it adds to (or replaces in) the built-in vocabulary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaSettings {
    /// Per kind, in [`PageKind::ALL`] order.
    pub kinds: [KindSettings; 6],
    /// Per relation, in [`RelationKind::ALL`] order.
    pub relations: [RelationSettings; 3],
    /// Metadata keys.
    pub metadata: MetadataSettings,
}

/// A relation section as a link records it: an index into the vocabulary's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SectionId(u8);

/// One relation section name, with what links under it mean.
#[derive(Debug, Clone)]
struct Section {
    /// As first written in the vocabulary.
    name: String,
    /// Whether only step technique lines and table cells under it are entries.
    steps: bool,
    /// `edges[from kind][to kind]`: the relation a link from a page of one kind to a page of
    /// the other declares under this section, and whether the declaring page is the
    /// technique side.
    edges: [[Option<(RelationKind, bool)>; 6]; 6],
}

/// The vocabulary every stage reads: defaults plus a site's `[schema]`.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    kinds: [KindWords; 6],
    relations: [RelationWords; 3],
    metadata: MetadataWords,
    /// Every relation section name, each once (compared case-insensitively).
    sections: Vec<Section>,
    /// Normalised folders with their kind, longest first.
    folder_keys: Vec<(String, PageKind)>,
    /// Normalised `type:` values and tags with their kind.
    type_keys: Vec<(String, PageKind)>,
    tag_keys: Vec<(String, PageKind)>,
}

/// Too many section names for a link's one-byte section index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooManySections(pub usize);

impl fmt::Display for TooManySections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the schema names {} relation sections; at most {MAX_SECTIONS} are supported",
            self.0
        )
    }
}

const MAX_SECTIONS: usize = 255;

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The built-in vocabulary: the seed format and DESIGN.md section 3, plus the variants seen
/// in real vaults and in MITRE's own site (`Attack Procedure`, `attacks/` and `defenses/`
/// folders, `type/attack` tags, ATT&CK-style `Procedure Examples` and `Techniques Addressed
/// by Mitigation`, an ATLAS Obsidian exporter's `atlas_technique` tags).
fn default_kinds() -> [KindWords; 6] {
    let kind =
        |label: &str, plural: &str, folders: &[&str], types: &[&str], tags: &[&str]| KindWords {
            label: label.to_string(),
            plural: plural.to_string(),
            folders: words(folders),
            types: words(types),
            tags: words(tags),
        };
    [
        kind(
            "Tactic",
            "Tactics",
            &["tactics"],
            &["tactic", "tactics"],
            &["atlas_tactic"],
        ),
        kind(
            "Technique",
            "Techniques",
            &["techniques", "attacks"],
            &["technique", "techniques", "attack", "attacks"],
            &["atlas_technique"],
        ),
        kind(
            "Sub-technique",
            "Sub-techniques",
            &[],
            &["sub-technique", "sub-techniques"],
            &["atlas_subtechnique"],
        ),
        kind(
            "Mitigation",
            "Mitigations",
            &["mitigations", "defenses", "defences"],
            &[
                "mitigation",
                "mitigations",
                "defense",
                "defenses",
                "defence",
                "defences",
            ],
            &["atlas_mitigation"],
        ),
        kind(
            "Case study",
            "Case Studies",
            &["case-studies"],
            &["case-study", "case-studies", "study", "studies"],
            &["atlas_case_study"],
        ),
        kind("Note", "Notes", &[], &[], &[]),
    ]
}

fn default_relations() -> [RelationWords; 3] {
    let relation = |technique: &[&str], other: &[&str], steps: &[&str]| RelationWords {
        technique_sections: words(technique),
        other_sections: words(other),
        step_sections: words(steps),
    };
    [
        relation(&["Tactics", "Tactic"], &["Techniques"], &[]),
        relation(
            &["Mitigations", "Mitigated By", "Defenses"],
            &[
                "Techniques",
                "Defends Against",
                "Techniques Addressed by Mitigation",
                "Mitigates",
                "Attacks Mitigated",
            ],
            &[],
        ),
        relation(
            &[
                "Case Studies",
                "Procedure Examples",
                "Case Study Examples",
                "Real-World Case Studies",
                "Real-World Examples",
            ],
            &[
                "Techniques Used",
                "Tactics and Techniques Used",
                "Techniques",
            ],
            &["Procedure", "Attack Procedure", "Attack Chain"],
        ),
    ]
}

fn default_metadata() -> MetadataWords {
    MetadataWords {
        section: "Metadata".to_string(),
        id_keys: words(&[
            "Technique ID",
            "Tactic ID",
            "Mitigation ID",
            "Case Study ID",
            "ID",
        ]),
        parent_keys: words(&["Parent Technique", "Sub-technique of"]),
        step_key: "Technique".to_string(),
        step_tactic_key: "Tactic".to_string(),
    }
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::new(&SchemaSettings::default()).expect("the built-in vocabulary fits")
    }
}

/// `extra` followed by `base` (or `extra` alone when `replace`), each word once. A site's
/// own words come first: they are what import writes and what help suggests.
fn merged(
    base: &[String],
    extra: &[String],
    replace: bool,
    same: fn(&str) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chosen = if replace { &[][..] } else { base };
    for word in extra.iter().chain(chosen) {
        let word = word.trim();
        if !word.is_empty() && !out.iter().any(|w| same(w) == same(word)) {
            out.push(word.to_string());
        }
    }
    out
}

impl Vocabulary {
    /// The built-in vocabulary changed by `schema`.
    pub fn new(schema: &SchemaSettings) -> Result<Vocabulary, TooManySections> {
        let mut kinds = default_kinds();
        for (words, set) in kinds.iter_mut().zip(&schema.kinds) {
            words.folders = merged(&words.folders, &set.folders, set.replace, folder_key);
            words.types = merged(&words.types, &set.types, set.replace, type_key);
            words.tags = merged(&words.tags, &set.tags, set.replace, tag_key);
            if let Some(label) = set.label.as_deref().filter(|l| !l.trim().is_empty()) {
                words.label = label.trim().to_string();
            }
            if let Some(plural) = set.plural.as_deref().filter(|l| !l.trim().is_empty()) {
                words.plural = plural.trim().to_string();
            }
        }
        let mut relations = default_relations();
        for (words, set) in relations.iter_mut().zip(&schema.relations) {
            let r = set.replace;
            words.technique_sections = merged(
                &words.technique_sections,
                &set.technique_sections,
                r,
                section_key,
            );
            words.other_sections =
                merged(&words.other_sections, &set.other_sections, r, section_key);
            words.step_sections = merged(&words.step_sections, &set.step_sections, r, section_key);
        }
        let mut metadata = default_metadata();
        let set = &schema.metadata;
        metadata.id_keys = merged(&metadata.id_keys, &set.id_keys, set.replace, key_key);
        metadata.parent_keys = merged(
            &metadata.parent_keys,
            &set.parent_keys,
            set.replace,
            key_key,
        );
        if let Some(section) = set.section.as_deref().filter(|s| !s.trim().is_empty()) {
            metadata.section = section.trim().to_string();
        }
        if let Some(key) = set.step_key.as_deref().filter(|s| !s.trim().is_empty()) {
            metadata.step_key = key.trim().to_string();
        }
        if let Some(key) = set
            .step_tactic_key
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            metadata.step_tactic_key = key.trim().to_string();
        }
        Vocabulary::from_words(kinds, relations, metadata)
    }

    fn from_words(
        kinds: [KindWords; 6],
        relations: [RelationWords; 3],
        metadata: MetadataWords,
    ) -> Result<Vocabulary, TooManySections> {
        let mut sections: Vec<Section> = Vec::new();
        let section_for = |name: &str, sections: &mut Vec<Section>| -> usize {
            let key = section_key(name);
            match sections.iter().position(|s| section_key(&s.name) == key) {
                Some(i) => i,
                None => {
                    sections.push(Section {
                        name: name.to_string(),
                        steps: false,
                        edges: [[None; 6]; 6],
                    });
                    sections.len() - 1
                }
            }
        };
        for (relation, words) in RelationKind::ALL.iter().zip(&relations) {
            let other = relation.other() as usize;
            for technique in [PageKind::Technique, PageKind::SubTechnique] {
                let technique = technique as usize;
                for name in &words.technique_sections {
                    let i = section_for(name, &mut sections);
                    sections[i].edges[technique][other].get_or_insert((*relation, true));
                }
                for name in words.other_sections.iter().chain(&words.step_sections) {
                    let i = section_for(name, &mut sections);
                    sections[i].edges[other][technique].get_or_insert((*relation, false));
                }
            }
            for name in &words.step_sections {
                let i = section_for(name, &mut sections);
                sections[i].steps = true;
            }
        }
        if sections.len() > MAX_SECTIONS {
            return Err(TooManySections(sections.len()));
        }
        let mut folder_keys: Vec<(String, PageKind)> = Vec::new();
        let mut type_keys = Vec::new();
        let mut tag_keys = Vec::new();
        for (kind, words) in PageKind::ALL.iter().zip(&kinds) {
            folder_keys.extend(words.folders.iter().map(|f| (folder_key(f), *kind)));
            type_keys.extend(words.types.iter().map(|t| (type_key(t), *kind)));
            tag_keys.extend(words.tags.iter().map(|t| (tag_key(t), *kind)));
        }
        // The deepest folder decides: `kb/attacks` before `kb`.
        folder_keys.sort_by_key(|(folder, _)| std::cmp::Reverse(folder.len()));
        Ok(Vocabulary {
            kinds,
            relations,
            metadata,
            sections,
            folder_keys,
            type_keys,
            tag_keys,
        })
    }

    /// The words of `kind`.
    pub fn kind(&self, kind: PageKind) -> &KindWords {
        &self.kinds[kind as usize]
    }

    /// The words of `relation`.
    pub fn relation(&self, relation: RelationKind) -> &RelationWords {
        &self.relations[relation as usize]
    }

    /// The metadata keys.
    pub fn metadata(&self) -> &MetadataWords {
        &self.metadata
    }

    /// The kind a folder path gives a page (its path from the content root).
    pub fn kind_of_path(&self, path: &str) -> Option<PageKind> {
        let (folder, _) = path.rsplit_once('/')?;
        let folder = folder_key(folder);
        self.folder_keys.iter().find_map(|(prefix, kind)| {
            let inside = folder
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            inside.then_some(*kind)
        })
    }

    /// The kind a front matter `type:` value names.
    pub fn kind_of_type(&self, value: &str) -> Option<PageKind> {
        let key = type_key(value);
        find(&self.type_keys, &key)
    }

    /// The kind a tag names: a `type/<value>` tag or one of a kind's whole tags.
    pub fn kind_of_tag(&self, tag: &str) -> Option<PageKind> {
        let key = tag_key(tag);
        if let Some(value) = key.strip_prefix("type/") {
            if let Some(kind) = find(&self.type_keys, &type_key(value)) {
                return Some(kind);
            }
        }
        find(&self.tag_keys, &key)
    }

    /// The relation section a heading (or a bold label) names: its text without a trailing
    /// count (`Mitigations (6)`) or colon, compared case-insensitively.
    pub fn section_of(&self, heading: &str) -> Option<SectionId> {
        let name = section_name(heading);
        if name.is_empty() {
            return None;
        }
        let position = if name.is_ascii() {
            self.sections
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(name))
        } else {
            let key = section_key(name);
            self.sections
                .iter()
                .position(|s| section_key(&s.name) == key)
        }?;
        // `from_words` keeps the sections within a byte.
        u8::try_from(position).ok().map(SectionId)
    }

    /// Every relation section name, each once.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|s| s.name.as_str())
    }

    /// The name of section `id`, as the vocabulary spells it.
    pub fn section_name(&self, id: SectionId) -> &str {
        self.sections
            .get(usize::from(id.0))
            .map_or("", |s| s.name.as_str())
    }

    /// Whether only step technique lines and table cells in section `id` are entries.
    pub fn is_step_section(&self, id: SectionId) -> bool {
        self.sections
            .get(usize::from(id.0))
            .is_some_and(|s| s.steps)
    }

    /// The relation a link under section `id` from a `from` page to a `to` page declares, and
    /// whether the declaring page is the technique side.
    pub fn edge(
        &self,
        from: PageKind,
        id: SectionId,
        to: PageKind,
    ) -> Option<(RelationKind, bool)> {
        self.sections.get(usize::from(id.0))?.edges[from as usize][to as usize]
    }

    /// Whether `key` (a `**Key:**` metadata label) holds a page's own ATLAS ID.
    pub fn is_id_key(&self, key: &str) -> bool {
        self.metadata.id_keys.iter().any(|k| same_key(k, key))
    }

    /// Whether `key` names a sub-technique's parent.
    pub fn is_parent_key(&self, key: &str) -> bool {
        self.metadata.parent_keys.iter().any(|k| same_key(k, key))
    }

    /// Whether `key` labels a case study step's technique line.
    pub fn is_step_key(&self, key: &str) -> bool {
        same_key(&self.metadata.step_key, key)
    }

    /// Whether `key` labels a case study step's tactic line.
    pub fn is_step_tactic_key(&self, key: &str) -> bool {
        same_key(&self.metadata.step_tactic_key, key)
    }

    /// Whether a heading is the metadata section's.
    pub fn is_metadata_section(&self, heading: &str) -> bool {
        same_key(&self.metadata.section, section_name(heading))
    }

    /// The folder under `frameworks/atlas/` that import writes pages of `kind` into.
    pub fn import_folder(&self, kind: PageKind) -> &str {
        self.kind(kind)
            .folders
            .first()
            .map_or(kind.list_name(), String::as_str)
    }

    /// The metadata key import writes a page's ID under.
    pub fn import_id_key(&self, kind: PageKind) -> &str {
        KIND_WORDS[kind as usize]
            .id_key
            .or_else(|| self.metadata.id_keys.first().map(String::as_str))
            .unwrap_or_default()
    }

    /// The key import writes a sub-technique's parent under.
    pub fn import_parent_key(&self) -> &str {
        self.metadata.parent_keys.first().map_or("", String::as_str)
    }

    /// The section a relation is best listed under on one side: the first name of that
    /// side's list (what import writes), or the plural of the kind listed when the schema
    /// emptied the list.
    pub fn listing_section(&self, relation: RelationKind, technique_side: bool) -> &str {
        let words = self.relation(relation);
        let (list, listed) = if technique_side {
            (&words.technique_sections, relation.other())
        } else {
            (&words.other_sections, PageKind::Technique)
        };
        list.first()
            .map_or(self.kind(listed).plural.as_str(), String::as_str)
    }

    /// The section of steps import writes a case study's procedure under.
    pub fn step_section(&self) -> &str {
        let words = self.relation(RelationKind::TechniqueCaseStudy);
        words.step_sections.first().map_or_else(
            || self.listing_section(RelationKind::TechniqueCaseStudy, false),
            String::as_str,
        )
    }
}

fn find(keys: &[(String, PageKind)], key: &str) -> Option<PageKind> {
    keys.iter().find(|(k, _)| k == key).map(|(_, kind)| *kind)
}

/// A heading's name as a section: without a trailing `(N)` count or `:`.
fn section_name(heading: &str) -> &str {
    let mut name = heading.trim();
    if let Some(open) = name.rfind(" (") {
        let count = &name[open + 2..];
        if let Some(digits) = count.strip_suffix(')') {
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                name = name[..open].trim_end();
            }
        }
    }
    name.trim_end_matches(':').trim_end()
}

/// Section names compare by their lower case.
fn section_key(name: &str) -> String {
    section_name(name).to_lowercase()
}

/// Metadata keys compare case-insensitively, trimmed.
fn key_key(key: &str) -> String {
    key.trim().to_lowercase()
}

fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b) || (!a.is_ascii() && a.to_lowercase() == b.to_lowercase())
}

/// Folders compare case-insensitively, without surrounding slashes.
fn folder_key(folder: &str) -> String {
    folder.trim().trim_matches('/').to_lowercase()
}

/// `type:` values compare by their letters and digits: `Sub-Technique`, `sub_technique` and
/// `subtechnique` are one.
fn type_key(value: &str) -> String {
    value
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Tags compare like `type:` values, keeping their `/` levels and ignoring a leading `#`.
fn tag_key(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '/')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_match_without_counts_colons_or_case() {
        let v = Vocabulary::default();
        let mitigations = v.section_of("Mitigations").unwrap();
        assert_eq!(v.section_of("mitigations (6)"), Some(mitigations));
        assert_eq!(v.section_of("Mitigations:"), Some(mitigations));
        assert_eq!(v.section_name(mitigations), "Mitigations");
        assert_eq!(v.section_of("Mitigations (six)"), None);
        assert_eq!(v.section_of("Related"), None);
        let procedure = v.section_of("Attack Procedure").unwrap();
        assert!(v.is_step_section(procedure));
        assert!(!v.is_step_section(mitigations));
        assert_eq!(
            v.edge(PageKind::SubTechnique, mitigations, PageKind::Mitigation),
            Some((RelationKind::TechniqueMitigation, true))
        );
        assert_eq!(
            v.edge(PageKind::Tactic, mitigations, PageKind::Mitigation),
            None
        );
        let techniques = v.section_of("Techniques").unwrap();
        for (from, relation) in [
            (PageKind::Tactic, RelationKind::TechniqueTactic),
            (PageKind::Mitigation, RelationKind::TechniqueMitigation),
            (PageKind::CaseStudy, RelationKind::TechniqueCaseStudy),
        ] {
            assert_eq!(
                v.edge(from, techniques, PageKind::Technique),
                Some((relation, false))
            );
        }
    }

    #[test]
    fn route_folders_each_once() {
        let routes: Vec<&str> = route_folders().collect();
        assert_eq!(routes, ["tactics", "techniques", "mitigations", "studies"]);
    }

    #[test]
    fn kinds_from_folders_types_and_tags() {
        let v = Vocabulary::default();
        assert_eq!(v.kind_of_path("attacks/x.md"), Some(PageKind::Technique));
        assert_eq!(
            v.kind_of_path("Defenses/sub/x.md"),
            Some(PageKind::Mitigation)
        );
        assert_eq!(v.kind_of_path("x.md"), None);
        assert_eq!(v.kind_of_path("notes/attacks/x.md"), None);
        assert_eq!(
            v.kind_of_type("Sub_Technique"),
            Some(PageKind::SubTechnique)
        );
        assert_eq!(v.kind_of_tag("#type/defense"), Some(PageKind::Mitigation));
        assert_eq!(v.kind_of_tag("atlas_case_study"), Some(PageKind::CaseStudy));
        assert_eq!(v.kind_of_tag("type/unknown"), None);
    }

    #[test]
    fn a_schema_adds_or_replaces() {
        let mut schema = SchemaSettings::default();
        schema.kinds[PageKind::Technique as usize].folders = vec!["kb/ttps".into()];
        schema.relations[1].other_sections = vec!["Counters".into()];
        schema.kinds[PageKind::Mitigation as usize] = KindSettings {
            replace: true,
            folders: vec!["controls".into()],
            ..KindSettings::default()
        };
        let v = Vocabulary::new(&schema).unwrap();
        assert_eq!(v.kind_of_path("kb/ttps/a.md"), Some(PageKind::Technique));
        assert_eq!(v.kind_of_path("attacks/a.md"), Some(PageKind::Technique));
        assert_eq!(v.kind_of_path("controls/a.md"), Some(PageKind::Mitigation));
        assert_eq!(v.kind_of_path("defenses/a.md"), None);
        assert_eq!(v.kind_of_type("defense"), None);
        let counters = v.section_of("Counters").unwrap();
        assert_eq!(
            v.edge(PageKind::Mitigation, counters, PageKind::Technique),
            Some((RelationKind::TechniqueMitigation, false))
        );
    }
}
