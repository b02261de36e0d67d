//! Compiles configuration values into a [`Policy`]. The loader (`load/`)
//! drives it, and so does the tests' second reading of a configuration (serde_json,
//! `testkit/src/config.rs`): both produce the same rules.

use super::{
    ConfigError, ConfigErrorKind, EndpointList, Format, Instance, List, Policy, RuleSet, RuleSetId,
    Str, MAX_REQUIRED, MAX_STR,
};
use crate::fold::{Fold, Folder};

/// Incremental construction of a [`Policy`]; errors name the offending JSON path.
pub struct Builder {
    p: Policy,
}

/// Values of one rule set, borrowed from the parsed configuration.
pub struct RuleSetSpec<'a, I: Iterator<Item = &'a str> + Clone> {
    /// Instance name or legacy rule id.
    pub name: &'a str,
    /// JSON path prefix for error messages (e.g. `instances.instance_1_1`).
    pub path: &'a str,
    /// `blocked_tags`.
    pub blocked_tags: I,
    /// `blocked_distribution_levels` as written (strings or numbers rendered).
    pub blocked_levels: I,
    /// `blocked_sharing_groups_uuids`.
    pub blocked_sgs: I,
    /// `blocked_attribute_types`.
    pub blocked_types: I,
    /// `blocked_attribute_categories`.
    pub blocked_categories: I,
    /// `blocked_object_types`.
    pub blocked_object_types: I,
    /// `required_taxonomies`.
    pub required: I,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new(Format::Current)
    }
}

impl Builder {
    /// An empty policy of `format`.
    pub fn new(format: Format) -> Self {
        Builder {
            p: Policy {
                format,
                arena: heapless::Vec::new(),
                entries: heapless::Vec::new(),
                rulesets: heapless::Vec::new(),
                instances: heapless::Vec::new(),
                compartments: heapless::Vec::new(),
                can_reach: heapless::Vec::new(),
                allow_urls: List::default(),
                allow_domains: List::default(),
                proxy: None,
                misp: None,
                ignored: Default::default(),
                endpoints: EndpointList::MispSync,
            },
        }
    }

    fn intern(&mut self, fold: Fold, s: &str, path: &str) -> Result<Str, ConfigError> {
        let mut buf = [0u8; MAX_STR];
        let v = fold_into(fold, s, &mut buf).ok_or_else(|| {
            ConfigError::semantic(ConfigErrorKind::Capacity, path, "string longer than 200 bytes")
        })?;
        // A fold of a `str` is a `str`: whole chars are written.
        let off = self.p.arena.len();
        self.p.arena.extend_from_slice(v).map_err(|_| {
            ConfigError::semantic(
                ConfigErrorKind::Capacity,
                path,
                "configuration strings exceed 64 KiB",
            )
        })?;
        Ok(Str { off: off as u32, len: v.len() as u32 })
    }

