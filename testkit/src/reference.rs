//! The naive reference evaluator: parse the whole body into a `serde_json::Value`,
//! then walk it applying misp-guard's body rules in misp-guard's order.
//!
//! It is the oracle of the property tests and the "naive way" in the benches. It is
//! deliberately independent of the core: it reads one instance's rules from a
//! current-format configuration as a `serde_json::Value` ([`Rules::from_value`]) and
//! returns [`Outcome::Allow`] or [`Outcome::Block`] with misp-guard's message (the
//! part after `request blocked: [METHOD]/path - `).
//!
//! # Behaviour followed (misp-guard, current format)
//!
//! * Events: `Event.info` must exist; event tags, required taxonomies, distribution,
//!   event reports, sharing group (+ `X-UserOrgUUID`), event-level analyst data; then
//!   every `Attribute` (category, type, distribution, tags, required taxonomies,
//!   sharing group, nested `ShadowAttribute`, analyst data); then every `Object`
//!   (distribution, sharing group, type, its attributes, analyst data). The first
//!   violation in that order is reported.
//! * Comparisons as misp-guard makes them: tags, types, object types and sharing
//!   group UUIDs lower-cased on both sides; categories exact; levels compared as
//!   Python's `str(value)` against the configured strings (so `0` and `"0"` match,
//!   `0.0` and `false` do not); required taxonomies by case-sensitive prefix
//!   `taxonomy + ":"`, allowed tags lower-cased.
//! * A field misp-guard reads unconditionally but is absent, or a value of a type
//!   its code cannot handle, raises in Python and ends as misp-guard's generic
//!   `unexpected error, rejecting request|response` — so does it here.
//!
//! # Where it differs from misp-guard (approximations)
//!
//! * Parsing is serde_json's, not Python's: NaN/Infinity, lone UTF-16 surrogates
//!   (`"\ud800"`), a UTF-8 BOM, UTF-16/32 bodies and integers beyond 64 bits are
//!   accepted by Python and refused (or rounded) here. All such bodies are blocked
//!   with `invalid JSON body` (misp-guard words parse errors of non-event bodies with
//!   Python's exception text; the verdict is the same, the wording is not).
//! * Python iterates a non-empty dict or string where a list is expected; here that
//!   is an unexpected error (it would almost always fail one step later in Python).
//! * Floats are rendered like Python's `repr` only for integral values (`1.0`);
//!   other floats use Rust's formatting, which never equals a configured level.
//! * `/events/index` results and `/galaxy_clusters/restSearch` results are not
//!   inspected by misp-guard at all. Here (like the core's "judged on the fields
//!   present") they must be JSON, and each element's `distribution`,
//!   `SharingGroup.uuid`, `Tag[].name` and `EventTag[].Tag.name` (events) or
//!   `GalaxyCluster.distribution` (clusters) are checked when present.
//!
//! # Where the core differs by design (the core is stricter)
//!
//! The streaming core refuses what this model (and misp-guard) would pass or judge
//! on a different value: duplicate keys that a rule reads (serde_json and Python keep
//! the last one), invalid UTF-8 and lone surrogates, trailing data, nesting beyond
//! its bound, more elements/taxonomies than its fixed capacity, levels that are not
//! plain level numbers; it folds tags with MySQL `utf8mb4_*_ci` rules (so
//! `TLP:RED`, `tlp:red ` and full-width variants match as MISP's database would)
//! and trims categories. It also reads more than misp-guard does (so a body this
//! model allows may be blocked by the core): galaxy clusters inside events and
//! attributes (`distribution`, `SharingGroup`, `tag_name`), `Tag` lists on objects,
//! reports, clusters and analyst data, `EventTag`/`AttributeTag` wrappers, attribute
//! `Sighting`s, sharing groups on reports and analyst data, analyst data on reports,
//! galaxy cluster relations, lists placed next to `Event` in the wrapper. It refuses
//! what MISP reads in place of what the guard sees: a `request` or `response` wrapper
//! next to `Event`, an `Object` inside an object, an `EventReport` inside a report, a
//! top-level `note_type_name` in analyst data, a request body whose `Content-Type` is
//! not `application/json`, `tag_id` in `EventTag`/`AttributeTag` items, distribution 4
//! without a `SharingGroup` object on stored elements, an empty (`""`, `"0"`, `null`)
//! or, when categories are blocked, absent category (MISP applies the type's default);
//! and a `null` distribution where a missing one is refused (MISP applies its default
//! level to both). It is more lenient where MISP leaves parts out: an object without
//! `Attribute`, an empty `related_object`.
//! Property tests must state these cases instead of comparing verdicts on them; the
//! generator ([`crate::bodies`]) produces none of them unless planted.

