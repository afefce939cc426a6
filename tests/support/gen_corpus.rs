//! A synthetic ATLAS knowledge base, deterministic from a seed, for benchmarks and for the
//! `bench_corpus` integration test. Shared by `examples/gen_corpus.rs` and the test binary
//! through `#[path]`, so the test checks exactly what the benchmark measures.
//!
//! Shape of a corpus of `N` pages (seed format, DESIGN.md sections 1 and 3):
//!
//! - 5% tactics `AML.TA0000..`, 15% mitigations `AML.M0000..`, 20% case studies
//!   `AML.CS0000..`, the rest (60%) techniques, a third of them sub-techniques.
//! - IDs never leave the ATLAS shapes: each kind holds at most 10 000 IDs (`0000`..`9999`);
//!   parents are `AML.T0000`..`AML.T9999`, sub-techniques `.000`..`.999` under them. When
//!   two thirds of the techniques would exceed 10 000 parents, the parents stop at 10 000 and
//!   the rest become sub-techniques (at 100k pages: 10 000 parents with 5 subs each). Pages a
//!   kind cannot number (tactics, mitigations or case studies beyond 10 000 IDs, or more
//!   than 1 000 subs per parent) become plain notes without an ID under `notes/`.
//! - Relations, listed on both sides with `ID: Name` labels: each technique declares 2 to 4
//!   tactics (the first is the folder it lives in); each mitigation declares 2 to 8
//!   techniques (` — use text` on both sides); each case study has 2 to 8 `### Step`s on
//!   distinct techniques. The reverse sections list every page that declared the relation,
//!   so their length follows from the page ratios (a tactic lists ~36 techniques).
//! - Prose of 1.5 to 3 KB per page from a word list, with route links
//!   (`[Name](/techniques/AML.T0010)`), heading-anchor wiki links to headings that exist
//!   (`[[path#Details|...]]`) and plain wiki links to other pages, all outside relation
//!   sections.
//! - About 1% of all links are broken wiki links, planted in the `## Details` prose: a
//!   mistyped page in a real folder, a page in a folder that does not exist, or a bare name.
//!   [`Corpus::planted`] lists each with the position `check` must report.
//!
//! With `hugo`, the same pages are written as a minimal Hugo site: `hugo.toml`, three
//! templates, the pages under `content/` with every wiki link written as a markdown link to
//! the page's URL (`[label](/path/to/page/#anchor)`), and an `aliases` entry per ID so Hugo,
//! like `atlas-kb build`, writes a redirect page for every ATLAS route.
#![allow(dead_code)]

use atlas_kb::graph::PageKind as Kind;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub pages: usize,
    pub seed: u64,
    /// Write a Hugo site (links in markdown syntax) instead of a seed-format vault.
    pub hugo: bool,
    /// Relations listed on one side only, per technique, mitigation and tactic page: each
    /// lists this many more pages (mitigations, techniques, techniques) that do not list it
    /// back, for `check` to report as `asymmetric-relation`.
    pub one_sided: usize,
}

/// The smallest corpus that has every kind of page.
pub const MIN_PAGES: usize = 20;

/// One broken link the generator planted: where `check` must point and what it names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planted {
    /// Path relative to the content root, with `.md`.
    pub path: String,
    /// 1-based line, counted over the whole file (front matter included).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The link's target as written.
    pub target: String,
}

/// What was written.
#[derive(Debug, Default)]
pub struct Corpus {
    /// The content root (the output folder, or its `content/` for Hugo).
    pub content: PathBuf,
    pub tactics: usize,
    pub techniques: usize,
    pub sub_techniques: usize,
    pub mitigations: usize,
    pub case_studies: usize,
    pub notes: usize,
    /// Every link written, planted ones included.
    pub links: usize,
    pub planted: Vec<Planted>,
    pub bytes: u64,
}

impl Corpus {
    pub fn pages(&self) -> usize {
        self.tactics
            + self.techniques
            + self.sub_techniques
            + self.mitigations
            + self.case_studies
            + self.notes
    }

    /// The planted links as a JSON array of `{path, line, column, target}`.
    pub fn planted_json(&self) -> String {
        let list: Vec<serde_json::Value> = self
            .planted
            .iter()
            .map(|p| {
                serde_json::json!({
                    "path": p.path,
                    "line": p.line,
                    "column": p.column,
                    "target": p.target,
                })
            })
            .collect();
        serde_json::to_string_pretty(&list).expect("JSON of strings and numbers") + "\n"
    }
}

