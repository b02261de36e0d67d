//! The compiled configuration: fixed-capacity tables, loaded once, then read-only.
//!
//! Both misp-guard formats compile into one [`Policy`]:
//! * **current** — `allowlist`, `compartments_rules.can_reach`, `instances{…}`: one
//!   [`RuleSet`] per instance (named after the instance);
//! * **legacy** (first release) — `proxy`, `misp`, `block_rules[…]`: one [`RuleSet`]
//!   per block rule (named after its `id`), all applied together.
//!
//! Capacities (over capacity is a [`ConfigError`], never a truncation):
//! [`MAX_INSTANCES`] instances, [`MAX_RULESETS`] rule sets, [`MAX_COMPARTMENTS`]
//! compartments, [`MAX_ENTRIES`] list entries in all, [`MAX_STR`] bytes per string
//! (after folding), [`ARENA`] bytes of strings in all.

mod build;
mod error;
mod handle;
mod lint;

mod load;

use crate::limits::{
    ARENA, MAX_COMPARTMENTS, MAX_ENTRIES, MAX_INSTANCES, MAX_REQUIRED, MAX_RULESETS, MAX_STR,
};
pub use build::{Builder, RuleSetSpec};
pub use error::{ConfigError, ConfigErrorKind};
pub use handle::PolicyRef;
pub use lint::{Lint, LintKind};
pub use load::keys::IgnoredKey;

/// Which configuration format was loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Per-instance rules with compartments.
    Current,
    /// The first release: global `block_rules`.
    Legacy,
}

/// Which endpoint list the request policy applies (configuration key `endpoints`,
/// current format; the legacy format keeps misp-guard's first release's list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EndpointList {
    /// misp-guard's list and the calls of MISP 2.4/2.5's sync it lacks, each in its
    /// exact shape and judged (`"endpoints": "misp-sync"`, the default).
    #[default]
    MispSync,
    /// misp-guard's list exactly (`"endpoints": "misp-guard"`).
    MispGuard,
}

impl EndpointList {
    /// The configuration value naming this list.
    pub fn name(self) -> &'static str {
        match self {
            EndpointList::MispSync => "misp-sync",
            EndpointList::MispGuard => "misp-guard",
        }
    }

    /// The list a configuration value names.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "misp-sync" => Some(EndpointList::MispSync),
            "misp-guard" => Some(EndpointList::MispGuard),
            _ => None,
        }
    }
}

/// Which message a body belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The request body (push).
    Request,
    /// The upstream response body (pull).
    Response,
}

/// Index of a rule set in its [`Policy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RuleSetId(pub u16);

/// What a body is, hence how the rule machine reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// `{"Event": {…}}` of an event the receiver may have already: push `/events/edit`,
    /// pull `/events/view` (MISP's `_edit` path for an event it has).
    Event,
    /// `{"Event": {…}}` pushed to `/events/add`: MISP stores it only as a new event
    /// (`Event::_add`), so every element is captured afresh.
    EventAdd,
    /// `[{"ShadowAttribute": {…}}, …]` (`/shadow_attributes/index`).
    ShadowAttributeIndex,
    /// `[{"GalaxyCluster": {…}}, …]` (`/galaxies/pushCluster`).
    GalaxyClusterList,
    /// `{"GalaxyCluster": {…}}` (`/galaxy_clusters/view`).
    GalaxyCluster,
    /// `{"Note"|"Opinion"|"Relationship": {…}}` (`/analyst_data/pushAnalystData`).
    AnalystData,
    /// `[{"Note"|"Opinion"|"Relationship": {…}}, …]` (`/analyst_data/index/…`).
    AnalystDataList,
    /// `/events/index` results: event metadata, judged on the fields present.
    EventsIndex,
    /// `/galaxy_clusters/restSearch` results, judged on the fields present.
    GalaxyClusterSearch,
    /// Sightings (`/sightings/…`), judged on the fields present.
    Sightings,
    /// Search parameters that must carry `minimal: 1` and `published: 1`.
    MinimalSearch(MinimalSearch),
    /// A JSON array of UUID strings and nothing else (`/sightings/filterSightingUuidsForPush`
    /// both ways).
    UuidList,
    /// MISP's API description of an action (`GET /eventReports/add`): an object with
    /// only `name`, `description`, `url` (strings), `mandatory_fields` and
    /// `optional_fields` (arrays of strings), `description` present.
    ApiDescription,
    /// `[{…}, …]` of bare shadow attributes (`/events/pushProposals/UUID`), each judged
    /// as a `/shadow_attributes/index` item's.
    ProposalList,
}