use serde_json::Value;

/// What a body is (mirrors the core's `BodyKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{"Event": {…}}`.
    Event,
    /// `[{"ShadowAttribute": {…}}, …]`.
    ShadowAttributeIndex,
    /// `[{"GalaxyCluster": {…}}, …]` (push).
    GalaxyClusterList,
    /// `{"GalaxyCluster": {…}}` (pull of one cluster).
    GalaxyCluster,
    /// `{"Note"|"Opinion"|"Relationship": {…}}` (push).
    AnalystData,
    /// `[{"Note"|"Opinion"|"Relationship": {…}}, …]` (pull).
    AnalystDataList,
    /// `/events/index` results (see the module docs).
    EventsIndex,
    /// `/galaxy_clusters/restSearch` results (see the module docs).
    GalaxyClusterSearch,
    /// Sightings: parsed, no rules.
    Sightings,
    /// Search parameters that must carry `minimal: 1` and `published: 1`.
    MinimalSearch(Search),
}

/// Which search a [`Kind::MinimalSearch`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// `POST /events/index`.
    EventsIndex,
    /// `POST /galaxy_clusters/restSearch`.
    GalaxyClusters,
}

/// Request (push) or response (pull) body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The request body.
    Request,
    /// The upstream response body.
    Response,
}

/// The reference verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Pass.
    Allow,
    /// Refuse, with misp-guard's message.
    Block(String),
}

impl Outcome {
    /// `true` for [`Outcome::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Outcome::Allow)
    }
}

/// One instance's body rules, pre-folded as misp-guard compares them.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    blocked_tags: Vec<String>,
    required: Vec<(String, Vec<String>)>,
    levels: Vec<String>,
    sgs: Vec<String>,
    types: Vec<String>,
    categories: Vec<String>,
    object_types: Vec<String>,
}

fn str_list(v: &Value, path: &str) -> Result<Vec<String>, String> {
    let mut cur = v;
    for k in path.split('.') {
        cur = cur.get(k).ok_or_else(|| format!("missing {path}"))?;
    }
    cur.as_array()
        .ok_or_else(|| format!("{path}: not a list"))?
        .iter()
        .map(|x| x.as_str().map(str::to_string).ok_or_else(|| format!("{path}: not a string")))
        .collect()
}

fn lower_all(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_lowercase()).collect()
}

impl Rules {
    /// Reads one instance's rules (an element of a current-format `instances`).
    pub fn from_value(inst: &Value) -> Result<Rules, String> {
        let required = str_list(inst, "taxonomies_rules.required_taxonomies")?;
        let allowed = inst
            .get("taxonomies_rules")
            .and_then(|t| t.get("allowed_tags"))
            .cloned()
            .unwrap_or(Value::Null);
        let mut req = Vec::new();
        for r in required {
            let a = match allowed.get(&r) {
                Some(list) => lower_all(str_list(&serde_json::json!({ "x": list }), "x")?),
                None => Vec::new(),
            };
            req.push((r, a));
        }
        Ok(Rules {
            blocked_tags: lower_all(str_list(inst, "taxonomies_rules.blocked_tags")?),
            required: req,
            levels: str_list(inst, "blocked_distribution_levels")?,
            sgs: lower_all(str_list(inst, "blocked_sharing_groups_uuids")?),
            types: lower_all(str_list(inst, "blocked_attribute_types")?),
            categories: str_list(inst, "blocked_attribute_categories")?,
            object_types: lower_all(str_list(inst, "blocked_object_types")?),
        })
    }

