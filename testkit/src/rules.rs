//! misp-guard's rules (both configuration formats, read with serde_json) applied to
//! what the receiver stores ([`crate::receiver::Stored`]), not to the body.
//!
//! The comparison of a stored value with a configured one uses the same identity the
//! database uses for the stored value ([`crate::receiver`]): a blocked tag is any
//! stored tag whose identity equals the configured name's; a required taxonomy is
//! satisfied by a stored, non-local tag whose identity starts with the taxonomy's
//! (`taxonomy:`), and is one of the allowed tags when the configuration lists some.
//! Categories and types are compared as MISP validates them (exact keys of its
//! definitions), against misp-guard's comparison (categories exact, types
//! lower-cased).

use serde_json::Value as J;

use crate::receiver::{object_name_identity, sg_identity, tag_identity, ElemKind, Stored};

/// One rule set (an instance's rules, or one legacy `block_rules` entry).
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Blocked tags (identities).
    pub blocked_tags: Vec<String>,
    /// Required taxonomies with their allowed tags (identities; empty = any).
    pub required: Vec<(String, Vec<String>)>,
    /// Blocked levels.
    pub levels: Vec<i64>,
    /// Blocked sharing groups (identities).
    pub sgs: Vec<String>,
    /// Blocked attribute types (lower-cased).
    pub types: Vec<String>,
    /// Blocked categories (exact).
    pub categories: Vec<String>,
    /// Blocked object types (identities).
    pub object_types: Vec<String>,
}

fn strings(v: Option<&J>) -> Vec<String> {
    v.and_then(J::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

impl RuleSet {
    fn from_value(v: &J, current: bool) -> RuleSet {
        let tax = v.get("taxonomies_rules");
        let blocked_tags = if current {
            strings(tax.and_then(|t| t.get("blocked_tags")))
        } else {
            strings(v.get("blocked_tags"))
        };
        let required = if current {
            strings(tax.and_then(|t| t.get("required_taxonomies")))
                .into_iter()
                .map(|t| {
                    let allowed =
                        strings(tax.and_then(|x| x.get("allowed_tags")).and_then(|a| a.get(&t)));
                    (t, allowed.iter().map(|a| tag_identity(a)).collect())
                })
                .collect()
        } else {
            vec![]
        };
        RuleSet {
            blocked_tags: blocked_tags.iter().map(|t| tag_identity(t)).collect(),
            required,
            levels: strings(v.get("blocked_distribution_levels"))
                .iter()
                .filter_map(|l| l.trim().parse().ok())
                .collect(),
            sgs: strings(v.get("blocked_sharing_groups_uuids"))
                .iter()
                .map(|u| sg_identity(u))
                .collect(),
            types: strings(v.get("blocked_attribute_types"))
                .iter()
                .map(|t| t.to_lowercase())
                .collect(),
            categories: strings(v.get("blocked_attribute_categories")),
            object_types: strings(v.get("blocked_object_types"))
                .iter()
                .map(|t| object_name_identity(t))
                .collect(),
        }
    }
}

/// The rule sets that judge a body: the named instance's (current format), or every
/// `block_rules` entry (legacy format, all applied together).
pub fn rule_sets(config: &[u8], instance: Option<&str>) -> Result<Vec<RuleSet>, String> {
    let v: J = serde_json::from_slice(config).map_err(|e| e.to_string())?;
    if let Some(rules) = v.get("block_rules").and_then(J::as_array) {
        return Ok(rules.iter().map(|r| RuleSet::from_value(r, false)).collect());
    }
    let insts = v.get("instances").and_then(J::as_object).ok_or("no instances")?;
    let inst = match instance {
        Some(n) => insts.get(n).ok_or_else(|| format!("no instance {n}"))?,
        None => insts.values().next().ok_or("no instance")?,
    };
    Ok(vec![RuleSet::from_value(inst, true)])
}

/// Which rule a stored result breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A blocked tag is attached.
    BlockedTag,
    /// No stored, synced tag of this required taxonomy.
    MissingTaxonomy(String),
    /// A blocked distribution level is stored.
    BlockedLevel,
    /// A blocked sharing group is captured.
    BlockedSharingGroup,
    /// A blocked attribute type is stored.
    BlockedType,
    /// A blocked category is stored (after MISP's default).
    BlockedCategory,
    /// An object of a blocked type is stored.
    BlockedObjectType,
}

/// One violation of the stored result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// Where the element came from in the body.
    pub at: String,
    /// The offending value as the body spelled it.
    pub value: String,
}

/// Every violation of `sets` by `stored`.
pub fn violations(stored: &Stored, sets: &[RuleSet]) -> Vec<Violation> {
    let mut out = vec![];
    let mut v = |rule: Rule, at: &str, value: &str| {
        let x = Violation { rule, at: at.to_string(), value: value.to_string() };
        if !out.contains(&x) {
            out.push(x);
        }
    };
    for r in sets {
        for (uuid, at) in &stored.sharing_groups {
            if r.sgs.contains(&sg_identity(uuid)) {
                v(Rule::BlockedSharingGroup, at, uuid);
            }
        }
        for e in &stored.elements {
            for t in &e.tags {
                if r.blocked_tags.contains(&t.identity) {
                    v(Rule::BlockedTag, &e.at, &t.name);
                }
            }
            if let Some(d) = e.distribution {
                if r.levels.contains(&d) {
                    v(Rule::BlockedLevel, &e.at, &d.to_string());
                }
            }
            if let Some(sg) = &e.sharing_group {
                if r.sgs.contains(&sg_identity(sg)) {
                    v(Rule::BlockedSharingGroup, &e.at, sg);
                }
            }
            if let Some(t) = &e.type_ {
                if r.types.contains(&t.to_lowercase()) {
                    v(Rule::BlockedType, &e.at, t);
                }
            }
            if let Some(c) = &e.category {
                if r.categories.contains(c) {
                    v(Rule::BlockedCategory, &e.at, c);
                }
            }
            if let Some(n) = &e.name {
                if e.kind == ElemKind::Object && r.object_types.contains(&object_name_identity(n)) {
                    v(Rule::BlockedObjectType, &e.at, n);
                }
            }
            // required taxonomies: the event and every attribute (misp-guard's
            // check_event_level_rules / check_attribute_rules)
            if matches!(e.kind, ElemKind::Event | ElemKind::Attribute | ElemKind::ObjectAttribute) {
                for (tax, allowed) in &r.required {
                    let prefix = format!("{}:", tag_identity(tax));
                    let ok = e.tags.iter().any(|t| {
                        !t.local
                            && t.identity.starts_with(&prefix)
                            && (allowed.is_empty() || allowed.contains(&t.identity))
                    });
                    if !ok {
                        v(Rule::MissingTaxonomy(tax.clone()), &e.at, tax);
                    }
                }
            }
        }
    }
    out
}