/// splitmix64: tiny, fast, and good enough to pick words and links.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `k` distinct values of `0..n` (fewer if `n < k`), `first` included when given.
    pub fn distinct(&mut self, n: usize, k: usize, first: Option<usize>) -> Vec<usize> {
        let k = k.min(n);
        let mut out: Vec<usize> = first.into_iter().collect();
        while out.len() < k {
            let v = self.below(n);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

/// One page of the plan.
#[derive(Debug)]
struct Item {
    kind: Kind,
    /// `AML.T0011.000`; empty for notes.
    id: String,
    name: String,
    /// Content path without `.md`.
    path: String,
    /// Front matter `id:` (the file name).
    slug: String,
    position: usize,
}

/// Every page and relation, decided before any text is written.
struct Plan {
    items: Vec<Item>,
    tactics: Vec<usize>,
    techniques: Vec<usize>,
    mitigations: Vec<usize>,
    case_studies: Vec<usize>,
    /// Per item: the tactics (items) a technique declares, or the techniques a tactic lists.
    tactic_links: Vec<Vec<usize>>,
    /// Per item: a mitigation's techniques, or a technique's mitigations.
    mitigation_links: Vec<Vec<usize>>,
    /// Per item: a case study's step techniques, or a technique's case studies.
    case_links: Vec<Vec<usize>>,
    /// Per parent technique item: its sub-technique items.
    subs: Vec<Vec<usize>>,
    /// Per sub-technique item: its parent item.
    parent: Vec<Option<usize>>,
}

const MAX_IDS: usize = 10_000;
const MAX_SUBS: usize = 1_000;

const ADJECTIVES: &[&str] = &[
    "adaptive",
    "adversarial",
    "ambient",
    "anomalous",
    "automated",
    "backdoored",
    "blind",
    "borrowed",
    "cascading",
    "cloaked",
    "covert",
    "crafted",
    "decoy",
    "degraded",
    "distilled",
    "dormant",
    "drifting",
    "encoded",
    "evasive",
    "exposed",
    "forged",
    "fragmented",
    "hidden",
    "hijacked",
    "implicit",
    "indirect",
    "injected",
    "latent",
    "leaky",
    "malformed",
    "masked",
    "mimicked",
    "nested",
    "obscured",
    "orphaned",
    "overfitted",
    "persistent",
    "phantom",
    "poisoned",
    "proxied",
    "recursive",
    "replayed",
    "rogue",
    "scraped",
    "shadow",
    "silent",
    "spoofed",
    "staged",
    "stolen",
    "synthetic",
    "tainted",
    "transferred",
    "unsafe",
    "unsigned",
    "untrusted",
    "verbose",
    "weighted",
    "zero-shot",
];

const NOUNS: &[&str] = &[
    "adapter",
    "agent",
    "api",
    "artifact",
    "benchmark",
    "cache",
    "checkpoint",
    "classifier",
    "corpus",
    "credential",
    "dataset",
    "decoder",
    "embedding",
    "encoder",
    "endpoint",
    "feature",
    "filter",
    "gateway",
    "gradient",
    "guardrail",
    "index",
    "inference",
    "kernel",
    "label",
    "ledger",
    "loader",
    "manifest",
    "memory",
    "model",
    "notebook",
    "oracle",
    "package",
    "pipeline",
    "plugin",
    "prompt",
    "query",
    "registry",
    "replica",
    "retriever",
    "sandbox",
    "scheduler",
    "schema",
    "shard",
    "signal",
    "snapshot",
    "surrogate",
    "telemetry",
    "tensor",
    "token",
    "tokenizer",
    "tool",
    "trace",
    "vector",
    "vocabulary",
    "weights",
    "workflow",
];

const ACTIONS: &[&str] = &[
    "abuse",
    "access",
    "collection",
    "compromise",
    "discovery",
    "drift",
    "escalation",
    "evasion",
    "exfiltration",
    "extraction",
    "flooding",
    "harvesting",
    "hijack",
    "injection",
    "inversion",
    "leakage",
    "manipulation",
    "mapping",
    "poisoning",
    "probing",
    "relay",
    "replay",
    "reconnaissance",
    "smuggling",
    "spoofing",
    "staging",
    "tampering",
    "theft",
];

const PROSE: &[&str] = &[
    "the",
    "an",
    "adversary",
    "attacker",
    "defender",
    "operator",
    "model",
    "system",
    "pipeline",
    "service",
    "may",
    "can",
    "often",
    "quietly",
    "first",
    "then",
    "later",
    "collects",
    "observes",
    "alters",
    "replaces",
    "queries",
    "probes",
    "stages",
    "hides",
    "reuses",
    "trains",
    "deploys",
    "monitors",
    "detects",
    "blocks",
    "logs",
    "reviews",
    "weights",
    "outputs",
    "inputs",
    "labels",
    "prompts",
    "tokens",
    "records",
    "artifacts",
    "credentials",
    "endpoints",
    "replicas",
    "snapshots",
    "budgets",
    "limits",
    "signals",
    "against",
    "through",
    "before",
    "after",
    "within",
    "across",
    "behind",
    "without",
    "public",
    "private",
    "shared",
    "internal",
    "external",
    "remote",
    "local",
    "trusted",
    "untrusted",
    "unusual",
    "expected",
    "small",
    "large",
    "subtle",
    "noisy",
    "careful",
    "access",
    "control",
    "change",
    "review",
    "traffic",
    "latency",
    "accuracy",
    "drift",
    "behaviour",
    "boundary",
    "context",
    "evidence",
    "pattern",
    "response",
    "request",
    "threshold",
    "version",
    "history",
    "owner",
    "supplier",
    "registry",
    "repository",
    "so",
    "that",
    "while",
    "because",
    "which",
    "when",
    "where",
    "until",
    "unless",
    "and",
    "or",
    "but",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "by",
    "from",
    "into",
    "every",
    "each",
    "most",
    "some",
    "few",
    "several",
    "many",
    "no",
    "other",
    "same",
    "new",
    "old",
];

const ANCHOR_WORDS: &[&str] = &[
    "see",
    "compare",
    "as described in",
    "related to",
    "building on",
    "unlike",
];

/// Integer percentages of `n`, rounded down.
fn share(n: usize, percent: usize) -> usize {
    n * percent / 100
}

fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn title_case(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_ascii_uppercase().to_string() + c.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn name(rng: &mut Rng, kind: Kind) -> String {
    let adjective = *rng.pick(ADJECTIVES);
    let noun = *rng.pick(NOUNS);
    let action = *rng.pick(ACTIONS);
    match kind {
        Kind::Tactic => title_case(&[noun, action]),
        Kind::Mitigation => title_case(&["restrict", adjective, noun]),
        Kind::CaseStudy => title_case(&[adjective, noun, "incident"]),
        Kind::Note => title_case(&["notes on", adjective, noun]),
        _ => title_case(&[adjective, noun, action]),
    }
}

impl Plan {
    fn new(opts: &Options) -> Plan {
        let n = opts.pages.max(MIN_PAGES);
        let mut rng = Rng::new(opts.seed);
        let want_tactics = share(n, 5).max(1);
        let want_mitigations = share(n, 15).max(1);
        let want_cases = share(n, 20).max(1);
        let n_techniques = n - want_tactics - want_mitigations - want_cases;
        let n_tactics = want_tactics.min(MAX_IDS);
        let n_mitigations = want_mitigations.min(MAX_IDS);
        let n_cases = want_cases.min(MAX_IDS);
        let mut n_parents = n_techniques - n_techniques / 3;
        let mut n_subs = n_techniques / 3;
        if n_parents > MAX_IDS {
            n_subs += n_parents - MAX_IDS;
            n_parents = MAX_IDS;
        }
        n_subs = n_subs.min(n_parents * MAX_SUBS);
        let n_notes = n - n_tactics - n_mitigations - n_cases - n_parents - n_subs;

        let mut items = Vec::with_capacity(n);
        let add = |items: &mut Vec<Item>, kind, id: String, name: String, path, slug, pos| {
            items.push(Item {
                kind,
                id,
                name,
                path,
                slug,
                position: pos,
            });
            items.len() - 1
        };
        let base = "frameworks/atlas";
        let tactics: Vec<usize> = (0..n_tactics)
            .map(|i| {
                let name = name(&mut rng, Kind::Tactic);
                let slug = format!("{}-{i:04}", slugify(&name));
                let path = format!("{base}/tactics/{slug}");
                let id = format!("AML.TA{i:04}");
                add(&mut items, Kind::Tactic, id, name, path, slug, i)
            })
            .collect();

        // Parents first, each in the folder of its first tactic; then subs in a folder named
        // after their parent, spread round-robin over a shuffled parent order.
        let mut primary = Vec::with_capacity(n_parents);
        let mut parents = Vec::with_capacity(n_parents);
        for i in 0..n_parents {
            let tactic = rng.below(n_tactics);
            let name = name(&mut rng, Kind::Technique);
            let slug = format!("{}-{i:04}", slugify(&name));
            let folder = &items[tactics[tactic]].slug;
            let path = format!("{base}/techniques/{folder}/{slug}");
            let id = format!("AML.T{i:04}");
            parents.push(add(
                &mut items,
                Kind::Technique,
                id,
                name,
                path,
                slug,
                i * 1000,
            ));
            primary.push(tactic);
        }
        let mut order: Vec<usize> = (0..n_parents).collect();
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
        let mut sub_count = vec![0usize; n_parents];
        let mut sub_primary = Vec::with_capacity(n_subs);
        let mut sub_parent = Vec::with_capacity(n_subs);
        let mut subs_of: Vec<Vec<usize>> = vec![Vec::new(); n_parents];
        for j in 0..n_subs {
            let p = order[j % n_parents];
            let k = sub_count[p];
            sub_count[p] += 1;
            let parent = &items[parents[p]];
            let name = title_case(&[*rng.pick(NOUNS), *rng.pick(ACTIONS)]);
            let slug = format!("{}-{}-{k:03}", parent.slug, slugify(&name));
            let path = format!("{}/{slug}", parent.path);
            let id = format!("{}.{k:03}", parent.id);
            let pos = parent.position + k + 1;
            let item = add(&mut items, Kind::SubTechnique, id, name, path, slug, pos);
            subs_of[p].push(item);
            sub_primary.push(primary[p]);
            sub_parent.push(parents[p]);
        }
        let mitigations: Vec<usize> = (0..n_mitigations)
            .map(|i| {
                let name = name(&mut rng, Kind::Mitigation);
                let slug = format!("{}-{i:04}", slugify(&name));
                let path = format!("{base}/mitigations/{slug}");
                let id = format!("AML.M{i:04}");
                add(&mut items, Kind::Mitigation, id, name, path, slug, i)
            })
            .collect();
        let case_studies: Vec<usize> = (0..n_cases)
            .map(|i| {
                let name = name(&mut rng, Kind::CaseStudy);
                let slug = format!("{}-{i:04}", slugify(&name));
                let path = format!("{base}/case-studies/{slug}");
                let id = format!("AML.CS{i:04}");
                add(&mut items, Kind::CaseStudy, id, name, path, slug, i)
            })
            .collect();
        for i in 0..n_notes {
            let name = name(&mut rng, Kind::Note);
            let slug = format!("{}-{i:05}", slugify(&name));
            let path = format!("notes/{slug}");
            add(&mut items, Kind::Note, String::new(), name, path, slug, i);
        }

        let total = items.len();
        let mut tactic_links = vec![Vec::new(); total];
        let mut mitigation_links = vec![Vec::new(); total];
        let mut case_links = vec![Vec::new(); total];
        let mut subs = vec![Vec::new(); total];
        let mut parent = vec![None; total];
        let techniques: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| matches!(it.kind, Kind::Technique | Kind::SubTechnique))
            .map(|(i, _)| i)
            .collect();
        for (p, &item) in parents.iter().enumerate() {
            subs[item] = subs_of[p].clone();
        }
        for (j, &item) in techniques[n_parents..].iter().enumerate() {
            parent[item] = Some(sub_parent[j]);
        }
        for (t, &item) in techniques.iter().enumerate() {
            let first = if t < n_parents {
                primary[t]
            } else {
                sub_primary[t - n_parents]
            };
            let count = rng.range(2, 4);
            for tactic in rng.distinct(n_tactics, count, Some(first)) {
                tactic_links[item].push(tactics[tactic]);
                tactic_links[tactics[tactic]].push(item);
            }
        }
        for &m in &mitigations {
            let count = rng.range(2, 8);
            for t in rng.distinct(techniques.len(), count, None) {
                mitigation_links[m].push(techniques[t]);
                mitigation_links[techniques[t]].push(m);
            }
        }
        for &c in &case_studies {
            let count = rng.range(2, 8);
            for t in rng.distinct(techniques.len(), count, None) {
                case_links[c].push(techniques[t]);
                case_links[techniques[t]].push(c);
            }
        }
        // One-sided relations, drawn after the two-sided ones so that the rest of the corpus
        // is the same with or without them.
        if opts.one_sided > 0 {
            let mut one_sided = |lists: &mut Vec<Vec<usize>>, from: &[usize], to: &[usize]| {
                for &page in from {
                    // Neither side may list the other yet (nor list it one-sidedly, which
                    // would make the pair two-sided); a small corpus may run out.
                    let (mut added, mut draws) = (0, 0);
                    while added < opts.one_sided && draws < 100 * opts.one_sided {
                        draws += 1;
                        let other = to[rng.below(to.len())];
                        if !lists[page].contains(&other) && !lists[other].contains(&page) {
                            lists[page].push(other);
                            added += 1;
                        }
                    }
                }
            };
            one_sided(&mut mitigation_links, &techniques, &mitigations);
            one_sided(&mut mitigation_links, &mitigations, &techniques);
            one_sided(&mut tactic_links, &tactics, &techniques);
        }
        // Lists read in ID order, as in the real vault; procedure steps keep their story order.
        for (i, item) in items.iter().enumerate() {
            tactic_links[i].sort_by(|a, b| items[*a].id.cmp(&items[*b].id));
            mitigation_links[i].sort_by(|a, b| items[*a].id.cmp(&items[*b].id));
            if item.kind != Kind::CaseStudy {
                case_links[i].sort_by(|a, b| items[*a].id.cmp(&items[*b].id));
            }
        }
        Plan {
            items,
            tactics,
            techniques,
            mitigations,
            case_studies,
            tactic_links,
            mitigation_links,
            case_links,
            subs,
            parent,
        }
    }

    /// The level-2 headings of a page, as written (what anchors may name).
    fn headings(&self, i: usize) -> Vec<String> {
        let item = &self.items[i];
        let counted = |name: &str, list: &[usize]| format!("{name} ({})", list.len());
        let mut h = Vec::new();
        if item.kind != Kind::Note {
            h.push("Metadata".to_string());
        }
        match item.kind {
            Kind::Tactic => h.push(counted("Techniques", &self.tactic_links[i])),
            Kind::Technique | Kind::SubTechnique => {
                if item.kind == Kind::SubTechnique {
                    h.push("Parent Technique".into());
                }
                h.push(counted("Tactics", &self.tactic_links[i]));
                if !self.subs[i].is_empty() {
                    h.push(counted("Sub-techniques", &self.subs[i]));
                }
                if !self.mitigation_links[i].is_empty() {
                    h.push(counted("Mitigations", &self.mitigation_links[i]));
                }
                if !self.case_links[i].is_empty() {
                    h.push(counted("Case Studies", &self.case_links[i]));
                }
            }
            Kind::Mitigation => h.push(counted("Techniques", &self.mitigation_links[i])),
            Kind::CaseStudy => h.push("Procedure".into()),
            Kind::Note => {}
        }
        h.push("Details".into());
        h
    }

    fn label(&self, i: usize) -> String {
        let item = &self.items[i];
        if item.id.is_empty() {
            item.name.clone()
        } else {
            format!("{}: {}", item.id, item.name)
        }
    }
}

/// A page being written, which knows the line and column of what it appends next.
struct Doc<'p> {
    text: String,
    hugo: bool,
    links: usize,
    planted: Vec<Planted>,
    path: &'p str,
}

/// The GitHub-style heading id Hugo (and `atlas-kb build`) give a heading.
fn heading_slug(text: &str) -> String {
    atlas_kb::github_slug(text)
}

impl Doc<'_> {
    /// A link to a content path (no `.md`), in the syntax of the target tool.
    fn wiki(&mut self, path: &str, anchor: Option<&str>, label: &str) {
        self.links += 1;
        if self.hugo {
            let anchor = anchor
                .map(|a| format!("#{}", heading_slug(a)))
                .unwrap_or_default();
            let _ = write!(self.text, "[{label}](/{path}/{anchor})");
        } else {
            let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
            let _ = write!(self.text, "[[{path}{anchor}|{label}]]");
        }
    }

    fn route(&mut self, item: &Item) {
        self.links += 1;
        let folder = match item.kind {
            Kind::Tactic => "tactics",
            Kind::Mitigation => "mitigations",
            Kind::CaseStudy => "studies",
            _ => "techniques",
        };
        let _ = write!(self.text, "[{}](/{folder}/{})", item.name, item.id);
    }

    /// A wiki link to `target`, which is no page; remembered with its position.
    fn broken(&mut self, target: &str, label: &str) {
        let line_start = self.text.rfind('\n').map_or(0, |p| p + 1);
        let line = self.text.matches('\n').count() + 1;
        let column = self.text[line_start..].chars().count() + 1;
        let written = if self.hugo {
            format!("/{target}/")
        } else {
            target.to_string()
        };
        self.planted.push(Planted {
            path: format!("{}.md", self.path),
            line,
            column,
            target: written,
        });
        self.links += 1;
        if self.hugo {
            let _ = write!(self.text, "[{label}](/{target}/)");
        } else {
            let _ = write!(self.text, "[[{target}|{label}]]");
        }
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }
}