    /// Is a tag name blocked (lower-cased comparison)?
    pub fn tag_blocked(&self, name: &str) -> bool {
        contains_lower(&self.blocked_tags, name)
    }
    /// Are any tags blocked at all?
    pub fn any_blocked_tags(&self) -> bool {
        !self.blocked_tags.is_empty()
    }
    /// Required taxonomies with their allowed tags (lower-cased; empty = any).
    pub fn required(&self) -> &[(String, Vec<String>)] {
        &self.required
    }
    /// Is a level (Python `str()` of the value) blocked?
    pub fn level_blocked(&self, level: &str) -> bool {
        self.levels.iter().any(|l| l == level)
    }
    /// Are any sharing groups blocked at all?
    pub fn any_blocked_sgs(&self) -> bool {
        !self.sgs.is_empty()
    }
    /// Is a sharing group UUID blocked (lower-cased)?
    pub fn sg_blocked(&self, uuid: &str) -> bool {
        contains_lower(&self.sgs, uuid)
    }
    /// Is an attribute type blocked (lower-cased)?
    pub fn type_blocked(&self, t: &str) -> bool {
        contains_lower(&self.types, t)
    }
    /// Is an attribute category blocked (exact)?
    pub fn category_blocked(&self, c: &str) -> bool {
        self.categories.iter().any(|x| x == c)
    }
    /// Is an object type blocked (lower-cased)?
    pub fn object_type_blocked(&self, t: &str) -> bool {
        contains_lower(&self.object_types, t)
    }
}

fn contains_lower(list: &[String], s: &str) -> bool {
    if list.is_empty() {
        return false;
    }
    // ASCII fast path: no allocation unless there is something to fold.
    if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
        return list.iter().any(|x| x == s);
    }
    list.contains(&s.to_lowercase())
}

/// Does a tag name satisfy required taxonomy `tax` with allowed tags `allowed`
/// (misp-guard: case-sensitive prefix `tax:`, then lower-cased membership)?
pub fn satisfies_required(name: &str, tax: &str, allowed: &[String]) -> bool {
    name.len() > tax.len()
        && name.starts_with(tax)
        && name.as_bytes()[tax.len()] == b':'
        && (allowed.is_empty() || contains_lower(allowed, name))
}

/// `str(value)` as Python prints a JSON-decoded value (see the module docs).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                n.to_string()
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    n.to_string()
                }
            }
        }
        other => other.to_string(),
    }
}

/// Python's truthiness of a JSON-decoded value.
pub fn py_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// misp-guard's messages, shared with the typed comparators.
pub mod msg {
    /// `event has blocked tag: …`
    pub fn event_tag(t: &str) -> String {
        format!("event has blocked tag: {t}")
    }
    /// `event is missing required taxonomies` (no `Tag` list on the event).
    pub const EVENT_NO_TAGS: &str = "event is missing required taxonomies";
    /// `attribute is missing required taxonomies`.
    pub const ATTRIBUTE_NO_TAGS: &str = "attribute is missing required taxonomies";
    /// `event is missing required taxonomy: …` (events and attributes alike).
    pub fn missing_taxonomy(t: &str) -> String {
        format!("event is missing required taxonomy: {t}")
    }
    /// `event has blocked distribution level: …`
    pub fn event_level(l: &str) -> String {
        format!("event has blocked distribution level: {l}")
    }
    /// `event has blocked sharing group uuid: …`
    pub fn event_sg(u: &str) -> String {
        format!("event has blocked sharing group uuid: {u}")
    }
    /// `event report has blocked distribution level: …`
    pub fn report_level(l: &str) -> String {
        format!("event report has blocked distribution level: {l}")
    }
    /// `attribute with a blocked tag: …`
    pub fn attribute_tag(t: &str) -> String {
        format!("attribute with a blocked tag: {t}")
    }
    /// `attribute with a blocked distribution level: …`
    pub fn attribute_level(l: &str) -> String {
        format!("attribute with a blocked distribution level: {l}")
    }
    /// `attribute with a blocked sharing group uuid: …`
    pub fn attribute_sg(u: &str) -> String {
        format!("attribute with a blocked sharing group uuid: {u}")
    }
    /// `attribute with a blocked type: …`
    pub fn attribute_type(t: &str) -> String {
        format!("attribute with a blocked type: {t}")
    }
    /// `attribute with a blocked category: …`
    pub fn attribute_category(c: &str) -> String {
        format!("attribute with a blocked category: {c}")
    }
    /// `object with a blocked distribution level: …`
    pub fn object_level(l: &str) -> String {
        format!("object with a blocked distribution level: {l}")
    }
    /// `object with a blocked sharing group uuid: …`
    pub fn object_sg(u: &str) -> String {
        format!("object with a blocked sharing group uuid: {u}")
    }
    /// `object with a blocked type: …`
    pub fn object_type(t: &str) -> String {
        format!("object with a blocked type: {t}")
    }
    /// `galaxy cluster has blocked distribution level: …`
    pub fn cluster_level(l: &str) -> String {
        format!("galaxy cluster has blocked distribution level: {l}")
    }
    /// `analyst data has blocked distribution level: …`
    pub fn analyst_level(l: &str) -> String {
        format!("analyst data has blocked distribution level: {l}")
    }
    /// `user with organisation uuid: … (X-UserOrgUUID) not in sharing group`
    pub fn user_org(u: &str) -> String {
        format!("user with organisation uuid: {u} (X-UserOrgUUID) not in sharing group")
    }
    /// Body that is not JSON.
    pub const INVALID_JSON: &str = "invalid JSON body";
    /// Event body without its wrapper.
    pub const NO_EVENT: &str = "no `Event` property in request body";
    /// misp-guard's catch-all for a request.
    pub const UNEXPECTED_REQUEST: &str = "unexpected error, rejecting request";
    /// misp-guard's catch-all for a response.
    pub const UNEXPECTED_RESPONSE: &str = "unexpected error, rejecting response";
    /// The `minimal`/`published` requirement.
    pub fn minimal(label: &str) -> String {
        format!("{{'minimal': 1, 'published': 1}} is required for {label} requests")
    }
}

