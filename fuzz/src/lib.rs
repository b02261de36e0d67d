//! Shared set-up of the fuzz targets: the policies, the inspections (one per endpoint
//! kind and rule set, obtained through `Policy::check_request` as a front end would),
//! the input encoding of the evaluator target and a small deterministic chunker.
//!
//! Policies: the conformance corpus configurations (read at run time from
//! `$MISP_GUARD_CONFORMANCE` or `../../shared/conformance`, never copied into the repo)
//! plus two configurations of our own ([`OWN_CURRENT`], [`OWN_LEGACY`]) that add what the
//! corpus lacks: several required taxonomies with and without allowed tags, non-ASCII
//! and upper-case rule values, several legacy rules applied together.

use std::path::PathBuf;
use std::sync::OnceLock;

use misp_guard_core::Header;
use misp_guard_core::{Inspection, Policy, RequestInfo, RequestVerdict};

/// A current-format configuration of our own (see the module docs).
pub const OWN_CURRENT: &str = r#"{
  "allowlist": {"urls": [], "domains": ["feeds.example.org"]},
  "compartments_rules": {"can_reach": {"a": ["a", "b"], "b": ["a"]}},
  "instances": {
    "strict": {
      "ip": "192.0.2.1", "host": "strict.example", "port": 443, "compartment_id": "a",
      "taxonomies_rules": {
        "required_taxonomies": ["tlp", "PAP", "admiralty-scale"],
        "allowed_tags": {"tlp": ["tlp:clear", "tlp:green", "TLP:Amber"], "PAP": []},
        "blocked_tags": ["tlp:red", "Ünïcode:Tag", "misp-galaxy:threat-actor=\"x\""]
      },
      "blocked_distribution_levels": ["0", "1", "4"],
      "blocked_sharing_groups_uuids": ["5F5E5C5A-0000-4000-8000-00000000000A"],
      "blocked_attribute_types": ["ip-src", "Passport-Number"],
      "blocked_attribute_categories": ["Person", "Financial fraud"],
      "blocked_object_types": ["person", "Bank-Account"]
    },
    "lax": {
      "ip": "192.0.2.2", "host": "lax.example", "port": 8443, "compartment_id": "b",
      "taxonomies_rules": {"required_taxonomies": [], "allowed_tags": {}, "blocked_tags": []},
      "blocked_distribution_levels": [],
      "blocked_sharing_groups_uuids": [],
      "blocked_attribute_types": [],
      "blocked_attribute_categories": [],
      "blocked_object_types": []
    }
  }
}"#;

/// A legacy-format configuration of our own: two rules applied together.
pub const OWN_LEGACY: &str = r#"{
  "proxy": {"host": "guard.example", "port": 8888},
  "misp": {"host": "misp.example", "port": 443},
  "block_rules": [
    {"id": "r1", "description": "tags", "blocked_tags": ["tlp:red", "PAP:RED"],
     "blocked_distribution_levels": ["0"], "blocked_sharing_groups_uuids": [],
     "blocked_attribute_types": ["email-src"], "blocked_attribute_categories": [],
     "blocked_object_types": []},
    {"id": "r2", "description": "types", "blocked_tags": [],
     "blocked_distribution_levels": ["1", "3"],
     "blocked_sharing_groups_uuids": ["aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"],
     "blocked_attribute_types": ["passport-number"],
     "blocked_attribute_categories": ["Person"], "blocked_object_types": ["person"]}
  ]
}"#;

/// A UUID shape accepted by the id-taking endpoints.
pub const UUID: &str = "385283a1-b5e0-4e10-a532-dce11c365a56";

/// The conformance corpus directory.
pub fn conformance_dir() -> PathBuf {
    std::env::var_os("MISP_GUARD_CONFORMANCE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance"))
    })
}

/// All policies: corpus `current`, corpus `legacy` (when readable), then our own.
pub fn policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        let mut v = Vec::new();
        for f in ["current/config.json", "legacy/config.json"] {
            if let Ok(bytes) = std::fs::read(conformance_dir().join(f)) {
                v.push(Policy::from_json_slice(&bytes).expect("corpus config loads"));
            }
        }
        v.push(Policy::from_json_slice(OWN_CURRENT.as_bytes()).expect("own current config"));
        v.push(Policy::from_json_slice(OWN_LEGACY.as_bytes()).expect("own legacy config"));
        v
    })
}

