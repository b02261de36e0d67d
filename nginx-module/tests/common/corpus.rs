//! The corpus wiring the behaviour and operations suites share: instance_2_2's push
//! to instance1-comp2.com, instance_1_2's pull from instance1-comp1.com, and the
//! corpus fixtures they send.

use std::path::PathBuf;

use super::Req;

pub const PUSH_PATH: &str = "/events/add/metadata:1";
pub const PUSH_SRC: &str = "20.0.0.2";
pub const PUSH_DST: &str = "instance1-comp2.com:443";
pub const PULL_PATH: &str = "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56/deleted[]:0/deleted[]:1/excludeGalaxy:1/includeEventCorrelations:0/includeFeedCorrelations:0/includeWarninglistHits:0/excludeLocalTags:1";
pub const PULL_SRC: &str = "10.0.0.2";
pub const PULL_DST: &str = "instance1-comp1.com:443";
pub const TAG_LOG: &str = "event has blocked tag: tlp:red";
/// A domain of the corpus rules' `allowlist.domains`.
pub const ALLOWLISTED: &str = "snort-org-site.s3.amazonaws.com:443";

pub fn current() -> PathBuf {
    super::conformance_dir().join("current")
}

pub fn rules() -> PathBuf {
    current().join("config.json")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(current().join("fixtures").join(name)).expect("fixture")
}

pub fn allowed_event() -> Vec<u8> {
    fixture("test_event_non-blocked.json")
}

pub fn blocked_event() -> Vec<u8> {
    fixture("test_event_blocked_tags.json")
}

pub fn push(id: &str, body: &[u8]) -> Req {
    Req::new("POST", PUSH_PATH)
        .wiring(id, Some(PUSH_SRC), PUSH_DST)
        .header("Content-Type", "application/json")
        .body(body.to_vec())
}

pub fn pull(id: &str) -> Req {
    Req::new("GET", PULL_PATH).wiring(id, Some(PULL_SRC), PULL_DST)
}