/// Sentences of generated prose.
fn sentence(rng: &mut Rng, out: &mut String) {
    let words = rng.range(8, 18);
    for w in 0..words {
        let word = *rng.pick(PROSE);
        if w == 0 {
            let mut c = word.chars();
            if let Some(f) = c.next() {
                out.push(f.to_ascii_uppercase());
                out.push_str(c.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
            if w + 1 < words && rng.chance(6) {
                out.push(',');
            }
        }
    }
    out.push('.');
}

/// About `bytes` of prose in one paragraph.
fn paragraph(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 120);
    while out.len() < bytes {
        if !out.is_empty() {
            out.push(' ');
        }
        sentence(rng, &mut out);
    }
    out
}

fn use_text(seed: u64, a: usize, b: usize) -> String {
    let mut rng = Rng::new(seed ^ ((a as u64) << 32) ^ b as u64 ^ 0x5bd1_e995);
    let mut s = String::new();
    sentence(&mut rng, &mut s);
    s
}

fn kind_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Tactic => "tactic",
        Kind::Technique => "technique",
        Kind::SubTechnique => "sub-technique",
        Kind::Mitigation => "mitigation",
        Kind::CaseStudy => "case-study",
        Kind::Note => "note",
    }
}

fn route_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Tactic => "tactics",
        Kind::Mitigation => "mitigations",
        Kind::CaseStudy => "studies",
        _ => "techniques",
    }
}

