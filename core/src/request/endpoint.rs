//! misp-guard's sync endpoint list, matched on the path exactly as sent.
//!
//! Each entry mirrors one of misp-guard's allowed-endpoint patterns, tightened where
//! the pattern's `.*` would admit another MISP action (`/events/addTag` matched
//! `^/events/add.*$`): after a prefix only end of path, `/` or `?` may follow. On top
//! of the list, [`is_canonical`] refuses spellings a server could normalise into a
//! different action.

use crate::limits::MAX_UUIDS_PER_PULL;
use crate::uuid::is_uuid;

/// What an endpoint carries that the guard must judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Traffic {
    /// Nothing to inspect.
    Plain,
    /// Push: the request body is an event.
    PushEvent,
    /// Push: a new event (`/events/add`): MISP stores it only when it has none with its
    /// uuid, capturing every element afresh.
    PushNewEvent,
    /// Pull: the response body is an event.
    PullEvent,
    /// `HEAD /events/view/UUID`: passes through.
    HeadEvent,
    /// Pull: shadow attributes index.
    PullShadowAttributes,
    /// Push: galaxy clusters.
    PushGalaxyClusters,
    /// Pull: search request needs minimal+published; response is a cluster list.
    GalaxyClusterSearch,
    /// Pull: one galaxy cluster.
    PullGalaxyCluster,
    /// Pull: events index (request needs minimal+published).
    EventsIndex,
    /// Pull: sightings search response.
    PullSightings,
    /// Push: sightings.
    PushSightings,
    /// Pull: analyst data list.
    PullAnalystData,
    /// Push: one analyst data element.
    PushAnalystData,
    /// `POST /sightings/filterSightingUuidsForPush/UUID`: a list of sighting UUIDs
    /// both ways.
    SightingUuidFilter,
    /// `GET /eventReports/add`: MISP's API description of the action.
    ApiDescription,
    /// Push: proposals (`/events/pushProposals/UUID`), a list of bare shadow attributes.
    PushProposals,
}

/// How the rest of the path after the fixed part may look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tail {
    /// Nothing.
    End,
    /// A 36-character `[A-Za-z0-9_-]` id, then nothing.
    Id,
    /// A 36-character id, then `.json`.
    IdJson,
    /// Nothing, or `/` or `?` and anything (canonical checks still apply).
    Rest,
    /// A 36-character id, then nothing, or `/` or `?` and anything.
    IdRest,
    /// A 36-character id or a numeric event id (MISP pulls one event by its remote id
    /// too), then nothing, or `/` or `?` and anything.
    IdOrNumberRest,
    /// A UUID ([`is_uuid`]), then nothing.
    Uuid,
    /// 2 to [`MAX_UUIDS_PER_PULL`] UUIDs joined by `/uuid[]:`, then `.json` (MISP's
    /// chunked analyst data pull).
    UuidsJson,
    /// A numeric event id, then exactly `/metadata:1` (MISP's push retry to the id
    /// a `Location` header named).
    NumberMetadata,
}

/// One allowed endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// HTTP method.
    pub method: &'static str,
    /// Fixed path prefix.
    pub prefix: &'static str,
    tail: Tail,
    /// What to inspect.
    pub traffic: Traffic,
    /// In misp-guard's first release (the legacy `block_rules` format) too.
    pub legacy: bool,
    /// Not in misp-guard's list: a call MISP makes during a sync that misp-guard
    /// refuses (allowed unless the configuration asks for misp-guard's exact list).
    pub sync: bool,
}

const fn ep(method: &'static str, prefix: &'static str, tail: Tail, traffic: Traffic) -> Endpoint {
    Endpoint { method, prefix, tail, traffic, legacy: false, sync: false }
}

/// A call of MISP's sync that misp-guard's list lacks.
const fn sync(
    method: &'static str,
    prefix: &'static str,
    tail: Tail,
    traffic: Traffic,
) -> Endpoint {
    Endpoint { method, prefix, tail, traffic, legacy: false, sync: true }
}

/// An endpoint the first release allowed already.
const fn first(
    method: &'static str,
    prefix: &'static str,
    tail: Tail,
    traffic: Traffic,
) -> Endpoint {
    Endpoint { method, prefix, tail, traffic, legacy: true, sync: false }
}