/// Which search a [`BodyKind::MinimalSearch`] guards (for the log wording).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinimalSearch {
    /// `POST /events/index`.
    EventsIndex,
    /// `POST /events/index` in the legacy format (`… external requests`).
    EventsIndexExternal,
    /// `POST /galaxy_clusters/restSearch`.
    GalaxyClusters,
}

impl MinimalSearch {
    /// The words misp-guard puts after `is required for`.
    pub fn label(self) -> &'static str {
        match self {
            MinimalSearch::EventsIndex => "/events/index",
            MinimalSearch::EventsIndexExternal => "/events/index external",
            MinimalSearch::GalaxyClusters => "/galaxy_clusters/restSearch",
        }
    }
}

/// A body to inspect: what it is, which rules, which side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// How to read the body.
    pub kind: BodyKind,
    /// The request or the response.
    pub side: Side,
    /// First rule set to apply.
    pub first: RuleSetId,
    /// Number of rule sets to apply (1 for the current format).
    pub count: u16,
    /// Check the `X-UserOrgUUID` response header against sharing groups.
    pub user_org_check: bool,
}

impl Inspection {
    /// Whether the body is an `/events/add` push: MISP stores a new event from it (an
    /// event it has already is not stored, the sender edits it next).
    pub(crate) fn adds_event(&self) -> bool {
        self.kind == BodyKind::EventAdd
    }
}

/// A string in the policy arena.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Str {
    off: u32,
    len: u32,
}

/// A run of [`Str`] entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) start: u16,
    pub(crate) len: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Instance {
    pub(crate) name: Str,
    pub(crate) ip: Str,
    pub(crate) host: Str,
    pub(crate) port: u16,
    pub(crate) compartment: u8,
}

/// One set of block rules (an instance's, or a legacy block rule).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleSet {
    pub(crate) name: Str,
    /// Bit `n` set: distribution level `n` is blocked (levels 0..=63).
    pub(crate) blocked_levels: u64,
    /// Folded with [`crate::fold::Fold::Ci`].
    pub(crate) blocked_tags: List,
    /// Folded with [`crate::fold::Fold::Ci`].
    pub(crate) blocked_sgs: List,
    /// Folded with [`crate::fold::Fold::Ci`].
    pub(crate) blocked_types: List,
    /// Folded with [`crate::fold::Fold::Trim`].
    pub(crate) blocked_categories: List,
    /// Folded with [`crate::fold::Fold::Ci`].
    pub(crate) blocked_object_types: List,
    /// [`crate::fold::Fold::Exact`], in configuration order.
    pub(crate) required: List,
    /// For each required taxonomy (same index), its allowed tags, [`crate::fold::Fold::Lower`].
    pub(crate) allowed: [List; MAX_REQUIRED],
}

/// The compiled configuration. Immutable once built; `Sync`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub(crate) format: Format,
    pub(crate) arena: heapless::Vec<u8, ARENA>,
    pub(crate) entries: heapless::Vec<Str, MAX_ENTRIES>,
    pub(crate) rulesets: heapless::Vec<RuleSet, MAX_RULESETS>,
    pub(crate) instances: heapless::Vec<Instance, MAX_INSTANCES>,
    /// Compartment names.
    pub(crate) compartments: heapless::Vec<Str, MAX_COMPARTMENTS>,
    /// `can_reach[i]` bit `j`: compartment `i` may reach compartment `j`.
    pub(crate) can_reach: heapless::Vec<u64, MAX_COMPARTMENTS>,
    pub(crate) allow_urls: List,
    pub(crate) allow_domains: List,
    /// Legacy `proxy` host and port.
    pub(crate) proxy: Option<(Str, u16)>,
    /// Legacy `misp` host and port.
    pub(crate) misp: Option<(Str, u16)>,
    /// Keys no rule reads, ignored (see [`load::keys`]).
    pub(crate) ignored: load::keys::Ignored,
    /// Which endpoint list applies (current format).
    pub(crate) endpoints: EndpointList,
}