/// How a walk ended early.
enum Fail {
    /// A rule refused (misp-guard's `ForbiddenException`), with its message.
    Forbidden(String),
    /// Python raised something else (KeyError, TypeError, …).
    Unexpected,
}

type R = Result<(), Fail>;

fn forbid(m: String) -> R {
    Err(Fail::Forbidden(m))
}

/// `v[k]` (KeyError/TypeError → unexpected).
fn key<'v>(v: &'v Value, k: &str) -> Result<&'v Value, Fail> {
    v.as_object().and_then(|o| o.get(k)).ok_or(Fail::Unexpected)
}

/// `k in v`.
fn has(v: &Value, k: &str) -> Result<bool, Fail> {
    match v {
        Value::Object(o) => Ok(o.contains_key(k)),
        Value::Array(a) => Ok(a.iter().any(|x| x.as_str() == Some(k))),
        Value::String(s) => Ok(s.contains(k)),
        _ => Err(Fail::Unexpected),
    }
}

/// `for x in v` where misp-guard expects a list.
fn items(v: &Value) -> Result<&[Value], Fail> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Object(o) if o.is_empty() => Ok(&[]),
        Value::String(s) if s.is_empty() => Ok(&[]),
        _ => Err(Fail::Unexpected),
    }
}

/// `v.lower()` / `v.startswith()` need a str.
fn text(v: &Value) -> Result<&str, Fail> {
    v.as_str().ok_or(Fail::Unexpected)
}

/// The reference evaluator for one instance's rules.
#[derive(Clone, Debug)]
pub struct Reference {
    rules: Rules,
}

impl Reference {
    /// From one instance's rules object.
    pub fn new(instance_rules: &Value) -> Result<Reference, String> {
        Ok(Reference { rules: Rules::from_value(instance_rules)? })
    }

    /// From pre-folded rules.
    pub fn from_rules(rules: Rules) -> Reference {
        Reference { rules }
    }

    /// The rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Parses `body` and judges it. `user_org_uuid`: the `X-UserOrgUUID` response
    /// header (misp-guard uses it on event pulls only; pass `None` elsewhere).
    pub fn evaluate(
        &self,
        kind: Kind,
        side: Side,
        body: &[u8],
        user_org_uuid: Option<&str>,
    ) -> Outcome {
        let parsed = serde_json::from_slice::<Value>(body);
        self.evaluate_parsed(kind, side, parsed.as_ref().ok(), user_org_uuid)
    }

    /// Judges an already parsed body (`None`: the body was not JSON).
    pub fn evaluate_parsed(
        &self,
        kind: Kind,
        side: Side,
        body: Option<&Value>,
        user_org_uuid: Option<&str>,
    ) -> Outcome {
        let w = Walk { r: &self.rules, user_org: user_org_uuid };
        let res = match (kind, body) {
            (Kind::MinimalSearch(_), None) => Err(Fail::Unexpected),
            (Kind::EventsIndex | Kind::GalaxyClusterSearch, None) | (_, None) => {
                return Outcome::Block(msg::INVALID_JSON.into())
            }
            (kind, Some(v)) => w.body(kind, v),
        };
        match res {
            Ok(()) => Outcome::Allow,
            Err(Fail::Forbidden(m)) => Outcome::Block(m),
            Err(Fail::Unexpected) => Outcome::Block(
                match side {
                    Side::Request => msg::UNEXPECTED_REQUEST,
                    Side::Response => msg::UNEXPECTED_RESPONSE,
                }
                .into(),
            ),
        }
    }
}