fn date(rng: &mut Rng) -> String {
    format!(
        "20{:02}-{:02}-{:02}",
        rng.range(19, 25),
        rng.range(1, 12),
        rng.range(1, 28)
    )
}

/// Writes one page; `plant` asks for one broken link in its prose.
fn render(plan: &Plan, i: usize, seed: u64, hugo: bool, plant: bool) -> Doc<'_> {
    let item = &plan.items[i];
    let mut rng = Rng::new(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut doc = Doc {
        text: String::with_capacity(4096),
        hugo,
        links: 0,
        planted: Vec::new(),
        path: &item.path,
    };
    let title = plan.label(i);
    let prose_budget = rng.range(1500, 3000);

    // Front matter.
    doc.push("---\n");
    let _ = writeln!(doc.text, "id: {}", item.slug);
    let _ = writeln!(doc.text, "title: \"{title}\"");
    let _ = writeln!(doc.text, "sidebar_label: \"{}\"", item.name);
    let _ = writeln!(doc.text, "sidebar_position: {}", item.position);
    let _ = writeln!(doc.text, "type: {}", kind_type(item.kind));
    if hugo && !item.id.is_empty() {
        let _ = writeln!(
            doc.text,
            "aliases: [\"/{}/{}/\"]",
            route_folder(item.kind),
            item.id
        );
    }
    doc.push("---\n\n");
    let _ = writeln!(doc.text, "# {title}\n");

    // Intro: prose with a route link and a heading-anchor link.
    let intro = prose_budget * 2 / 5;
    doc.push(&paragraph(&mut rng, intro / 2));
    if !plan.techniques.is_empty() {
        let pool = match rng.below(4) {
            0 => &plan.tactics,
            1 => &plan.mitigations,
            2 => &plan.case_studies,
            _ => &plan.techniques,
        };
        let pool = if pool.is_empty() {
            &plan.techniques
        } else {
            pool
        };
        let target = *rng.pick(pool);
        doc.push(" It is often seen next to ");
        doc.route(&plan.items[target]);
        doc.push(".");
    }
    doc.push(" ");
    doc.push(&paragraph(&mut rng, intro / 2));
    {
        let target = rng.below(plan.items.len());
        let headings = plan.headings(target);
        let heading = rng.pick(&headings).clone();
        let _ = write!(doc.text, " {} ", rng.pick(ANCHOR_WORDS));
        let label = format!("{} of {}", heading, plan.items[target].name);
        doc.wiki(&plan.items[target].path, Some(&heading), &label);
        doc.push(".");
    }
    doc.push("\n\n");

    if item.kind != Kind::Note {
        doc.push("## Metadata\n\n");
        let key = match item.kind {
            Kind::Tactic => "Tactic ID",
            Kind::Mitigation => "Mitigation ID",
            Kind::CaseStudy => "ID",
            _ => "Technique ID",
        };
        let _ = writeln!(doc.text, "- **{key}:** {}", item.id);
        match item.kind {
            Kind::CaseStudy => {
                let _ = writeln!(doc.text, "- **Incident Date:** {}", date(&mut rng));
                let _ = writeln!(doc.text, "- **Type:** exercise");
            }
            _ => {
                let _ = writeln!(doc.text, "- **Created:** {}", date(&mut rng));
                let _ = writeln!(doc.text, "- **Last Modified:** {}", date(&mut rng));
            }
        }
        if matches!(item.kind, Kind::Technique | Kind::SubTechnique) {
            doc.push("- **Maturity:** demonstrated\n");
        }
        doc.push("\n");
    }

    let list = |doc: &mut Doc, heading: &str, targets: &[usize], note: Option<usize>| {
        if targets.is_empty() {
            return;
        }
        let _ = writeln!(doc.text, "## {heading} ({})\n", targets.len());
        for &t in targets {
            doc.push("- ");
            doc.wiki(&plan.items[t].path, None, &plan.label(t));
            if let Some(other) = note {
                // The same use text on both sides: keyed by (mitigation, technique).
                let (m, tech) = if plan.items[t].kind == Kind::Mitigation {
                    (t, other)
                } else {
                    (other, t)
                };
                let _ = write!(doc.text, " — {}", use_text(seed, m, tech));
            }
            doc.push("\n");
        }
        doc.push("\n");
    };

    let mut step_budget = 0;
    match item.kind {
        Kind::Tactic => list(&mut doc, "Techniques", &plan.tactic_links[i], None),
        Kind::Technique | Kind::SubTechnique => {
            if let Some(p) = plan.parent[i] {
                let parent = &plan.items[p];
                doc.push("## Parent Technique\n\n");
                let _ = writeln!(
                    doc.text,
                    "**Parent Technique:** {} — {}\n",
                    parent.id, parent.name
                );
                let heading = format!("Sub-techniques ({})", plan.subs[p].len());
                doc.push("Related variants are gathered under ");
                let label = format!("the sub-techniques of {}", parent.name);
                doc.wiki(&parent.path, Some(&heading), &label);
                doc.push(".\n\n");
            }
            list(&mut doc, "Tactics", &plan.tactic_links[i], None);
            list(&mut doc, "Sub-techniques", &plan.subs[i], None);
            list(&mut doc, "Mitigations", &plan.mitigation_links[i], Some(i));
            list(&mut doc, "Case Studies", &plan.case_links[i], None);
        }
        Kind::Mitigation => list(&mut doc, "Techniques", &plan.mitigation_links[i], Some(i)),
        Kind::CaseStudy => {
            doc.push("## Procedure\n\n");
            let steps = &plan.case_links[i];
            step_budget = prose_budget / 5 / steps.len().max(1);
            for (n, &t) in steps.iter().enumerate() {
                let _ = writeln!(doc.text, "### Step {}: {}\n", n + 1, plan.items[t].name);
                doc.push("**Technique:** ");
                doc.wiki(&plan.items[t].path, None, &plan.label(t));
                doc.push("\n\n");
                doc.push(&paragraph(&mut rng, step_budget));
                doc.push("\n\n");
            }
        }
        Kind::Note => {}
    }

    // Details: the rest of the prose, a plain wiki link, and the planted broken link.
    doc.push("## Details\n\n");
    let used =
        intro + step_budget * plan.case_links[i].len() * usize::from(item.kind == Kind::CaseStudy);
    let rest = prose_budget.saturating_sub(used);
    doc.push(&paragraph(&mut rng, rest / 2));
    {
        let target = rng.below(plan.items.len());
        doc.push(" Compare ");
        doc.wiki(&plan.items[target].path, None, &plan.label(target));
        doc.push(".");
    }
    doc.push("\n\n");
    if plant {
        let sentence_start = paragraph(&mut rng, 60);
        doc.push(&sentence_start);
        doc.push(" An earlier draft pointed at ");
        let near = &plan.items[rng.below(plan.items.len())];
        let target = match rng.below(3) {
            // A mistyped page in a folder that exists.
            0 => {
                let folder = near.path.rsplit_once('/').map_or("", |(f, _)| f);
                format!("{folder}/{}-draft", near.slug)
            }
            // A folder that does not exist.
            1 => format!("frameworks/atlas/archive/{}", near.slug),
            // A bare name no page has.
            _ => format!("{}-retired", near.slug),
        };
        doc.broken(&target, &near.name);
        doc.push(" before it was renamed.\n\n");
    }
    doc.push(&paragraph(&mut rng, rest / 2));
    doc.push("\n");
    doc
}

