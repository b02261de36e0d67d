//! A second reading of a configuration, for differential tests of core's loader
//! (`Policy::from_json_slice`, serde-json-core, no allocation): serde_json into owned
//! structs (serde's derive: types, required fields, duplicates), then compiled by
//! core's public [`Builder`] in the same order, so that both must build the same
//! policy or refuse with the same kind of error at the same JSON path.
//!
//! The only module of this crate that uses `misp-guard-core` (its `Builder`).
//!
//! Not compared (no second implementation here): the misspelt-key check
//! (`UnknownField`, core's `policy/keys.rs`), the keys ignored, and positions
//! (line:column come from the path in both; core's tests pin them).

use std::collections::BTreeSet;
use std::marker::PhantomData;

use misp_guard_core::{Builder, ConfigError, ConfigErrorKind as K, RuleSetSpec};
use misp_guard_core::{EndpointList, Format, Policy};
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// The oracle's answer: a policy, or the kind and JSON path of the first error.
pub type Reading = Result<Policy, (K, String)>;

/// Reads `json` with serde_json and compiles it with core's [`Builder`].
pub fn read(json: &[u8]) -> Reading {
    let doc: serde_json::Value = match serde_json::from_slice(json) {
        Ok(v) => v,
        Err(_) => return Err((K::Syntax, String::new())),
    };
    // a top-level `block_rules` or `proxy` means the legacy format
    let legacy = doc.get("block_rules").is_some() || doc.get("proxy").is_some();
    let de = &mut serde_json::Deserializer::from_slice(json);
    if legacy {
        let cfg: Obj<LegacyConfig> = serde_path_to_error::deserialize(de).map_err(data_err)?;
        compile_legacy(&cfg.0).map_err(|e| (e.kind, e.path.to_string()))
    } else {
        let cfg: Obj<CurrentConfig> = serde_path_to_error::deserialize(de).map_err(data_err)?;
        compile_current(&cfg.0).map_err(|e| (e.kind, e.path.to_string()))
    }
}

/// Where core's loader and [`read`] disagree on `json`, if they do: a different
/// policy (ignored keys aside), accepted by one only, or another error kind or path.
pub fn disagreement(json: &[u8], loaded: &Result<Policy, ConfigError>) -> Option<String> {
    let oracle = read(json);
    match (loaded, &oracle) {
        // refused by core's key check (shared by design), before any typed reading
        (Err(e), o) if e.kind == K::UnknownField && !matches!(o, Err((K::Syntax, _))) => None,
        (Err(e), Err((K::Syntax, _))) if e.kind == K::Syntax => None,
        (Err(e), Err((kind, path))) if e.kind == *kind && same_path(&e.path, path) => None,
        (Ok(p), Ok(q)) if rules_of(p) == rules_of(q) => None,
        (Ok(_), Ok(_)) => Some("different policies".into()),
        (l, o) => Some(format!(
            "core: {:?} / serde_json: {:?}",
            l.as_ref().map(drop),
            o.as_ref().map(drop)
        )),
    }
}

/// Whether core's error `path` names `full` (serde_json's, never cut): equal, or,
/// past the 160 bytes a [`ConfigError`] holds, a cut of it (core cuts where a piece
/// no longer fits: a key by characters, an index or a field name whole).
fn same_path(path: &str, full: &str) -> bool {
    path == full || (full.len() > 160 && path.len() > 160 - 32 && full.starts_with(path))
}

/// A policy's `Debug` rendering without its ignored keys.
fn rules_of(p: &Policy) -> String {
    let ignored = format!(
        "ignored: Ignored {{ keys: {:?}, more: {} }}",
        p.ignored_keys(),
        p.ignored_keys_not_shown()
    );
    format!("{p:?}").replacen(&ignored, "", 1)
}