/// The list, in misp-guard's order, then the calls of MISP's sync it lacks (see
/// `docs/sync-calls.md`).
pub const ENDPOINTS: &[Endpoint] = &[
    first("GET", "/servers/getVersion", Tail::End, Traffic::Plain),
    first("POST", "/servers/postTest", Tail::End, Traffic::Plain),
    ep("GET", "/users/view/me.json", Tail::End, Traffic::Plain),
    first("POST", "/events/index", Tail::End, Traffic::EventsIndex),
    first("POST", "/events/filterEventIdsForPush", Tail::End, Traffic::Plain),
    first("HEAD", "/events/view/", Tail::Id, Traffic::HeadEvent),
    first("POST", "/events/add", Tail::Rest, Traffic::PushNewEvent),
    first("POST", "/events/edit/", Tail::IdRest, Traffic::PushEvent),
    first("GET", "/servers/getAvailableSyncFilteringRules", Tail::End, Traffic::Plain),
    first("GET", "/events/view/", Tail::IdOrNumberRest, Traffic::PullEvent),
    first("GET", "/shadow_attributes/index", Tail::Rest, Traffic::PullShadowAttributes),
    ep("POST", "/galaxies/pushCluster", Tail::End, Traffic::PushGalaxyClusters),
    ep("POST", "/galaxy_clusters/restSearch", Tail::End, Traffic::GalaxyClusterSearch),
    ep("GET", "/galaxy_clusters/view/", Tail::Id, Traffic::PullGalaxyCluster),
    ep("POST", "/sightings/restSearch/event", Tail::End, Traffic::PullSightings),
    ep("POST", "/sightings/bulkSaveSightings/", Tail::Id, Traffic::PushSightings),
    ep("POST", "/analyst_data/indexMinimal", Tail::End, Traffic::Plain),
    ep("GET", "/analyst_data/index/Note/uuid[]:", Tail::IdJson, Traffic::PullAnalystData),
    ep("GET", "/analyst_data/index/Opinion/uuid[]:", Tail::IdJson, Traffic::PullAnalystData),
    ep("GET", "/analyst_data/index/Relationship/uuid[]:", Tail::IdJson, Traffic::PullAnalystData),
    ep("POST", "/analyst_data/filterAnalystDataForPush", Tail::End, Traffic::Plain),
    ep("POST", "/analyst_data/pushAnalystData", Tail::End, Traffic::PushAnalystData),
    // MISP 2.4/2.5 sync calls misp-guard refuses
    sync("POST", "/sightings/filterSightingUuidsForPush/", Tail::Uuid, Traffic::SightingUuidFilter),
    sync("GET", "/eventReports/add", Tail::End, Traffic::ApiDescription),
    sync("GET", "/analyst_data/index/Note/uuid[]:", Tail::UuidsJson, Traffic::PullAnalystData),
    sync("GET", "/analyst_data/index/Opinion/uuid[]:", Tail::UuidsJson, Traffic::PullAnalystData),
    sync(
        "GET",
        "/analyst_data/index/Relationship/uuid[]:",
        Tail::UuidsJson,
        Traffic::PullAnalystData,
    ),
    sync("POST", "/events/edit/", Tail::NumberMetadata, Traffic::PushEvent),
    sync("POST", "/events/pushProposals/", Tail::Uuid, Traffic::PushProposals),
];

/// `2..=MAX_UUIDS_PER_PULL` UUIDs joined by `/uuid[]:`, then exactly `.json`.
fn uuids_json(mut rest: &str) -> bool {
    let mut n = 0;
    loop {
        if rest.len() < 36 || !is_uuid(&rest.as_bytes()[..36]) {
            return false;
        }
        n += 1;
        rest = &rest[36..];
        if rest == ".json" {
            return (2..=MAX_UUIDS_PER_PULL).contains(&n);
        }
        match rest.strip_prefix("/uuid[]:") {
            Some(r) if n < MAX_UUIDS_PER_PULL => rest = r,
            _ => return false,
        }
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn take_id(rest: &str) -> Option<&str> {
    let b = rest.as_bytes();
    if b.len() >= 36 && b[..36].iter().all(|&c| is_id_byte(c)) {
        Some(&rest[36..])
    } else {
        None
    }
}

/// A decimal id (1 to 20 digits, not starting with 0), then what follows it.
fn take_number(rest: &str) -> Option<&str> {
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    (1..=20).contains(&n).then(|| &rest[n..]).filter(|_| !rest.starts_with('0'))
}

fn rest_ok(rest: &str) -> bool {
    rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')
}

impl Endpoint {
    /// Does `method` + `path` (as sent) address this endpoint?
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if method != self.method {
            return false;
        }
        let Some(rest) = path.strip_prefix(self.prefix) else { return false };
        match self.tail {
            Tail::End => rest.is_empty(),
            Tail::Id => take_id(rest) == Some(""),
            Tail::IdJson => take_id(rest) == Some(".json"),
            Tail::Rest => rest_ok(rest),
            Tail::IdRest => take_id(rest).is_some_and(rest_ok),
            Tail::IdOrNumberRest => {
                take_id(rest).is_some_and(rest_ok) || take_number(rest).is_some_and(rest_ok)
            }
            Tail::Uuid => is_uuid(rest.as_bytes()),
            Tail::UuidsJson => uuids_json(rest),
            Tail::NumberMetadata => take_number(rest) == Some("/metadata:1"),
        }
    }

    /// The endpoint `method` + `path` addresses, if any, among all (misp-guard's and
    /// the calls of MISP's sync it lacks).
    pub fn find(method: &str, path: &str) -> Option<&'static Endpoint> {
        ENDPOINTS.iter().find(|e| e.matches(method, path))
    }

    /// The same, among misp-guard's endpoints only.
    pub fn find_misp_guard(method: &str, path: &str) -> Option<&'static Endpoint> {
        ENDPOINTS.iter().find(|e| !e.sync && e.matches(method, path))
    }

    /// The same, among the endpoints misp-guard's first release allowed.
    pub fn find_legacy(method: &str, path: &str) -> Option<&'static Endpoint> {
        ENDPOINTS.iter().find(|e| e.legacy && e.matches(method, path))
    }
}