impl Policy {
    /// The format the configuration was written in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The endpoint list the request policy applies (current format).
    pub fn endpoint_list(&self) -> EndpointList {
        self.endpoints
    }

    pub(crate) fn s(&self, s: Str) -> &str {
        // The arena only ever receives whole `str`s (see `Builder::intern`).
        core::str::from_utf8(self.bytes(s)).unwrap_or("")
    }

    /// The bytes of an interned string, without the UTF-8 check of [`Policy::s`]
    /// (comparisons on the evaluation path).
    fn bytes(&self, s: Str) -> &[u8] {
        &self.arena[s.off as usize..(s.off + s.len) as usize]
    }

    pub(crate) fn list(&self, l: List) -> impl Iterator<Item = &str> + '_ {
        self.entries[l.start as usize..(l.start + l.len) as usize].iter().map(|s| self.s(*s))
    }

    pub(crate) fn list_has(&self, l: List, v: &[u8]) -> bool {
        self.entries[l.start as usize..(l.start + l.len) as usize]
            .iter()
            .any(|s| self.bytes(*s) == v)
    }

    /// Number of rule sets.
    pub fn ruleset_count(&self) -> usize {
        self.rulesets.len()
    }

    /// A rule set's name: the instance name, or the legacy rule `id`.
    pub fn ruleset_name(&self, id: RuleSetId) -> &str {
        self.rulesets.get(id.0 as usize).map(|r| self.s(r.name)).unwrap_or("")
    }

    pub(crate) fn ruleset(&self, id: RuleSetId) -> &RuleSet {
        &self.rulesets[id.0 as usize]
    }

    /// Number of instances (current format).
    pub fn instance_count(&self) -> usize {
        self.instances.len()
    }

    /// Instance `i`'s name, ip, host and port.
    pub fn instance(&self, i: usize) -> Option<(&str, &str, &str, u16)> {
        let x = self.instances.get(i)?;
        Some((self.s(x.name), self.s(x.ip), self.s(x.host), x.port))
    }

    /// Instance index by address: its `ip` or its `host` (misp-guard's
    /// `instances_host_mapping`).
    pub(crate) fn instance_by_addr(&self, addr: &str) -> Option<usize> {
        self.instances
            .iter()
            .position(|i| same_host(self.s(i.ip), addr) || same_host(self.s(i.host), addr))
    }

    /// Legacy `proxy` (host, port).
    pub fn proxy(&self) -> Option<(&str, u16)> {
        self.proxy.map(|(h, p)| (self.s(h), p))
    }

    /// Legacy `misp` (host, port).
    pub fn misp(&self) -> Option<(&str, u16)> {
        self.misp.map(|(h, p)| (self.s(h), p))
    }
}

/// Whether two host names (or addresses) name the same host: DNS names are compared
/// without regard to ASCII case, and the absolute form `host.` is the host (RFC 4343,
/// RFC 1034 §3.1), so `MISP.example.` reaches the instance configured as `misp.example`
/// and gets its rules.
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    fn bare(h: &str) -> &str {
        h.strip_suffix('.').unwrap_or(h)
    }
    a == b || (!bare(a).is_empty() && bare(a).eq_ignore_ascii_case(bare(b)))
}

impl RuleSet {
    pub(crate) fn level_blocked(&self, level: u64) -> bool {
        level < 64 && self.blocked_levels & (1 << level) != 0
    }
}
