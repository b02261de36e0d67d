//! The std loader: serde_json with line:column and JSON-path diagnostics.

use std::string::{String, ToString};
use std::vec::Vec;

use super::build::RuleSetSpec;
use super::keys::Ignored;
use super::load_core::{
    endpoint_list, line_col, locate, position_of_nth, position_of_path, struct_as_sequence,
};
use super::model::{CurrentConfig, LegacyConfig};
use super::{Builder, ConfigError, ConfigErrorKind, Format, Policy};

impl Policy {
    /// Loads a configuration in either misp-guard format (told apart by its top-level
    /// keys: `block_rules` or `proxy` means legacy).
    ///
    /// Keys neither format reads are ignored (as misp-guard does) and listed by
    /// [`Policy::ignored_keys`], unless they look like a misspelling of one it reads
    /// (an [`ConfigErrorKind::UnknownField`] error; see `policy/keys.rs`).
    ///
    /// Errors carry line:column (1-based) and the JSON path of the offending value:
    /// syntax errors where serde_json stops; data errors (missing/unknown field, wrong
    /// type, …) and semantic ones (duplicate instance ip, unknown compartment, …) at
    /// the key (or array element) their path names, as the no-alloc loader reports
    /// them.
    pub fn from_json_slice(json: &[u8]) -> Result<Policy, ConfigError> {
        // the no-alloc loader's syntax check first: one message and position per file
        super::load_core::check_syntax(json)?;
        // and its format detection: the same top-level refusal from both loaders
        let format = super::load_core::detect_format(json)?;
        let legacy = format == Format::Legacy;
        // and its key check: misspellings refused, annotations ignored and recorded
        let ignored = super::keys::check_keys(json, format)?;
        // serde's derived structs also accept arrays (fields by position): refuse them
        // as the no-alloc loader does, in document order with the other data errors.
        let shape = struct_as_sequence(json, legacy).map(|(path, off)| {
            let e = ConfigError::semantic(
                ConfigErrorKind::WrongType,
                &path,
                "invalid type: sequence, expected a map",
            );
            let (line, col) = line_col(json, off);
            (off, e.at(line, col))
        });
        let first = |e: ConfigError| -> ConfigError {
            match &shape {
                Some((off, s)) if position_of_path(json, &e.path).map_or(true, |p| *off <= p) => {
                    s.clone()
                }
                _ => e,
            }
        };
        let policy = if legacy {
            let de = &mut serde_json::Deserializer::from_slice(json);
            let cfg: LegacyConfig =
                serde_path_to_error::deserialize(de).map_err(|e| first(data_err(&e, json)))?;
            if let Some((_, e)) = shape {
                return Err(e);
            }
            compile_legacy(&cfg, ignored)
        } else {
            let de = &mut serde_json::Deserializer::from_slice(json);
            let cfg: CurrentConfig =
                serde_path_to_error::deserialize(de).map_err(|e| first(data_err(&e, json)))?;
            if let Some((_, e)) = shape {
                return Err(e);
            }
            compile_current(&cfg, ignored)
        };
        policy.map_err(|e| locate(e, json))
    }
}

fn data_err(e: &serde_path_to_error::Error<serde_json::Error>, json: &[u8]) -> ConfigError {
    let mut path = e.path().to_string();
    if path == "." {
        path.clear();
    }
    // A duplicate is reported at the map holding it: name the key, and point at its
    // second occurrence, as the no-alloc loader does.
    let msg = e.inner().to_string();
    if let Some(rest) =
        msg.strip_prefix("duplicate field `").or_else(|| msg.strip_prefix("duplicate key `"))
    {
        if let Some(key) = rest.split('`').next() {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            if let Some(off) = position_of_nth(json, &path, 1) {
                let (line, col) = line_col(json, off);
                let msg = msg.split(" at line ").next().unwrap_or(&msg);
                return ConfigError::semantic(ConfigErrorKind::Invalid, &path, msg).at(line, col);
            }
        }
    }
    serde_err(e.inner(), &path, json)
}

fn serde_err(e: &serde_json::Error, path: &str, json: &[u8]) -> ConfigError {
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
    let err = ConfigError::semantic(kind, path, msg);
    let at_path = match kind {
        // serde_json stops right after the offending token: exact already.
        ConfigErrorKind::Syntax | ConfigErrorKind::Io => None,
        // Where the path resolves, point at its key as the no-alloc loader does.
        _ => position_of_path(json, path),
    };
    match at_path {
        Some(off) => {
            let (line, col) = line_col(json, off);
            err.at(line, col)
        }
        None => {
            // serde_json says "column 0" after consuming a line feed (e.g. one inside a
            // string): that is the line feed ending the previous line.
            let (line, col) = match (e.line(), e.column()) {
                (l, 0) if l > 1 => {
                    nth_line_end(json, l - 1).map_or((l as u32, 1), |o| line_col(json, o))
                }
                (l, c) => (l as u32, c as u32),
            };
            err.at(line, col)
        }
    }
}

/// Offset of the line feed ending 1-based line `line`.
fn nth_line_end(json: &[u8], line: usize) -> Option<usize> {
    json.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 1).map(|(i, _)| i)
}

fn strs(v: &[String]) -> impl Iterator<Item = &str> + Clone {
    v.iter().map(String::as_str)
}

fn compile_current(cfg: &CurrentConfig, ignored: Ignored) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Current);
    b.ignored(ignored);
    if let Some(name) = &cfg.endpoints {
        b.endpoints(endpoint_list(name)?);
    }
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
        let levels: Vec<String> =
            inst.blocked_distribution_levels.iter().map(|l| l.text()).collect();
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
            b.allowed_tags(
                id,
                tax,
                strs(tags),
                &std::format!("{path}.taxonomies_rules.allowed_tags.{tax}"),
            )?;
        }
        b.instance(name, &inst.ip, &inst.host, inst.port, comp, &path)?;
    }
    Ok(b.finish())
}

fn compile_legacy(cfg: &LegacyConfig, ignored: Ignored) -> Result<Policy, ConfigError> {
    let mut b = Builder::new(Format::Legacy);
    b.ignored(ignored);
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