/// Why a path is not canonical, or `None` when it is.
///
/// Refused: anything but printable ASCII, `%` (percent-escapes), `\`, `#`, empty
/// segments (`//`), dot segments (`/./`, `/../`, trailing `/.`), a `.` extension on
/// endpoints that have none in misp-guard's list, and a `_method` query parameter
/// (CakePHP method override).
pub fn is_canonical(endpoint: &Endpoint, path: &str) -> Option<&'static str> {
    let (p, query) = match path.find('?') {
        Some(i) => (&path[..i], Some(&path[i + 1..])),
        None => (path, None),
    };
    if !path.starts_with('/') {
        return Some("does not start with /");
    }
    if path.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Some("control, space or non-ASCII byte");
    }
    if path.contains('%') {
        return Some("percent-escape");
    }
    if path.contains('\\') {
        return Some("backslash");
    }
    if path.contains('#') {
        return Some("fragment");
    }
    for (i, seg) in p.split('/').enumerate() {
        if i == 0 {
            continue;
        }
        if seg.is_empty() && i + 1 < p.split('/').count() {
            return Some("empty path segment");
        }
        if seg == "." || seg == ".." {
            return Some("dot segment");
        }
    }
    // Extensions: CakePHP routes `x.json`/`x.xml` to other renderers. Only the
    // entries misp-guard lists with `.json` may carry one.
    let last = p.rsplit('/').next().unwrap_or("");
    let allowed_ext = endpoint.prefix.ends_with(".json")
        || matches!(endpoint.tail, Tail::IdJson | Tail::UuidsJson)
        || (endpoint.traffic == Traffic::PullShadowAttributes && last.ends_with(".json"));
    if !allowed_ext {
        let after_prefix = &p[endpoint.prefix.len().min(p.len())..];
        if after_prefix.contains('.') {
            return Some("extension");
        }
    } else if last.matches('.').count() > 1 {
        return Some("extension");
    }
    if let Some(q) = query {
        for kv in q.split('&') {
            let k = kv.split('=').next().unwrap_or("");
            if k.eq_ignore_ascii_case("_method") {
                return Some("_method parameter");
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "385283a1-b5e0-4e10-a532-dce11c365a56";

    #[test]
    fn misp_sync_paths_match() {
        let ok = [
            ("GET", "/servers/getVersion".into()),
            ("POST", "/events/add/metadata:1".into()),
            ("POST", "/events/add".into()),
            ("POST", std::format!("/events/edit/{UUID}/metadata:1")),
            ("HEAD", std::format!("/events/view/{UUID}")),
            ("GET", std::format!("/events/view/{UUID}/deleted[]:0/deleted[]:1/excludeGalaxy:1")),
            ("GET", "/events/view/42/deleted[]:0/deleted[]:1/excludeGalaxy:1".into()),
            ("GET", "/events/view/42".into()),
            ("GET", "/shadow_attributes/index/all:1/timestamp:0/limit:1000/page:1/deleted[]:0/deleted[]:1.json".into()),
            ("GET", std::format!("/analyst_data/index/Note/uuid[]:{UUID}.json")),
            ("POST", std::format!("/sightings/bulkSaveSightings/{UUID}")),
        ];
        for (m, p) in ok {
            let e = Endpoint::find(m, &p).unwrap_or_else(|| panic!("{m} {p}"));
            assert_eq!(is_canonical(e, &p), None, "{m} {p}");
        }
    }

    #[test]
    fn other_actions_and_spellings_do_not_match() {
        for (m, p) in [
            ("POST", "/events/addTag/1/2"),
            ("GET", "/events/viewEventAttributes/1"),
            ("GET", "/users"),
            ("get", "/servers/getVersion"),
            ("GET", "/Servers/getVersion"),
            ("GET", "/servers/getVersion/"),
            ("POST", "/events/edit/1/x"),
            ("GET", "/events/view/042"),
            ("GET", "/events/view/42x"),
            ("GET", "/events/view/123456789012345678901"),
            ("HEAD", "/events/view/42"),
        ] {
            assert!(Endpoint::find(m, p).is_none(), "{m} {p}");
        }
    }

    #[test]
    fn misp_sync_calls_match_in_their_exact_shape_only() {
        let u2 = "5a8b2f6e-0c1d-4e2f-9a3b-4c5d6e7f8091";
        let chunk = |n: usize| {
            let ids: std::vec::Vec<&str> =
                (0..n).map(|i| if i % 2 == 0 { UUID } else { u2 }).collect();
            std::format!("/analyst_data/index/Note/uuid[]:{}.json", ids.join("/uuid[]:"))
        };
        let ok = [
            ("POST", std::format!("/sightings/filterSightingUuidsForPush/{UUID}")),
            ("GET", "/eventReports/add".into()),
            ("GET", chunk(2)),
            ("GET", chunk(MAX_UUIDS_PER_PULL)),
            (
                "GET",
                std::format!("/analyst_data/index/Relationship/uuid[]:{UUID}/uuid[]:{u2}.json"),
            ),
            ("POST", "/events/edit/42/metadata:1".into()),
            ("POST", std::format!("/events/pushProposals/{UUID}")),
        ];
        for (m, p) in &ok {
            let e = Endpoint::find(m, p).unwrap_or_else(|| panic!("{m} {p}"));
            assert!(e.sync, "{m} {p}");
            assert_eq!(is_canonical(e, p), None, "{m} {p}");
            assert!(Endpoint::find_misp_guard(m, p).is_none(), "{m} {p}");
        }
        let bad = [
            ("GET", std::format!("/sightings/filterSightingUuidsForPush/{UUID}")),
            ("POST", "/sightings/filterSightingUuidsForPush/42".into()),
            ("POST", std::format!("/sightings/filterSightingUuidsForPush/{UUID}/x")),
            (
                "POST",
                "/sightings/filterSightingUuidsForPush/385283a1_b5e0_4e10_a532_dce11c365a56".into(),
            ),
            ("POST", "/eventReports/add".into()),
            ("GET", "/eventReports/add/1".into()),
            ("GET", "/eventReports/add.json".into()),
            ("GET", chunk(MAX_UUIDS_PER_PULL + 1)),
            ("GET", chunk(2).replace(".json", "")),
            ("GET", chunk(2).replace(".json", ".xml")),
            ("GET", chunk(2).replace("uuid[]:5a8b", "uuid[]:za8b")),
            ("GET", chunk(2).replace("/uuid[]:5a8b", "/id[]:5a8b")),
            ("GET", std::format!("/analyst_data/index/Event/uuid[]:{UUID}/uuid[]:{u2}.json")),
            ("POST", "/events/edit/42".into()),
            ("POST", "/events/edit/42/metadata:0".into()),
            ("POST", "/events/edit/042/metadata:1".into()),
            ("POST", "/events/edit/42/metadata:1/x".into()),
            ("GET", "/events/edit/42/metadata:1".into()),
            ("POST", "/events/pushProposals/42".into()),
            ("GET", std::format!("/events/pushProposals/{UUID}")),
            ("POST", std::format!("/events/pushProposals/{UUID}.json")),
        ];
        for (m, p) in &bad {
            assert!(Endpoint::find(m, p).is_none(), "{m} {p}");
        }
    }

    #[test]
    fn non_canonical_spellings_are_named() {
        let e = Endpoint::find("POST", "/events/add").unwrap();
        for (p, why) in [
            ("/events/add/%2e%2e/x", "percent-escape"),
            ("/events/add//x", "empty path segment"),
            ("/events/add/../users/x", "dot segment"),
            ("/events/add/./x", "dot segment"),
            ("/events/add/x.json", "extension"),
            ("/events/add?_method=DELETE", "_method parameter"),
            ("/events/add/a\\b", "backslash"),
        ] {
            assert_eq!(is_canonical(e, p), Some(why), "{p}");
        }
    }
}