const HUGO_CONFIG: &str = "\
baseURL = \"/\"
title = \"atlas-kb benchmark corpus\"
disableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\"]
enableRobotsTXT = false
";

const HUGO_BASEOF: &str = "\
<!DOCTYPE html>
<html><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>
<body>{{ block \"main\" . }}{{ end }}</body></html>
";

const HUGO_SINGLE: &str = "\
{{ define \"main\" }}<h1>{{ .Title }}</h1>
{{ .Content }}{{ end }}
";

const HUGO_LIST: &str = "\
{{ define \"main\" }}<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}
";

/// Writes the corpus into `out` (which is created; existing files are overwritten).
pub fn generate(opts: &Options, out: &Path) -> io::Result<Corpus> {
    if opts.pages < MIN_PAGES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--pages must be at least {MIN_PAGES}"),
        ));
    }
    let plan = Plan::new(opts);
    let content = if opts.hugo {
        let layouts = out.join("layouts/_default");
        std::fs::create_dir_all(&layouts)?;
        std::fs::write(out.join("hugo.toml"), HUGO_CONFIG)?;
        std::fs::write(layouts.join("baseof.html"), HUGO_BASEOF)?;
        std::fs::write(layouts.join("single.html"), HUGO_SINGLE)?;
        std::fs::write(layouts.join("list.html"), HUGO_LIST)?;
        out.join("content")
    } else {
        out.to_path_buf()
    };
    let mut corpus = Corpus {
        content: content.clone(),
        ..Corpus::default()
    };
    let mut made: HashSet<PathBuf> = HashSet::new();
    for i in 0..plan.items.len() {
        // Keep planted links at ~1% of all links written so far.
        let plant = corpus.planted.len() * 100 < corpus.links;
        let doc = render(&plan, i, opts.seed, opts.hugo, plant);
        let file = content.join(format!("{}.md", plan.items[i].path));
        let dir = file.parent().expect("a page has a folder").to_path_buf();
        if !made.contains(&dir) {
            std::fs::create_dir_all(&dir)?;
            made.insert(dir);
        }
        std::fs::write(&file, &doc.text)?;
        corpus.links += doc.links;
        corpus.bytes += doc.text.len() as u64;
        corpus.planted.extend(doc.planted);
        match plan.items[i].kind {
            Kind::Tactic => corpus.tactics += 1,
            Kind::Technique => corpus.techniques += 1,
            Kind::SubTechnique => corpus.sub_techniques += 1,
            Kind::Mitigation => corpus.mitigations += 1,
            Kind::CaseStudy => corpus.case_studies += 1,
            Kind::Note => corpus.notes += 1,
        }
    }
    Ok(corpus)
}