fn data_err(e: serde_path_to_error::Error<serde_json::Error>) -> (K, String) {
    use serde_json::error::Category;
    let mut path = e.path().to_string();
    if path == "." {
        path.clear();
    }
    let msg = e.inner().to_string();
    let kind = match e.inner().classify() {
        Category::Io | Category::Syntax | Category::Eof => K::Syntax,
        Category::Data if msg.starts_with("missing field") => K::MissingField,
        Category::Data if msg.starts_with("invalid type") => K::WrongType,
        Category::Data => K::Invalid,
    };
    // a duplicate is reported at the map holding it: name the key (which may hold a
    // backquote itself: up to the last one, before serde_json's ` at line L column C`)
    let dup = msg.strip_prefix("duplicate field `").or_else(|| msg.strip_prefix("duplicate key `"));
    if let Some(key) = dup.and_then(|rest| rest.rfind('`').map(|end| &rest[..end])) {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
    (kind, path)
}

fn strs(v: &[String]) -> impl Iterator<Item = &str> + Clone {
    v.iter().map(String::as_str)
}

fn invalid(path: String, msg: String) -> ConfigError {
    ConfigError::semantic(K::Invalid, &path, &msg)
}

fn compile_current(cfg: &CurrentConfig) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Current);
    if let Some(name) = &cfg.endpoints {
        let list = EndpointList::from_name(name)
            .ok_or_else(|| invalid("endpoints".into(), "unknown endpoint list".into()))?;
        b.endpoints(list);
    }
    let allow = &cfg.allowlist.0;
    b.allowlist(strs(&allow.urls), strs(&allow.domains))?;
    // compartments: every source of can_reach, then every target must be declared
    let can_reach = &cfg.compartments_rules.0.can_reach.0;
    for (name, _) in can_reach {
        b.compartment(name, &format!("compartments_rules.can_reach.{name}"))?;
    }
    for (name, targets) in can_reach {
        let from = b.find_compartment(name).unwrap_or(0);
        for (i, t) in targets.iter().enumerate() {
            let path = format!("compartments_rules.can_reach.{name}[{i}]");
            let to = b.find_compartment(t).ok_or_else(|| invalid(path, format!("`{t}`")))?;
            b.can_reach(from, to);
        }
    }
    for (name, inst) in &cfg.instances.0 {
        let inst = &inst.0;
        let path = format!("instances.{name}");
        let comp = b.find_compartment(&inst.compartment_id).ok_or_else(|| {
            invalid(format!("{path}.compartment_id"), inst.compartment_id.clone())
        })?;
        let levels: Vec<String> =
            inst.blocked_distribution_levels.iter().map(Level::text).collect();
        let t = &inst.taxonomies_rules.0;
        let id = b.ruleset(RuleSetSpec {
            name,
            path: &path,
            blocked_tags: strs(&t.blocked_tags),
            blocked_levels: strs(&levels),
            blocked_sgs: strs(&inst.blocked_sharing_groups_uuids),
            blocked_types: strs(&inst.blocked_attribute_types),
            blocked_categories: strs(&inst.blocked_attribute_categories),
            blocked_object_types: strs(&inst.blocked_object_types),
            required: strs(&t.required_taxonomies),
        })?;
        for (tax, tags) in &t.allowed_tags.0 {
            let at = format!("{path}.taxonomies_rules.allowed_tags.{tax}");
            b.allowed_tags(id, tax, strs(tags), &at)?;
        }
        b.instance(name, &inst.ip, &inst.host, inst.port, comp, &path)?;
    }
    Ok(b.finish())
}

fn compile_legacy(cfg: &LegacyConfig) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Legacy);
    let (proxy, misp) = (&cfg.proxy.0, &cfg.misp.0);
    b.legacy_hosts((&proxy.host, proxy.port), (&misp.host, misp.port))?;
    for (i, r) in cfg.block_rules.iter().enumerate() {
        let r = &r.0;
        let path = format!("block_rules[{i}]");
        let levels: Vec<String> = r.blocked_distribution_levels.iter().map(Level::text).collect();
        b.ruleset(RuleSetSpec {
            name: &r.id,
            path: &path,
            blocked_tags: strs(&r.blocked_tags),
            blocked_levels: strs(&levels),
            blocked_sgs: strs(&r.blocked_sharing_groups_uuids),
            blocked_types: strs(&r.blocked_attribute_types),
            blocked_categories: strs(&r.blocked_attribute_categories),
            blocked_object_types: strs(&r.blocked_object_types),
            required: strs(&[]),
        })?;
    }
    Ok(b.finish())
}