/// Requests a front end would see: (method, path) for every inspected endpoint.
pub fn endpoint_paths() -> Vec<(&'static str, String)> {
    vec![
        ("POST", "/events/add/metadata:1".into()),
        ("POST", format!("/events/edit/{UUID}")),
        ("GET", format!("/events/view/{UUID}/deleted[]:0/deleted[]:1/excludeGalaxy:1")),
        ("GET", "/shadow_attributes/index/all:1/timestamp:0/limit:1000/page:1.json".into()),
        ("POST", "/galaxies/pushCluster".into()),
        ("POST", "/galaxy_clusters/restSearch".into()),
        ("GET", format!("/galaxy_clusters/view/{UUID}")),
        ("POST", "/events/index".into()),
        ("POST", "/sightings/restSearch/event".into()),
        ("POST", format!("/sightings/bulkSaveSightings/{UUID}")),
        ("GET", format!("/analyst_data/index/Note/uuid[]:{UUID}.json")),
        ("POST", "/analyst_data/pushAnalystData".into()),
    ]
}

/// The calls of MISP's sync that misp-guard's list lacks, one per body kind they add
/// or reuse.
pub fn sync_call_paths() -> Vec<(&'static str, String)> {
    vec![
        ("POST", format!("/sightings/filterSightingUuidsForPush/{UUID}")),
        ("GET", "/eventReports/add".into()),
        ("GET", format!("/analyst_data/index/Note/uuid[]:{UUID}/uuid[]:{UUID}.json")),
        ("POST", "/events/edit/7/metadata:1".into()),
        ("POST", format!("/events/pushProposals/{UUID}")),
    ]
}

/// (source ip, destination host, port) pairs that reach each other in each policy
/// (index as in [`policies`]; for the legacy format: outbound then inbound).
pub fn routes(policy: &Policy) -> Vec<(&'static str, &'static str, u16)> {
    match (policy.format(), policy.instance_count()) {
        // corpus current: a plain instance and the one requiring `tlp`, both ways
        (misp_guard_core::Format::Current, 6) => vec![
            ("10.0.0.1", "instance2-comp1.com", 443),
            ("40.0.0.1", "instance1-comp1.com", 443),
            ("10.0.0.1", "instance1-comp4.com", 443),
        ],
        (misp_guard_core::Format::Current, _) => {
            vec![("192.0.2.1", "lax.example", 8443), ("192.0.2.2", "strict.example", 443)]
        }
        (misp_guard_core::Format::Legacy, _) => {
            let (ph, pp) = policy.proxy().unwrap_or(("", 0));
            let inbound: &'static str =
                if ph == "misp-guard.com" { "misp-guard.com" } else { "guard.example" };
            vec![("127.0.0.1", "upstream.example", 443), ("127.0.0.1", inbound, pp)]
        }
    }
}

/// Every inspection the request policy hands out over [`policies`]: (policy, inspection).
pub fn inspections() -> &'static [(usize, Inspection)] {
    static I: OnceLock<Vec<(usize, Inspection)>> = OnceLock::new();
    I.get_or_init(|| {
        let mut out: Vec<(usize, Inspection)> = Vec::new();
        for (pi, p) in policies().iter().enumerate() {
            for (src, dst, port) in routes(p) {
                for (method, path) in endpoint_paths() {
                    let req = RequestInfo {
                        method,
                        path: &path,
                        scheme: "https",
                        src_ip: src,
                        dst_host: dst,
                        dst_port: port,
                    };
                    if let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) {
                        for i in [plan.request, plan.response].into_iter().flatten() {
                            if !out.contains(&(pi, i)) {
                                out.push((pi, i));
                            }
                        }
                    }
                }
            }
        }
        // MISP's own sync calls misp-guard's list lacks (docs/sync-calls.md), after all
        // the others so that the committed seeds keep their inspections
        for (pi, p) in policies().iter().enumerate() {
            for (src, dst, port) in routes(p) {
                for (method, path) in sync_call_paths() {
                    let req = RequestInfo {
                        method,
                        path: &path,
                        scheme: "https",
                        src_ip: src,
                        dst_host: dst,
                        dst_port: port,
                    };
                    if let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) {
                        for i in [plan.request, plan.response].into_iter().flatten() {
                            if !out.contains(&(pi, i)) {
                                out.push((pi, i));
                            }
                        }
                    }
                }
            }
        }
        assert!(out.len() >= 16, "too few inspections: {}", out.len());
        out
    })
}