    fn list<'a>(
        &mut self,
        fold: Fold,
        items: impl Iterator<Item = &'a str>,
        path: &str,
    ) -> Result<List, ConfigError> {
        let start = self.p.entries.len();
        for s in items {
            let s = self.intern(fold, s, path)?;
            self.p.entries.push(s).map_err(|_| {
                ConfigError::semantic(
                    ConfigErrorKind::Capacity,
                    path,
                    "more than 2048 list entries",
                )
            })?;
        }
        Ok(List { start: start as u16, len: (self.p.entries.len() - start) as u16 })
    }

    /// Sets the endpoint list (`endpoints`).
    pub fn endpoints(&mut self, list: EndpointList) {
        self.p.endpoints = list;
    }

    /// Adds the allowlist.
    pub fn allowlist<'a>(
        &mut self,
        urls: impl Iterator<Item = &'a str>,
        domains: impl Iterator<Item = &'a str>,
    ) -> Result<(), ConfigError> {
        self.p.allow_urls = self.list(Fold::Exact, urls, "allowlist.urls")?;
        self.p.allow_domains = self.list(Fold::Exact, domains, "allowlist.domains")?;
        Ok(())
    }

    /// Declares a compartment; returns its index.
    pub fn compartment(&mut self, name: &str, path: &str) -> Result<u8, ConfigError> {
        if let Some(i) = self.compartment_index(name) {
            return Ok(i);
        }
        let s = self.intern(Fold::Exact, name, path)?;
        self.p.compartments.push(s).map_err(|_| {
            ConfigError::semantic(ConfigErrorKind::Capacity, path, "more than 64 compartments")
        })?;
        let _ = self.p.can_reach.push(0);
        Ok((self.p.compartments.len() - 1) as u8)
    }

    fn compartment_index(&self, name: &str) -> Option<u8> {
        self.p.compartments.iter().position(|c| self.p.s(*c) == name).map(|i| i as u8)
    }

    /// `can_reach[from]` contains `to`.
    pub fn can_reach(&mut self, from: u8, to: u8) {
        self.p.can_reach[from as usize] |= 1 << to;
    }

    /// Adds a rule set.
    pub fn ruleset<'a, I: Iterator<Item = &'a str> + Clone>(
        &mut self,
        spec: RuleSetSpec<'a, I>,
    ) -> Result<RuleSetId, ConfigError> {
        let mut p = PathBuf::new(spec.path);
        let mut r =
            RuleSet { name: self.intern(Fold::Exact, spec.name, spec.path)?, ..RuleSet::default() };
        for (i, lv) in spec.blocked_levels.enumerate() {
            let at = p.at("blocked_distribution_levels", i);
            let level = parse_level(lv).ok_or_else(|| {
                ConfigError::semantic(
                    ConfigErrorKind::Invalid,
                    at,
                    "distribution level must be 0..63",
                )
            })?;
            r.blocked_levels |= 1 << level;
        }
        // an instance keeps its tag rules in `taxonomies_rules`, a legacy rule at its top
        let (blocked_tags, required) = match self.p.format {
            Format::Current => {
                ("taxonomies_rules.blocked_tags", "taxonomies_rules.required_taxonomies")
            }
            Format::Legacy => ("blocked_tags", "required_taxonomies"),
        };
        r.blocked_tags = self.list(Fold::Ci, spec.blocked_tags, p.at(blocked_tags, usize::MAX))?;
        r.blocked_sgs = self.list(
            Fold::Ci,
            spec.blocked_sgs,
            p.at("blocked_sharing_groups_uuids", usize::MAX),
        )?;
        r.blocked_types =
            self.list(Fold::Ci, spec.blocked_types, p.at("blocked_attribute_types", usize::MAX))?;
        r.blocked_categories = self.list(
            Fold::Trim,
            spec.blocked_categories,
            p.at("blocked_attribute_categories", usize::MAX),
        )?;
        r.blocked_object_types = self.list(
            Fold::Ci,
            spec.blocked_object_types,
            p.at("blocked_object_types", usize::MAX),
        )?;
        if spec.required.clone().count() > MAX_REQUIRED {
            return Err(ConfigError::semantic(
                ConfigErrorKind::Capacity,
                p.at(required, usize::MAX),
                "more than 16 required taxonomies",
            ));
        }
        r.required = self.list(Fold::Exact, spec.required, p.at(required, usize::MAX))?;
        self.p.rulesets.push(r).map_err(|_| {
            ConfigError::semantic(ConfigErrorKind::Capacity, spec.path, "more than 64 rule sets")
        })?;
        Ok(RuleSetId((self.p.rulesets.len() - 1) as u16))
    }

    /// Sets the allowed tags of `taxonomy` in rule set `id` (ignored when the taxonomy
    /// is not required, as in misp-guard).
    pub fn allowed_tags<'a>(
        &mut self,
        id: RuleSetId,
        taxonomy: &str,
        tags: impl Iterator<Item = &'a str>,
        path: &str,
    ) -> Result<(), ConfigError> {
        let r = self.p.rulesets[id.0 as usize];
        let idx = self.p.list(r.required).position(|t| t == taxonomy);
        let list = self.list(Fold::Lower, tags, path)?;
        if let Some(i) = idx {
            self.p.rulesets[id.0 as usize].allowed[i] = list;
        }
        Ok(())
    }

    /// Adds an instance using rule set `ruleset` (which must be the next index).
    pub fn instance(
        &mut self,
        name: &str,
        ip: &str,
        host: &str,
        port: u16,
        compartment: u8,
        path: &str,
    ) -> Result<(), ConfigError> {
        let mut pb = PathBuf::new(path);
        if self.p.instance_by_addr(ip).is_some() {
            return Err(ConfigError::semantic(
                ConfigErrorKind::Invalid,
                pb.at("ip", usize::MAX),
                "duplicate instance ip",
            ));
        }
        if self.p.instance_by_addr(host).is_some() {
            return Err(ConfigError::semantic(
                ConfigErrorKind::Invalid,
                pb.at("host", usize::MAX),
                "duplicate instance host",
            ));
        }
        let inst = Instance {
            name: self.intern(Fold::Exact, name, path)?,
            ip: self.intern(Fold::Exact, ip, path)?,
            host: self.intern(Fold::Exact, host, path)?,
            port,
            compartment,
        };
        self.p.instances.push(inst).map_err(|_| {
            ConfigError::semantic(ConfigErrorKind::Capacity, path, "more than 64 instances")
        })
    }

    /// Legacy `proxy` and `misp` endpoints.
    pub fn legacy_hosts(
        &mut self,
        proxy: (&str, u16),
        misp: (&str, u16),
    ) -> Result<(), ConfigError> {
        let ph = self.intern(Fold::Exact, proxy.0, "proxy.host")?;
        let mh = self.intern(Fold::Exact, misp.0, "misp.host")?;
        self.p.proxy = Some((ph, proxy.1));
        self.p.misp = Some((mh, misp.1));
        Ok(())
    }

    /// The keys the loader ignored (see [`super::load::keys`]).
    pub(crate) fn ignored(&mut self, ignored: super::load::keys::Ignored) {
        self.p.ignored = ignored;
    }

    /// Number of compartments declared so far.
    pub fn compartment_count(&self) -> usize {
        self.p.compartments.len()
    }

    /// Looks up a declared compartment.
    pub fn find_compartment(&self, name: &str) -> Option<u8> {
        self.compartment_index(name)
    }

    /// The finished policy.
    pub fn finish(self) -> Policy {
        self.p
    }
}

/// Parses a configured distribution level: a decimal integer 0..=63.
fn parse_level(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u32 = s.parse().ok()?;
    (v < 64).then_some(v)
}

/// A small path formatter for error messages (`instances.x.blocked_tags[3]`).
struct PathBuf {
    base: heapless::String<128>,
    cur: heapless::String<160>,
}

impl PathBuf {
    fn new(base: &str) -> Self {
        let mut b = heapless::String::new();
        for c in base.chars() {
            if b.push(c).is_err() {
                break;
            }
        }
        PathBuf { base: b, cur: heapless::String::new() }
    }

    fn at(&mut self, field: &str, index: usize) -> &str {
        use core::fmt::Write;
        self.cur.clear();
        let _ = write!(self.cur, "{}.{}", self.base, field);
        if index != usize::MAX {
            let _ = write!(self.cur, "[{}]", index);
        }
        &self.cur
    }
}

/// Folds a whole configuration string into `out`; `None` when it does not fit.
fn fold_into<'b>(fold: Fold, s: &str, out: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut f: Folder<MAX_STR> = Folder::new(fold);
    f.push_str(s);
    let v = f.get()?;
    let dst = out.get_mut(..v.len())?;
    dst.copy_from_slice(v);
    Some(dst)
}
