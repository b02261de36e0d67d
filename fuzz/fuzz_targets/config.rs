//! The configuration loader on arbitrary bytes.
//!
//! Properties: no panic; an error renders as `LINE:COL: message (at PATH)` on one line
//! with 1-based positions; a loaded policy is usable: every rule set judges a small
//! event and a small cluster list, and `check_request` answers, without panicking.
//! serde_json's reading of the same bytes agrees (`misp_guard_testkit::config`,
//! compiled by the same builder): the same policy (ignored keys aside), or an error of
//! the same kind at the same JSON path (keys refused as misspellings aside: one check).
#![no_main]

use libfuzzer_sys::fuzz_target;
use misp_guard_core::{BodyKind, Guard, Inspection, Policy, RequestInfo, RuleSetId, Side};

const EVENT: &[u8] = br#"{"Event":{"info":"x","distribution":"1","Tag":[{"name":"tlp:green"}],
"Attribute":[{"type":"ip-src","category":"Network activity","distribution":0,"Tag":[]}],
"Object":[{"name":"person","distribution":"5","Attribute":[]}]}}"#;
const CLUSTERS: &[u8] = br#"[{"GalaxyCluster":{"distribution":"3"}}]"#;

fuzz_target!(|data: &[u8]| {
    let loaded = Policy::from_json_slice(data);
    if let Some(d) = misp_guard_testkit::config::disagreement(data, &loaded) {
        panic!("serde_json reads it otherwise: {d}");
    }
    match loaded {
        Err(e) => {
            let s = e.to_string();
            assert!(!s.contains('\n'), "multi-line error: {s:?}");
            let (line, rest) = s.split_once(':').expect("LINE:");
            let (col, _) = rest.split_once(':').expect("COL:");
            assert!(line.parse::<u32>().map_or(false, |l| l >= 1), "{s}");
            assert!(col.parse::<u32>().map_or(false, |c| c >= 1), "{s}");
        }
        Ok(p) => {
            for i in 0..p.ruleset_count() {
                let _ = p.ruleset_name(RuleSetId(i as u16));
                for (kind, body) in
                    [(BodyKind::Event, EVENT), (BodyKind::GalaxyClusterList, CLUSTERS)]
                {
                    let insp = Inspection {
                        kind,
                        side: Side::Request,
                        first: RuleSetId(i as u16),
                        count: 1,
                        user_org_check: false,
                    };
                    let mut g = Guard::new(&p, insp);
                    g.feed(body);
                    if let misp_guard_core::Verdict::Block(b) = g.finish() {
                        let _ = b.message(&p).to_string();
                    }
                }
            }
            for i in 0..p.instance_count() {
                let (_, ip, host, port) = p.instance(i).expect("instance");
                let req = RequestInfo {
                    method: "POST",
                    path: "/events/add",
                    scheme: "https",
                    src_ip: ip,
                    dst_host: host,
                    dst_port: port,
                };
                let _ = p.check_request(&req, &[]);
            }
        }
    }
});