/// Sharing-group organisation UUIDs a pulled event may be checked against.
pub const USER_ORGS: [&str; 4] = [
    "b2a5d7f5-5ac3-4a3f-bd7f-2c2bd1d4b1a5",
    "55f6ea5e-2c60-40e5-964f-47a8950d210f",
    "",
    "not a uuid\n",
];

/// The evaluator target's reading of an input: the body is the whole input; a leading
/// run of JSON whitespace (which changes nothing MISP reads) carries the control bits,
/// two per byte (` `=0, `\t`=1, `\n`=2, `\r`=3), least significant first. Inputs
/// without such a prefix (the conformance fixtures) get control 0.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    /// Index into [`inspections`] (bits 0-6, modulo their number).
    pub inspection: usize,
    /// Also judge the gzip-encoded body through the decoder and compare.
    pub gzip: bool,
    /// Send an `X-UserOrgUUID` header (index into [`USER_ORGS`]).
    pub user_org: Option<usize>,
    /// Largest chunk: 1, 7, 64 or 4096 bytes.
    pub max_chunk: usize,
    /// Seed of the chunker (a hash of the whole input).
    pub seed: u64,
}

impl Control {
    /// Reads the control of `data`.
    pub fn read(data: &[u8]) -> Control {
        let mut bits: u32 = 0;
        for (i, b) in data.iter().take(8).enumerate() {
            let v = match b {
                b' ' => 0,
                b'\t' => 1,
                b'\n' => 2,
                b'\r' => 3,
                _ => break,
            };
            bits |= v << (2 * i);
        }
        // FNV-1a over the input
        let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in data {
            seed = (seed ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Control {
            inspection: (bits & 0x7f) as usize,
            gzip: bits & GZIP != 0,
            user_org: if bits & USER_ORG != 0 { Some(((bits >> 9) & 3) as usize) } else { None },
            max_chunk: [4096, 1, 7, 64][((bits >> CHUNK_SHIFT) & 3) as usize],
            seed,
        }
    }
}

/// Control bit: also judge the gzip-encoded body.
pub const GZIP: u32 = 1 << 7;
/// Control bit: send `X-UserOrgUUID` (bits 9-10 pick the value).
pub const USER_ORG: u32 = 1 << 8;
/// Control bits 11-12: chunk size class (0: ≤4096, 1: 1 byte, 2: ≤7, 3: ≤64).
pub const CHUNK_SHIFT: u32 = 11;

/// The whitespace prefix that encodes `bits` (inverse of [`Control::read`], for seeds).
pub fn prefix(mut bits: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            let b = [b' ', b'\t', b'\n', b'\r'][(bits & 3) as usize];
            bits >>= 2;
            b
        })
        .collect()
}

/// Splits `data` into chunks of 1..=`max` bytes chosen by a xorshift generator.
pub fn chunks(data: &[u8], max: usize, seed: u64) -> Vec<&[u8]> {
    let mut s = seed | 1;
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let n = 1 + (s as usize) % max.max(1);
        let (a, b) = rest.split_at(n.min(rest.len()));
        out.push(a);
        rest = b;
    }
    out
}

/// Headers for a body (optional encoding, optional `X-UserOrgUUID`).
pub fn headers<'a>(encoding: Option<&'a str>, user_org: Option<&'a str>) -> Vec<Header<'a>> {
    let mut h = vec![Header { name: b"Content-Type", value: b"application/json" }];
    if let Some(e) = encoding {
        h.push(Header { name: b"Content-Encoding", value: e.as_bytes() });
    }
    if let Some(u) = user_org {
        h.push(Header { name: b"X-UserOrgUUID", value: u.as_bytes() });
    }
    h
}