struct Walk<'a> {
    r: &'a Rules,
    user_org: Option<&'a str>,
}

impl Walk<'_> {
    fn body(&self, kind: Kind, v: &Value) -> R {
        match kind {
            Kind::Event => {
                match v {
                    Value::Object(_) | Value::Array(_) | Value::String(_) => {
                        if !has(v, "Event")? {
                            return forbid(msg::NO_EVENT.into());
                        }
                    }
                    other => {
                        return forbid(format!(
                            "argument of type '{}' is not iterable",
                            py_type(other)
                        ))
                    }
                }
                let ev = key(v, "Event")?;
                key(ev, "info")?;
                self.event_level(v)?;
                self.attributes(key(ev, "Attribute")?)?;
                self.objects(key(ev, "Object")?)
            }
            Kind::ShadowAttributeIndex => {
                let list = match v {
                    Value::Array(a) => a.as_slice(),
                    _ => items(v).map_err(|_| Fail::Forbidden("'ShadowAttribute'".into()))?,
                };
                let mut sas = Vec::with_capacity(list.len());
                for x in list {
                    match x.as_object().and_then(|o| o.get("ShadowAttribute")) {
                        Some(sa) => sas.push(sa.clone()),
                        None => return forbid("'ShadowAttribute'".into()),
                    }
                }
                self.attributes(&Value::Array(sas))
            }
            Kind::GalaxyClusterList => {
                for gc in items(v)? {
                    self.cluster(gc)?;
                }
                Ok(())
            }
            Kind::GalaxyCluster => self.cluster(v),
            Kind::AnalystData => self.analyst_elem(v),
            Kind::AnalystDataList => {
                for e in items(v)? {
                    self.analyst_elem(e)?;
                }
                Ok(())
            }
            Kind::Sightings => Ok(()),
            Kind::MinimalSearch(s) => {
                let label = match s {
                    Search::EventsIndex => "/events/index",
                    Search::GalaxyClusters => "/galaxy_clusters/restSearch",
                };
                let one = |k: &str| -> Result<bool, Fail> {
                    if !has(v, k)? {
                        return Ok(false);
                    }
                    let x = key(v, k)?;
                    // Python: `x != 1` is false for 1, 1.0 and True.
                    Ok(match x {
                        Value::Bool(b) => *b,
                        Value::Number(n) => n.as_f64() == Some(1.0),
                        _ => false,
                    })
                };
                if one("minimal")? && one("published")? {
                    Ok(())
                } else {
                    forbid(msg::minimal(label))
                }
            }
            Kind::EventsIndex => {
                if let Value::Array(list) = v {
                    for e in list {
                        let ev = e.get("Event").unwrap_or(e);
                        self.index_event(ev)?;
                    }
                }
                Ok(())
            }
            Kind::GalaxyClusterSearch => {
                if let Value::Array(list) = v {
                    for e in list {
                        if let Some(d) = e.get("GalaxyCluster").and_then(|g| g.get("distribution"))
                        {
                            let l = py_str(d);
                            if self.r.level_blocked(&l) {
                                return forbid(msg::cluster_level(&l));
                            }
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Extension (see module docs): an `/events/index` element, on the fields present.
    fn index_event(&self, ev: &Value) -> R {
        // the sync's index search asks for published events only: an unpublished one
        // in the answer means the search's filters were not applied
        if let Some(p) = ev.get("published") {
            let published = match p {
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|v| v != 0.0),
                Value::String(s) => s == "1" || s == "true",
                _ => false,
            };
            if !published {
                return forbid(msg::minimal("/events/index"));
            }
        }
        let tag_names = ev
            .get("Tag")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.get("name"))
            .chain(
                ev.get("EventTag")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|et| et.get("Tag").and_then(|t| t.get("name"))),
            );
        for n in tag_names.filter_map(Value::as_str) {
            if self.r.tag_blocked(n) {
                return forbid(msg::event_tag(n));
            }
        }
        if let Some(d) = ev.get("distribution") {
            let l = py_str(d);
            if self.r.level_blocked(&l) {
                return forbid(msg::event_level(&l));
            }
        }
        if let Some(u) = ev.get("SharingGroup").and_then(|s| s.get("uuid")).and_then(Value::as_str)
        {
            if self.r.sg_blocked(u) {
                return forbid(msg::event_sg(u));
            }
        }
        Ok(())
    }

    fn required(&self, tags: &Value) -> R {
        for (tax, allowed) in self.r.required() {
            let mut found = false;
            for tag in items(tags)? {
                let name = text(key(tag, "name")?)?;
                if satisfies_required(name, tax, allowed) {
                    found = true;
                    break;
                }
            }
            if !found {
                return forbid(msg::missing_taxonomy(tax));
            }
        }
        Ok(())
    }

    /// misp-guard's `check_event_level_rules` on `{"Event": …}`.
    fn event_level(&self, wrapper: &Value) -> R {
        let ev = key(wrapper, "Event")?;
        if has(ev, "Tag")? {
            for tag in items(key(ev, "Tag")?)? {
                let name = text(key(tag, "name")?)?;
                if self.r.tag_blocked(name) {
                    return forbid(msg::event_tag(name));
                }
            }
        }
        if !self.r.required().is_empty() {
            if !has(ev, "Tag")? {
                return forbid(msg::EVENT_NO_TAGS.into());
            }
            self.required(key(ev, "Tag")?)?;
        }
        let l = py_str(key(ev, "distribution")?);
        if self.r.level_blocked(&l) {
            return forbid(msg::event_level(&l));
        }
        if has(ev, "EventReport")? {
            for rep in items(key(ev, "EventReport")?)? {
                let l = py_str(key(rep, "distribution")?);
                if self.r.level_blocked(&l) {
                    return forbid(msg::report_level(&l));
                }
            }
        }
        if self.r.any_blocked_sgs() && has(ev, "SharingGroup")? {
            let u = text(key(key(ev, "SharingGroup")?, "uuid")?)?;
            if self.r.sg_blocked(u) {
                return forbid(msg::event_sg(u));
            }
        }
        if self.user_org.is_some() && has(ev, "SharingGroup")? {
            self.user_org_check(ev)?;
        }
        self.analyst_lists(ev)
    }

    fn analyst_lists(&self, elem: &Value) -> R {
        for k in ["Note", "Opinion"] {
            if has(elem, k)? {
                for n in items(key(elem, k)?)? {
                    self.analyst(n)?;
                }
            }
        }
        if has(elem, "Relationship")? {
            for r in items(key(elem, "Relationship")?)? {
                self.relationship(r)?;
            }
        }
        Ok(())
    }

    fn user_org_check(&self, elem: &Value) -> R {
        let Some(uo) = self.user_org else { return Ok(()) };
        let sg = key(elem, "SharingGroup")?;
        for o in items(key(sg, "SharingGroupOrg")?)? {
            if key(key(o, "Organisation")?, "uuid")?.as_str() == Some(uo) {
                return Ok(());
            }
        }
        for s in items(key(sg, "SharingGroupServer")?)? {
            if py_truthy(key(s, "all_orgs")?) {
                return Ok(());
            }
        }
        forbid(msg::user_org(uo))
    }

    fn attributes(&self, list: &Value) -> R {
        for a in items(list)? {
            self.attribute(a)?;
        }
        Ok(())
    }

    fn attribute(&self, a: &Value) -> R {
        let cat = key(a, "category")?;
        if let Some(c) = cat.as_str() {
            if self.r.category_blocked(c) {
                return forbid(msg::attribute_category(c));
            }
        }
        let ty = text(key(a, "type")?)?;
        if self.r.type_blocked(ty) {
            return forbid(msg::attribute_type(ty));
        }
        if has(a, "distribution")? {
            let l = py_str(key(a, "distribution")?);
            if self.r.level_blocked(&l) {
                return forbid(msg::attribute_level(&l));
            }
        }
        if self.r.any_blocked_tags() && has(a, "Tag")? {
            for tag in items(key(a, "Tag")?)? {
                let name = text(key(tag, "name")?)?;
                if self.r.tag_blocked(name) {
                    return forbid(msg::attribute_tag(name));
                }
            }
        }
        if !self.r.required().is_empty() {
            if !has(a, "Tag")? {
                return forbid(msg::ATTRIBUTE_NO_TAGS.into());
            }
            self.required(key(a, "Tag")?)?;
        }
        if has(a, "SharingGroup")? {
            let u = text(key(key(a, "SharingGroup")?, "uuid")?)?;
            if self.r.sg_blocked(u) {
                return forbid(msg::attribute_sg(u));
            }
            self.user_org_check(a)?;
        }
        if has(a, "ShadowAttribute")? {
            self.attributes(key(a, "ShadowAttribute")?)?;
        }
        self.analyst_lists(a)
    }

    fn objects(&self, list: &Value) -> R {
        for o in items(list)? {
            self.object(o)?;
        }
        Ok(())
    }

    fn object(&self, o: &Value) -> R {
        let l = py_str(key(o, "distribution")?);
        if self.r.level_blocked(&l) {
            return forbid(msg::object_level(&l));
        }
        if has(o, "SharingGroup")? {
            let u = text(key(key(o, "SharingGroup")?, "uuid")?)?;
            if self.r.sg_blocked(u) {
                return forbid(msg::object_sg(u));
            }
            self.user_org_check(o)?;
        }
        let name = text(key(o, "name")?)?;
        if self.r.object_type_blocked(name) {
            return forbid(msg::object_type(name));
        }
        self.attributes(key(o, "Attribute")?)?;
        self.analyst_lists(o)
    }

    fn cluster(&self, wrapper: &Value) -> R {
        let l = py_str(key(key(wrapper, "GalaxyCluster")?, "distribution")?);
        if self.r.level_blocked(&l) {
            return forbid(msg::cluster_level(&l));
        }
        Ok(())
    }

    /// `{"Note": …}` / `{"Opinion": …}` / `{"Relationship": …}` (each present key).
    fn analyst_elem(&self, e: &Value) -> R {
        if !matches!(e, Value::Object(_) | Value::Array(_) | Value::String(_)) {
            return Err(Fail::Unexpected);
        }
        for k in ["Note", "Opinion"] {
            if has(e, k)? {
                self.analyst(key(e, k)?)?;
            }
        }
        if has(e, "Relationship")? {
            self.relationship(key(e, "Relationship")?)?;
        }
        Ok(())
    }

    fn analyst(&self, n: &Value) -> R {
        let l = py_str(key(n, "distribution")?);
        if self.r.level_blocked(&l) {
            return forbid(msg::analyst_level(&l));
        }
        Ok(())
    }

    fn relationship(&self, rel: &Value) -> R {
        self.analyst(rel)?;
        let t = key(rel, "related_object_type")?;
        match t.as_str() {
            Some("Event") => self.event_level(key(rel, "related_object")?),
            Some("Object") => self.object(key(key(rel, "related_object")?, "Object")?),
            Some("Attribute") => self.attribute(key(key(rel, "related_object")?, "Attribute")?),
            Some("GalaxyCluster") => self.cluster(key(rel, "related_object")?),
            Some("Note") | Some("Opinion") => self.analyst(key(rel, "related_object")?),
            Some("Relationship") => self.relationship(key(rel, "related_object")?),
            _ => Ok(()),
        }
    }
}

fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bodies::{analyst_data_push, Analyst, Body, Spec, Violation};
    use crate::setup::{bench_config, instance_rules, SRC_INSTANCE};

    fn reference(required: bool) -> Reference {
        let cfg = bench_config(required);
        Reference::new(instance_rules(&cfg, SRC_INSTANCE).unwrap()).unwrap()
    }

    #[test]
    fn clean_bodies_pass() {
        let r = reference(false);
        for (body, kind) in [
            (Body::Event, Kind::Event),
            (Body::ShadowAttributes, Kind::ShadowAttributeIndex),
            (Body::GalaxyClusters, Kind::GalaxyClusterList),
            (Body::AnalystDataList, Kind::AnalystDataList),
            (Body::EventsIndex, Kind::EventsIndex),
        ] {
            let b = Spec::new(body, 128 * 1024, 11).generate();
            assert_eq!(r.evaluate(kind, Side::Request, &b, None), Outcome::Allow, "{body:?}");
        }
        for k in [
            Analyst::Note,
            Analyst::Opinion,
            Analyst::RelationshipToEvent,
            Analyst::RelationshipToAttribute,
        ] {
            let b = analyst_data_push(k, 3, None);
            assert_eq!(r.evaluate(Kind::AnalystData, Side::Request, &b, None), Outcome::Allow);
        }
    }

    #[test]
    fn required_taxonomies() {
        let r = reference(true);
        let ok = Spec::event(64 * 1024, 2).with_required_tag("tlp:green").generate();
        assert_eq!(r.evaluate(Kind::Event, Side::Request, &ok, None), Outcome::Allow);
        let bad = Spec::event(64 * 1024, 2).generate();
        assert!(!r.evaluate(Kind::Event, Side::Request, &bad, None).is_allow());
    }

    #[test]
    fn every_plant_is_found_with_its_message() {
        use Violation::*;
        let r = reference(false);
        let plants = [
            EventTag("tlp:red".into()),
            EventTag("TLP:Red".into()),
            EventDistribution("0".into()),
            EventSharingGroup(crate::bodies::BLOCKED_SG_UUID.to_uppercase()),
            AttributeTag("tlp:red".into()),
            AttributeType("passport-number".into()),
            AttributeType("EMAIL".into()),
            AttributeCategory("Person".into()),
            AttributeDistribution("0".into()),
            AttributeSharingGroup(crate::bodies::BLOCKED_SG_UUID.into()),
            AttributeNoteDistribution("0".into()),
            ObjectType("person".into()),
            ObjectDistribution("0".into()),
            ObjectAttributeTag("tlp:rainbow".into()),
            ObjectAttributeType("passport-number".into()),
            EventReportDistribution("0".into()),
        ];
        for p in plants {
            for at in [0.0, 0.5, 1.0] {
                let b = Spec::event(100 * 1024, 9).with_plant(p.clone(), at).generate();
                let got = r.evaluate(Kind::Event, Side::Request, &b, None);
                assert_eq!(got, Outcome::Block(p.expected().1), "{p:?} at {at}");
            }
        }
        let b = Spec::new(Body::ShadowAttributes, 50_000, 1)
            .with_plant(AttributeType("email".into()), 0.5)
            .generate();
        let got = r.evaluate(Kind::ShadowAttributeIndex, Side::Response, &b, None);
        assert_eq!(got, Outcome::Block(msg::attribute_type("email")));
        let b = Spec::new(Body::GalaxyClusters, 50_000, 1)
            .with_plant(GalaxyClusterDistribution("0".into()), 1.0)
            .generate();
        let got = r.evaluate(Kind::GalaxyClusterList, Side::Request, &b, None);
        assert_eq!(got, Outcome::Block(msg::cluster_level("0")));
        let b =
            analyst_data_push(Analyst::RelationshipToEvent, 1, Some(EventTag("tlp:red".into())));
        let got = r.evaluate(Kind::AnalystData, Side::Request, &b, None);
        assert_eq!(got, Outcome::Block(msg::event_tag("tlp:red")));
        let b = analyst_data_push(Analyst::Note, 1, Some(AnalystDistribution("0".into())));
        let got = r.evaluate(Kind::AnalystData, Side::Request, &b, None);
        assert_eq!(got, Outcome::Block(msg::analyst_level("0")));
    }

    #[test]
    fn python_semantics() {
        let r = reference(false);
        let ev = |d: &str| {
            format!(r#"{{"Event":{{"info":"x","distribution":{d},"Attribute":[],"Object":[]}}}}"#)
        };
        let judge = |s: String| r.evaluate(Kind::Event, Side::Request, s.as_bytes(), None);
        assert!(!judge(ev("0")).is_allow());
        assert!(!judge(ev("\"0\"")).is_allow());
        assert!(judge(ev("0.0")).is_allow());
        assert!(judge(ev("false")).is_allow());
        assert_eq!(
            judge(r#"{"Event":{"distribution":"1","Attribute":[],"Object":[]}}"#.into()),
            Outcome::Block(msg::UNEXPECTED_REQUEST.into())
        );
        assert_eq!(
            r.evaluate(Kind::Event, Side::Response, br#"{"Evt":{}}"#, None),
            Outcome::Block(msg::NO_EVENT.into())
        );
        assert_eq!(judge("{".into()), Outcome::Block(msg::INVALID_JSON.into()));
        let ms = Kind::MinimalSearch(Search::EventsIndex);
        assert!(r
            .evaluate(ms, Side::Request, br#"{"minimal":true,"published":1.0}"#, None)
            .is_allow());
        assert!(!r
            .evaluate(ms, Side::Request, br#"{"minimal":"1","published":1}"#, None)
            .is_allow());
    }

    #[test]
    fn user_org_check() {
        let r = reference(false);
        let b = Spec::event(64 * 1024, 4)
            .with_plant(
                Violation::AttributeSharingGroup(crate::bodies::ALLOWED_SG_UUID.into()),
                0.5,
            )
            .generate();
        let member = crate::bodies::HOST_ORG_UUID;
        assert!(r.evaluate(Kind::Event, Side::Response, &b, Some(member)).is_allow());
        let stranger = "00000000-0000-4000-8000-000000000000";
        assert_eq!(
            r.evaluate(Kind::Event, Side::Response, &b, Some(stranger)),
            Outcome::Block(msg::user_org(stranger))
        );
    }
}
