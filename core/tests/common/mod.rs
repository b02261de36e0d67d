//! What several test files share: the corpus's current-format rules, and the push most
//! of them judge (an event from instance_2_2, `20.0.0.2`, to `instance1-comp2.com:443`;
//! its rules block tag `tlp:red`, level 0, types `passport-number`/`email`, category
//! `Person` and object `person`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use misp_guard_core::{Inspection, Policy, RequestInfo, RequestVerdict};

/// A file of the corpus's `current` folder (`../shared/conformance/current`).
pub fn current(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/current").join(name)
}

/// The corpus's current-format rules.
pub fn policy() -> Policy {
    Policy::from_json_slice(&std::fs::read(current("config.json")).unwrap()).unwrap()
}

/// The event push from instance_2_2.
pub const PUSH: RequestInfo<'static> = RequestInfo {
    method: "POST",
    path: "/events/add/metadata:1",
    scheme: "https",
    src_ip: "20.0.0.2",
    dst_host: "instance1-comp2.com",
    dst_port: 443,
};

/// What `p` inspects of [`PUSH`]: the request body.
pub fn push(p: &Policy) -> Inspection {
    let RequestVerdict::Allow(plan) = p.check_request(&PUSH, &[]) else { panic!("push refused") };
    plan.request.expect("the push body is inspected")
}
