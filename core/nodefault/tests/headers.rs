//! The header checks of `Guard::for_body` in a core built without default features
//! (what a `no_std` embedder gets): Content-Type and charset are judged as with `std`,
//! and every Content-Encoding but identity is refused (nothing can decode it).

use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::{Guard, Inspection, Policy, Reason, RequestInfo, RequestVerdict, Verdict};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/current");

fn policy() -> Policy {
    let json = std::fs::read(format!("{CORPUS}/config.json")).unwrap();
    Policy::from_json_slice(&json).unwrap()
}

/// The event push from instance_2_2 to instance1-comp2.com (request body judged).
fn push(p: &Policy) -> Inspection {
    let req = RequestInfo {
        method: "POST",
        path: "/events/add/metadata:1",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp2.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("push refused") };
    plan.request.expect("the push body is inspected")
}

fn judge(p: &Policy, headers: &[(&str, &[u8])]) -> Verdict {
    let body = std::fs::read(format!("{CORPUS}/fixtures/test_event_non-blocked.json")).unwrap();
    let h: Vec<Header<'_>> =
        headers.iter().map(|(n, v)| Header { name: n.as_bytes(), value: v }).collect();
    let mut g = Guard::for_body(p, push(p), &h, Limits::default());
    for c in body.chunks(7) {
        g.feed(c);
    }
    g.finish()
}

fn refused(v: &Verdict) -> (Reason, String) {
    match v {
        Verdict::Block(b) => (b.reason, b.detail().to_owned()),
        Verdict::Allow => panic!("allowed"),
    }
}

#[test]
fn built_without_std_or_decode() {
    // the point of this crate: with core's `decode` feature on (as in any test build of
    // the main workspace), gzip would be decoded and this plain JSON refused as a
    // corrupt stream (`decode_error`), not as an encoding the build cannot read
    let p = policy();
    let v = judge(&p, &[("Content-Encoding", b"gzip")]);
    assert_eq!(refused(&v), (Reason::UnsupportedEncoding, "gzip".to_owned()));
}

#[test]
fn a_json_body_with_json_headers_is_allowed() {
    let p = policy();
    assert_eq!(judge(&p, &[]), Verdict::Allow);
    let json = [("Content-Type", &b"application/json; charset=UTF-8"[..])];
    assert_eq!(judge(&p, &json), Verdict::Allow);
    assert_eq!(judge(&p, &[("Content-Encoding", b"identity")]), Verdict::Allow);
}

#[test]
fn a_bad_content_type_is_refused() {
    let p = policy();
    let v = judge(&p, &[("Content-Type", b"text/plain")]);
    assert_eq!(refused(&v), (Reason::UnsupportedContentType, "text/plain".to_owned()));
    // shown as `String::from_utf8_lossy` would, without allocating
    let v = judge(&p, &[("content-type", b"text/\xffplain")]);
    assert_eq!(refused(&v), (Reason::UnsupportedContentType, "text/\u{fffd}plain".to_owned()));
    let two = [("Content-Type", &b"application/json"[..]), ("Content-Type", b"application/json")];
    let v = judge(&p, &two);
    assert_eq!(
        refused(&v),
        (Reason::UnsupportedContentType, "several Content-Type headers".to_owned())
    );
}

#[test]
fn a_charset_other_than_utf8_is_refused() {
    let p = policy();
    let v = judge(&p, &[("Content-Type", b"application/json; charset=latin1")]);
    assert_eq!(refused(&v), (Reason::UnsupportedCharset, "latin1".to_owned()));
}

#[test]
fn unknown_and_stacked_encodings_are_refused() {
    let p = policy();
    for enc in [&b"x-unknown"[..], b"gzip, br", b"br"] {
        let v = judge(&p, &[("Content-Encoding", enc)]);
        assert_eq!(refused(&v).0, Reason::UnsupportedEncoding, "{enc:?}");
    }
}
