//! The std loader: serde_json with line:column and JSON-path diagnostics.

use std::string::{String, ToString};
use std::vec::Vec;

use super::build::RuleSetSpec;
use super::model::{CurrentConfig, LegacyConfig};
use super::{Builder, ConfigError, ConfigErrorKind, Format, Policy};

impl Policy {
    /// Loads a configuration in either misp-guard format (told apart by its top-level
    /// keys: `block_rules` means legacy).
    ///
    /// Errors carry line:column (1-based) and the JSON path of the offending value.
    pub fn from_json_slice(json: &[u8]) -> Result<Policy, ConfigError> {
        let top: serde_json::Value = serde_json::from_slice(json).map_err(|e| serde_err(&e, ""))?;
        let obj = top.as_object().ok_or_else(|| {
            ConfigError::semantic(ConfigErrorKind::WrongType, "", "configuration must be a JSON object")
                .at(1, 1)
        })?;
        if obj.contains_key("block_rules") || obj.contains_key("proxy") {
            let de = &mut serde_json::Deserializer::from_slice(json);
            let cfg: LegacyConfig = serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                serde_err(e.inner(), &path)
            })?;
            compile_legacy(&cfg).map_err(|e| locate(e, json))
        } else {
            let de = &mut serde_json::Deserializer::from_slice(json);
            let cfg: CurrentConfig = serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                serde_err(e.inner(), &path)
            })?;
            compile_current(&cfg).map_err(|e| locate(e, json))
        }
    }
}

fn serde_err(e: &serde_json::Error, path: &str) -> ConfigError {
    use serde_json::error::Category;
    let msg = e.to_string();
    // serde_json appends " at line L column C"; keep the message itself.
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    let kind = match e.classify() {
        Category::Io => ConfigErrorKind::Io,
        Category::Syntax | Category::Eof => ConfigErrorKind::Syntax,
        Category::Data => {
            if msg.starts_with("missing field") {
                ConfigErrorKind::MissingField
            } else if msg.starts_with("unknown field") {
                ConfigErrorKind::UnknownField
            } else if msg.starts_with("invalid type") {
                ConfigErrorKind::WrongType
            } else {
                ConfigErrorKind::Invalid
            }
        }
    };
    ConfigError::semantic(kind, if path == "." { "" } else { path }, msg)
        .at(e.line() as u32, e.column() as u32)
}

/// Gives a semantic error the position of the value its path names.
fn locate(e: ConfigError, json: &[u8]) -> ConfigError {
    let (line, col) = position_of_path(json, &e.path).unwrap_or((1, 1));
    e.at(line, col)
}

/// Finds the position of the value at a dotted path (`instances.x.ip`,
/// `instances.x.blocked_tags[2]`) by walking the document with serde_json's
/// position-preserving tokenizer: the first key of each segment after the previous
/// one. Good enough to point an editor at the offending line.
fn position_of_path(json: &[u8], path: &str) -> Option<(u32, u32)> {
    let text = core::str::from_utf8(json).ok()?;
    let mut from = 0usize;
    for seg in path.split('.') {
        let key = seg.split('[').next().unwrap_or(seg);
        if key.is_empty() {
            continue;
        }
        let needle = std::format!("\"{key}\"");
        from += text[from..].find(&needle)?;
    }
    let before = &text[..from];
    let line = before.matches('\n').count() as u32 + 1;
    let col = (from - before.rfind('\n').map(|i| i + 1).unwrap_or(0)) as u32 + 1;
    Some((line, col))
}

fn strs(v: &[String]) -> impl Iterator<Item = &str> + Clone {
    v.iter().map(String::as_str)
}

fn compile_current(cfg: &CurrentConfig) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Current);
    b.allowlist(strs(&cfg.allowlist.urls), strs(&cfg.allowlist.domains))?;
    // Compartments: every source of can_reach, then every target must be declared.
    for (name, _) in &cfg.compartments_rules.can_reach.0 {
        b.compartment(name, &std::format!("compartments_rules.can_reach.{name}"))?;
    }
    for (name, targets) in &cfg.compartments_rules.can_reach.0 {
        let from = b.find_compartment(name).unwrap_or(0);
        for (i, t) in targets.iter().enumerate() {
            let to = b.find_compartment(t).ok_or_else(|| {
                ConfigError::semantic(
                    ConfigErrorKind::Invalid,
                    &std::format!("compartments_rules.can_reach.{name}[{i}]"),
                    &std::format!("unknown compartment `{t}`"),
                )
            })?;
            b.can_reach(from, to);
        }
    }
    for (name, inst) in &cfg.instances.0 {
        let path = std::format!("instances.{name}");
        let comp = b.find_compartment(&inst.compartment_id).ok_or_else(|| {
            ConfigError::semantic(
                ConfigErrorKind::Invalid,
                &std::format!("{path}.compartment_id"),
                &std::format!("unknown compartment `{}`", inst.compartment_id),
            )
        })?;
        let levels: Vec<String> = inst.blocked_distribution_levels.iter().map(|l| l.text()).collect();
        let t = &inst.taxonomies_rules;
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
            b.allowed_tags(id, tax, strs(tags), &std::format!("{path}.taxonomies_rules.allowed_tags.{tax}"))?;
        }
        b.instance(name, &inst.ip, &inst.host, inst.port, comp, &path)?;
    }
    Ok(b.finish())
}

fn compile_legacy(cfg: &LegacyConfig) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Legacy);
    b.legacy_hosts((&cfg.proxy.host, cfg.proxy.port), (&cfg.misp.host, cfg.misp.port))?;
    for (i, r) in cfg.block_rules.iter().enumerate() {
        let path = std::format!("block_rules[{i}]");
        let levels: Vec<String> = r.blocked_distribution_levels.iter().map(|l| l.text()).collect();
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