// --- the model: both formats, as misp-guard reads them ---------------------------------
// Keys a struct does not have are skipped (misp-guard's schema allows them).

/// The current format (`config.schema.json`).
#[derive(Debug, serde::Deserialize)]
struct CurrentConfig {
    allowlist: Obj<Allowlist>,
    compartments_rules: Obj<CompartmentsRules>,
    instances: Ordered<Obj<Instance>>,
    #[serde(default)]
    endpoints: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct Allowlist {
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct CompartmentsRules {
    #[serde(default)]
    can_reach: Ordered<Vec<String>>,
}

#[derive(Debug, serde::Deserialize)]
struct Instance {
    ip: String,
    host: String,
    port: u16,
    compartment_id: String,
    #[serde(default)]
    #[allow(dead_code)] // read for its type only
    affiliation: Option<String>,
    taxonomies_rules: Obj<TaxonomiesRules>,
    blocked_distribution_levels: Vec<Level>,
    blocked_sharing_groups_uuids: Vec<String>,
    blocked_attribute_types: Vec<String>,
    blocked_attribute_categories: Vec<String>,
    blocked_object_types: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct TaxonomiesRules {
    #[serde(default)]
    required_taxonomies: Vec<String>,
    #[serde(default)]
    allowed_tags: Ordered<Vec<String>>,
    #[serde(default)]
    blocked_tags: Vec<String>,
}

/// The first release's format.
#[derive(Debug, serde::Deserialize)]
struct LegacyConfig {
    proxy: Obj<HostPort>,
    misp: Obj<HostPort>,
    block_rules: Vec<Obj<BlockRule>>,
}

#[derive(Debug, serde::Deserialize)]
struct HostPort {
    host: String,
    port: u16,
}

#[derive(Debug, serde::Deserialize)]
struct BlockRule {
    id: String,
    #[serde(default)]
    #[allow(dead_code)] // read for its type only
    description: Option<String>,
    #[serde(default)]
    blocked_tags: Vec<String>,
    #[serde(default)]
    blocked_distribution_levels: Vec<Level>,
    #[serde(default)]
    blocked_sharing_groups_uuids: Vec<String>,
    #[serde(default)]
    blocked_attribute_types: Vec<String>,
    #[serde(default)]
    blocked_attribute_categories: Vec<String>,
    #[serde(default)]
    blocked_object_types: Vec<String>,
}

/// A struct read from a JSON object only: serde's derive also takes an array (fields
/// by position), which misp-guard's schema (and core) refuse.
#[derive(Debug, Default)]
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Vis<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(m))
            }
        }
        d.deserialize_map(Vis(PhantomData)).map(Obj)
    }
}

/// A distribution level as written: `"0"` (schema) or `0`.
#[derive(Debug)]
enum Level {
    Text(String),
    Number(u64),
}

impl Level {
    fn text(&self) -> String {
        match self {
            Level::Text(s) => s.clone(),
            Level::Number(n) => n.to_string(),
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis;
        impl Visitor<'_> for Vis {
            type Value = Level;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a distribution level (a string or an integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Level, E> {
                Ok(Level::Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Level, E> {
                Ok(Level::Number(v))
            }
        }
        d.deserialize_any(Vis)
    }
}

/// A JSON object kept in file order (instances are matched in file order), with
/// duplicate keys refused.
#[derive(Debug)]
struct Ordered<V>(Vec<(String, V)>);

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Vis<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                let mut seen = BTreeSet::new();
                while let Some(k) = m.next_key::<String>()? {
                    if !seen.insert(k.clone()) {
                        return Err(de::Error::custom(format!("duplicate key `{k}`")));
                    }
                    let v = m.next_value()?;
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Vis(PhantomData))
    }
}
