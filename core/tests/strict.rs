//! Bodies built to make the guard and MISP read them differently: every one must be
//! judged as MISP would read it, or refused. One test per bypass class; each case is
//! also fed one byte at a time.

mod common;

use common::policy;
use std::path::Path;

use misp_guard_core::Header;
use misp_guard_core::LogLine;
use misp_guard_core::{Guard, Policy, Reason, RequestInfo, RequestVerdict, Verdict};

/// Judges `body` sent as `method path` from `src` to `dst` (request body for pushes,
/// response body for pulls), whole and byte by byte; both must agree.
fn judge_as(
    method: &str,
    path: &str,
    src: &str,
    dst: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> Result<(), (Reason, String)> {
    let p = policy();
    let req =
        RequestInfo { method, path, scheme: "https", src_ip: src, dst_host: dst, dst_port: 443 };
    let plan = match p.check_request(&req, &[]) {
        RequestVerdict::Allow(plan) => plan,
        RequestVerdict::Block(b) => {
            return Err((b.reason, LogLine { method, path, block: &b, policy: &p }.to_string()))
        }
    };
    let insp = plan.request.or(plan.response).expect("an inspected endpoint");
    let hdrs: Vec<Header> =
        headers.iter().map(|(k, v)| Header { name: k.as_bytes(), value: v.as_bytes() }).collect();
    let mut verdicts = vec![];
    for step in [usize::MAX, 1] {
        let mut g = Guard::for_body(&p, insp, &hdrs, Default::default());
        for c in body.chunks(step.min(body.len().max(1))) {
            g.feed(c);
        }
        verdicts.push(g.finish());
    }
    assert_eq!(
        verdicts[0],
        verdicts[1],
        "chunking changed the verdict for {}",
        String::from_utf8_lossy(body)
    );
    match &verdicts[0] {
        Verdict::Allow => Ok(()),
        Verdict::Block(b) => {
            Err((b.reason, LogLine { method, path, block: b, policy: &p }.to_string()))
        }
    }
}

fn push(body: &str) -> Result<(), (Reason, String)> {
    judge_as(
        "POST",
        "/events/add/metadata:1",
        "20.0.0.2",
        "instance1-comp2.com",
        body.as_bytes(),
        &[],
    )
}

/// A minimal well-formed event around `inner` event fields.
fn event(inner: &str) -> String {
    format!(
        r#"{{"Event": {{"info": "x", "distribution": "1", "Attribute": [], "Object": [] {}{}}}}}"#,
        if inner.is_empty() { "" } else { "," },
        inner
    )
}

fn attr(fields: &str) -> String {
    event(&format!(
        r#""Attribute2": 0, "Tag": [], "EventReport": [{{"distribution": 1}}], "Galaxy": [], "Note": [], "ShadowAttribute": [], "Sighting": [], "x": [{{"category": "Other", "type": "text" {fields}}}]"#
    ))
}

fn blocked(r: Result<(), (Reason, String)>, reason: Reason) {
    match r {
        Err((got, line)) => assert_eq!(got, reason, "{line}"),
        Ok(()) => panic!("expected {reason:?}, got allow"),
    }
}

#[test]
fn baseline_event_is_allowed() {
    assert_eq!(push(&event("")), Ok(()));
    assert_eq!(push(&attr("")), Ok(()));
}

#[test]
fn escapes_are_decoded_before_comparing() {
    for tag in [r#""tlp:r\u0065d""#, r#""\u0074lp:red""#, r#""tlp\u003ared""#] {
        blocked(push(&event(&format!(r#""Tag": [{{"name": {tag}}}]"#))), Reason::EventBlockedTag);
    }
    // escaped keys
    blocked(push(&event(r#""T\u0061g": [{"n\u0061me": "tlp:red"}]"#)), Reason::EventBlockedTag);
    blocked(
        push(r#"{"\u0045vent": {"info": "x", "distribution": 0, "Attribute": [], "Object": []}}"#),
        Reason::EventBlockedDistribution,
    );
}

#[test]
fn tags_fold_like_the_receiving_database() {
    for tag in [
        "TLP:RED",
        "tlp:red ",
        " tlp:red",
        "tlp:\u{200b}red",
        "tlp:r\u{e9}d",
        "tlp:re\u{301}d",
        "\u{ff54}lp:red",
        "tlp:red\u{00ad}",
    ] {
        let body =
            event(&format!(r#""Tag": [{{"name": {}}}]"#, serde_json::to_string(tag).unwrap()));
        let r = push(&body);
        blocked(r.clone(), Reason::EventBlockedTag);
        // the log shows the tag as sent (escaped), never the folded form
        assert!(r.unwrap_err().1.contains("event has blocked tag: "), "{tag}");
    }
    // inner differences still differ
    assert_eq!(push(&event(r#""Tag": [{"name": "tlp:reds"}]"#)), Ok(()));
    assert_eq!(push(&event(r#""Tag": [{"name": "tlp: red"}]"#)), Ok(()));
}

#[test]
fn distribution_is_compared_numerically() {
    for d in ["0", "\"0\"", "0.0", "\"00\"", "\"0.0\"", "0e3", "-0", "false", "\"-0\""] {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": {d}, "Attribute": [], "Object": []}}}}"#
        );
        blocked(push(&body), Reason::EventBlockedDistribution);
    }
    for d in ["\" 0\"", "\"0 \"", "\"zero\"", "0.5", "\"0x0\"", "7", "-1", "[0]", "{}", "\"\""] {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": {d}, "Attribute": [], "Object": []}}}}"#
        );
        let r = push(&body);
        assert!(matches!(r, Err((Reason::BadLevel | Reason::WrongType, _))), "{d}: {r:?}");
    }
    for d in ["1", "\"1\"", "1.0", "\"5\""] {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": {d}, "Attribute": [], "Object": []}}}}"#
        );
        assert_eq!(push(&body), Ok(()), "{d}");
    }
    // `true`: PHP's `true == 4` takes it to `captureSGForElement`, which stores level 0
    // without a `SharingGroup`, and level 1 in the group with one
    let body = r#"{"Event": {"info": "x", "distribution": true, "Attribute": [], "Object": []}}"#;
    blocked(push(body), Reason::MissingField);
    let sg = r#""SharingGroup": {"name": "g", "uuid": "5f3c4a0e-1c27-4b7a-8d5e-7b0c1d2e3f40"}"#;
    let body = format!(
        r#"{{"Event": {{"info": "x", "distribution": true, {sg}, "Attribute": [], "Object": []}}}}"#
    );
    assert_eq!(push(&body), Ok(()));
    let a = r#"[{"category": "Other", "type": "text", "value": "v", "distribution": true}]"#;
    let body = format!(
        r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": {a}, "Object": []}}}}"#
    );
    blocked(push(&body), Reason::MissingField);
    // `null` is MISP's "not given" (it applies its default level): refused where a
    // missing distribution is, judged as absent elsewhere
    let body = r#"{"Event": {"info": "x", "distribution": null, "Attribute": [], "Object": []}}"#;
    blocked(push(body), Reason::MissingField);
    let obj = r#""Object": [{"name": "file", "distribution": null, "Attribute": []}]"#;
    let body =
        format!(r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": [], {obj}}}}}"#);
    blocked(push(&body), Reason::MissingField);
    assert_eq!(push(&attr(r#", "distribution": null"#)), Ok(()));
}

#[test]
fn duplicate_keys_are_refused() {
    blocked(
        push(
            r#"{"Event": {"info": "x", "distribution": 0, "distribution": 1, "Attribute": [], "Object": []}}"#,
        ),
        Reason::DuplicateKey,
    );
    blocked(
        push(
            r#"{"Event": {"info": "x", "distribution": 1, "Attribute": [], "Object": [], "Tag": [{"name":"tlp:green"}], "T\u0061g": []}}"#,
        ),
        Reason::DuplicateKey,
    );
    blocked(
        push(
            r#"{"Event": {"info": "x", "distribution": 1, "Attribute": [], "Object": []}, "Event": {}}"#,
        ),
        Reason::DuplicateKey,
    );
    // keys the rules do not read may repeat (MISP takes the last; nothing depends on it)
    assert_eq!(push(&event(r#""comment": "a", "comment": "b""#)), Ok(()));
}

#[test]
fn wrong_types_where_misp_expects_lists_are_refused() {
    blocked(push(&event(r#""Tag": {"name": "tlp:red"}"#)), Reason::WrongType);
    blocked(push(&event(r#""Tag": {"0": {"name": "tlp:red"}}"#)), Reason::WrongType);
    blocked(push(&event(r#""Tag": ["tlp:red"]"#)), Reason::WrongType);
    blocked(push(&event(r#""Tag": [{"name": ["tlp:red"]}]"#)), Reason::WrongType);
    blocked(
        push(&event(r#""SharingGroup": "b9e656ba-b9c0-4506-83ed-7b54b43a57cb""#)),
        Reason::WrongType,
    );
    blocked(
        push(
            r#"{"Event": {"info": "x", "distribution": 1, "Attribute": {"0": {"type": "email", "category": "Other"}}, "Object": []}}"#,
        ),
        Reason::WrongType,
    );
    // PHP writes an empty object as `[]`: read as `{}` (here: an event without fields)
    blocked(push(r#"{"Event": []}"#), Reason::MissingField);
    blocked(push(r#"{"Event": [{"info": "x"}]}"#), Reason::WrongType);
}

#[test]
fn php_empty_arrays_stand_for_empty_objects() {
    // `json_encode` of an empty associative array, as MISP sends for a relationship
    // whose target it does not embed
    let rel = |t: &str, ro: &str| {
        event(&format!(
            r#""Relationship": [{{"distribution": 1, "related_object_type": "{t}", "related_object": {ro}}}]"#
        ))
    };
    for t in ["EventReport", "Galaxy", "Organisation", "SharingGroup"] {
        assert_eq!(push(&rel(t, "[]")), Ok(()), "{t}");
        assert_eq!(push(&rel(t, "{}")), Ok(()), "{t}");
    }
    // empty, there is nothing to judge, whatever the type names
    assert_eq!(push(&rel("Attribute", "[]")), Ok(()));
    // a non-empty list is not an object
    blocked(push(&rel("EventReport", r#"[{"Event": {"distribution": 0}}]"#)), Reason::WrongType);
    blocked(push(&rel("EventReport", "[1]")), Reason::WrongType);
    // an empty sharing group reads as one without uuid (which misp-guard trips over)
    blocked(push(&event(r#""SharingGroup": []"#)), Reason::MissingField);
    assert_eq!(push(&event(r#""SharingGroup": []"#)), push(&event(r#""SharingGroup": {}"#)));
}

#[test]
fn event_body_needs_its_wrapper() {
    for body in [
        r#"{"info": "x", "distribution": 0, "Attribute": [], "Object": []}"#,
        "[]",
        "\"Event\"",
        "{}",
        "null",
        "1",
    ] {
        blocked(push(body), Reason::NoEventWrapper);
    }
}

#[test]
fn undecodable_bodies_are_refused() {
    for (body, reason) in [
        (&b""[..], Reason::InvalidJson),
        (b"{\"Event\": {", Reason::InvalidJson),
        (b"{\"Event\": {\"info\": \"\\ud800\"}}", Reason::LoneSurrogate),
        (b"{\"Event\": {\"info\": \"\xc0\xaf\"}}", Reason::InvalidUtf8),
        (b"{\"Event\": {}} {\"Event\": {}}", Reason::TrailingData),
        (b"\xef\xbb\xbf{\"Event\": {}}", Reason::InvalidJson),
    ] {
        let r = judge_as("POST", "/events/add", "20.0.0.2", "instance1-comp2.com", body, &[]);
        blocked(r, reason);
    }
    let deep = format!(r#"{{"Event": {{"info": {}1{}}}}}"#, "[".repeat(200), "]".repeat(200));
    blocked(push(&deep), Reason::TooDeep);
}

#[test]
fn syntax_errors_take_precedence_like_misp_guard() {
    // misp-guard parses first: a blocked tag before a syntax error reads "invalid JSON body"
    let body = r#"{"Event": {"info": "x", "distribution": 0, "Attribute": [], "Object": [], "Tag": [{"name": "tlp:red"}]}} x"#;
    let (reason, line) = push(body).unwrap_err();
    assert_eq!(reason, Reason::TrailingData);
    assert!(line.contains("invalid JSON body"), "{line}");
}

#[test]
fn the_reason_is_the_one_misp_guard_reports_first() {
    // attributes are checked after event-level rules, whatever the order in the body
    let body = r#"{"Event": {"Attribute": [{"category": "Person", "type": "email"}], "Object": [], "info": "x", "distribution": "1", "Tag": [{"name": "tlp:red"}]}}"#;
    assert!(push(body).unwrap_err().1.ends_with("event has blocked tag: tlp:red"));
    // within an attribute: category, then type
    let body = r#"{"Event": {"info": "x", "distribution": "1", "Object": [], "Attribute": [{"type": "email", "category": "Person"}]}}"#;
    assert!(push(body).unwrap_err().1.ends_with("attribute with a blocked category: Person"));
    // first attribute first
    let body = r#"{"Event": {"info": "x", "distribution": "1", "Object": [], "Attribute": [{"type": "text", "category": "Other", "Tag": [{"name":"x"}, {"name":"tlp:red"}]}, {"type": "email", "category": "Other"}]}}"#;
    assert!(push(body).unwrap_err().1.ends_with("attribute with a blocked tag: tlp:red"));
}

#[test]
fn every_element_with_the_field_is_judged() {
    let sg = r#""SharingGroup": {"uuid": "B9E656BA-B9C0-4506-83ED-7B54B43A57CB"}"#;
    blocked(
        push(&event(&format!(r#""EventReport": [{{"distribution": 1, {sg}}}]"#))),
        Reason::EventReportBlockedSharingGroup,
    );
    blocked(
        push(&event(&format!(r#""Note": [{{"distribution": 1, {sg}}}]"#))),
        Reason::AnalystDataBlockedSharingGroup,
    );
    blocked(
        push(&event(r#""Galaxy": [{"GalaxyCluster": [{"tag_name": "TLP:RED"}]}]"#)),
        Reason::GalaxyClusterBlockedTag,
    );
    blocked(
        push(&event(r#""Galaxy": [{"GalaxyCluster": [{"distribution": "0"}]}]"#)),
        Reason::GalaxyClusterBlockedDistribution,
    );
    blocked(push(&event(r#""EventTag": [{"Tag": {"name": "tlp:red"}}]"#)), Reason::EventBlockedTag);
    blocked(
        push(&event(r#""ShadowAttribute": [{"type": "EMAIL", "category": "Other"}]"#)),
        Reason::AttributeBlockedType,
    );
    let obj = r#""Object": [{"name": "Person", "distribution": 1, "Attribute": []}]"#;
    let body =
        format!(r#"{{"Event": {{"info": "x", "distribution": "1", "Attribute": [], {obj}}}}}"#);
    blocked(push(&body), Reason::ObjectBlockedType);
}

#[test]
fn relationship_related_object_may_come_first() {
    let rel = |order_first: bool| {
        let ro = r#""related_object": {"Event": {"distribution": 0}}"#;
        let rt = r#""related_object_type": "Event""#;
        let (a, b) = if order_first { (ro, rt) } else { (rt, ro) };
        format!(r#"{{"Relationship": {{"distribution": 1, {a}, {b}}}}}"#)
    };
    for first in [true, false] {
        let r = judge_as(
            "POST",
            "/analyst_data/pushAnalystData",
            "10.0.0.1",
            "instance2-comp1.com",
            rel(first).as_bytes(),
            &[],
        );
        blocked(r, Reason::EventBlockedDistribution);
    }
    // the type names a reading that is not there: refused as misp-guard would trip on it
    let body = r#"{"Relationship": {"distribution": 1, "related_object_type": "Object", "related_object": {"Event": {"distribution": 1}}}}"#;
    let r = judge_as(
        "POST",
        "/analyst_data/pushAnalystData",
        "10.0.0.1",
        "instance2-comp1.com",
        body.as_bytes(),
        &[],
    );
    blocked(r, Reason::MissingField);
}

#[test]
fn user_org_membership_is_exact() {
    let path = "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56";
    let org = "8b9661a3-8544-4f8d-94be-cd7ebe87e922";
    let ev = |sg: &str| {
        format!(
            r#"{{"Event": {{"info": "x", "distribution": 4, "Attribute": [], "Object": [], "SharingGroup": {sg}}}}}"#
        )
    };
    let pull = |body: String| {
        judge_as(
            "GET",
            path,
            "20.0.0.2",
            "instance1-comp1.com",
            body.as_bytes(),
            &[("X-UserOrgUUID", org)],
        )
    };
    let member = format!(
        r#"{{"uuid": "u", "name": "g", "SharingGroupOrg": [{{"Organisation": {{"uuid": "{org}"}}}}], "SharingGroupServer": []}}"#
    );
    assert_eq!(pull(ev(&member)), Ok(()));
    let upper = member.replace(org, &org.to_uppercase());
    blocked(pull(ev(&upper)), Reason::UserOrgNotInSharingGroup);
    let all_orgs = |v: &str| {
        format!(
            r#"{{"uuid": "u", "name": "g", "SharingGroupOrg": [], "SharingGroupServer": [{{"all_orgs": {v}}}]}}"#
        )
    };
    assert_eq!(pull(ev(&all_orgs("true"))), Ok(()));
    blocked(pull(ev(&all_orgs("\"0\""))), Reason::UserOrgNotInSharingGroup);
    blocked(pull(ev(&all_orgs("false"))), Reason::UserOrgNotInSharingGroup);
    // two headers: no single organisation (misp-guard sees them joined)
    let other = "00000000-0000-0000-0000-000000000000";
    let r = judge_as(
        "GET",
        path,
        "20.0.0.2",
        "instance1-comp1.com",
        ev(&member).as_bytes(),
        &[("X-UserOrgUUID", other), ("X-UserOrgUUID", org)],
    );
    blocked(r, Reason::UserOrgNotInSharingGroup);
}

#[test]
fn minimal_index_searches() {
    let search = |b: &str| {
        judge_as("POST", "/events/index", "20.0.0.2", "instance1-comp1.com", b.as_bytes(), &[])
    };
    assert_eq!(search(r#"{"minimal": 1, "published": 1}"#), Ok(()));
    assert_eq!(search(r#"{"minimal": true, "published": 1.0, "page": 2}"#), Ok(()));
    for b in [
        r#"{"minimal": "1", "published": 1}"#,
        r#"{"minimal": 1}"#,
        r#"{"minimal": 0, "published": 1}"#,
        r#"{"minimal": 1, "published": 1, "request": {"minimal": 0}}"#,
        r#"[]"#,
    ] {
        blocked(search(b), Reason::MinimalPublishedRequired);
    }
    blocked(search(r#"{"minimal": 1, "published": 1, "minimal": 0}"#), Reason::DuplicateKey);
}

#[test]
fn encodings_and_charsets() {
    blocked(
        judge_as(
            "POST",
            "/events/add",
            "20.0.0.2",
            "instance1-comp2.com",
            event("").as_bytes(),
            &[("Content-Encoding", "zstd")],
        ),
        Reason::UnsupportedEncoding,
    );
    blocked(
        judge_as(
            "POST",
            "/events/add",
            "20.0.0.2",
            "instance1-comp2.com",
            event("").as_bytes(),
            &[("Content-Type", "application/json; charset=utf-16")],
        ),
        Reason::UnsupportedCharset,
    );
    assert_eq!(
        judge_as(
            "POST",
            "/events/add",
            "20.0.0.2",
            "instance1-comp2.com",
            event("").as_bytes(),
            &[("Content-Type", "application/json; charset=UTF-8")]
        ),
        Ok(())
    );
}

#[test]
fn request_paths_are_matched_as_sent() {
    let r = |m: &str, p: &str| {
        judge_as(m, p, "20.0.0.2", "instance1-comp2.com", event("").as_bytes(), &[])
    };
    blocked(r("POST", "/events/add/%2e%2e/x"), Reason::NonCanonicalPath);
    blocked(r("POST", "/events/addTag/1/2"), Reason::EndpointNotAllowed);
    blocked(r("POST", "/EVENTS/add"), Reason::EndpointNotAllowed);
    blocked(r("post", "/events/add"), Reason::EndpointNotAllowed);
    let p = policy();
    let req = RequestInfo {
        method: "POST",
        path: "/events/add",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp2.com",
        dst_port: 443,
    };
    for name in [&b"X-HTTP-Method-Override"[..], b"x_http_method_override", b"X-Method_Override"] {
        let h = [Header { name, value: b"DELETE" }];
        assert!(
            matches!(p.check_request(&req, &h), RequestVerdict::Block(b) if b.reason == Reason::MethodOverride),
            "{}",
            String::from_utf8_lossy(name)
        );
    }
    // red-team round 5: a request that asks to switch protocols (nginx would relay an
    // upstream's 101 and then copy the connection past every filter), on any endpoint,
    // allowlisted destinations included
    let allowlisted = RequestInfo {
        method: "GET",
        path: "/x",
        dst_host: "snort-org-site.s3.amazonaws.com",
        src_ip: "10.0.0.2",
        ..req
    };
    for r in [&req, &allowlisted] {
        for (name, value) in [
            (&b"Upgrade"[..], &b"h2c"[..]),
            (b"upgrade", b"websocket"),
            (b"HTTP2-Settings", b"AAMAAABkAAQCAAAA"),
            (b"http2_settings", b""),
        ] {
            let h = [
                Header { name: b"Content-Type", value: b"application/json" },
                Header { name, value },
            ];
            match p.check_request(r, &h) {
                RequestVerdict::Block(b) => {
                    assert_eq!(b.reason, Reason::ProtocolUpgrade);
                    assert!(b.has_preamble());
                    let line = LogLine { method: r.method, path: r.path, block: &b, policy: &p };
                    let want = format!(
                        "endpoint not allowed: protocol upgrade ({})",
                        String::from_utf8_lossy(name)
                    );
                    assert!(line.to_string().ends_with(&want), "{line}");
                }
                v => panic!("{}: {v:?}", String::from_utf8_lossy(name)),
            }
        }
        let h = [Header { name: b"Connection", value: b"keep-alive" }];
        assert!(matches!(p.check_request(r, &h), RequestVerdict::Allow(_)));
    }
}

#[test]
fn misp_reads_request_wrapper_and_lists_beside_event() {
    let inner = r#"{"Event": {"info": "x", "distribution": 0, "Attribute": [], "Object": []}}"#;
    let body = format!(
        r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": [], "Object": []}}, "request": {inner}}}"#
    );
    blocked(push(&body), Reason::AmbiguousBody);
    let body = r#"{"Event": {"info": "x", "distribution": 1, "Attribute": [], "Object": []}, "Attribute": [{"type": "email", "category": "Other"}]}"#;
    blocked(push(body), Reason::AttributeBlockedType);
    // NUL and other controls do not hide a blocked tag
    blocked(push(&event(r#""Tag": [{"name": "tlp:red\u0000"}]"#)), Reason::EventBlockedTag);
}

/// Places where MISP's PHP reads another value than the one next to it: each is judged
/// as MISP reads it, or refused.
#[test]
fn misp_reads_inner_wrappers_and_form_bodies() {
    let ok_event = r#"{"info": "x", "distribution": 1, "Attribute": [], "Object": []}"#;
    let red_event = r#"{"info": "x", "distribution": 0, "Attribute": [], "Object": []}"#;
    // `EventsController::add`/`edit` take `response` (then `request`) as the body
    let body = format!(r#"{{"Event": {ok_event}, "response": {{"Event": {red_event}}}}}"#);
    blocked(push(&body), Reason::AmbiguousBody);
    let body = format!(r#"{{"response": {{"Event": {red_event}}}, "Event": {ok_event}}}"#);
    blocked(push(&body), Reason::AmbiguousBody);

    // `captureObject` / `captureReport` save the inner element when there is one
    let inner = r#"{"name": "person", "distribution": 0, "Attribute": []}"#;
    let obj =
        format!(r#"{{"name": "file", "distribution": 1, "Attribute": [], "Object": {inner}}}"#);
    let body = format!(
        r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": [], "Object": [{obj}]}}}}"#
    );
    blocked(push(&body), Reason::AmbiguousBody);
    let rep = r#"{"name": "r", "distribution": 1, "EventReport": {"distribution": 0}}"#;
    blocked(push(&event(&format!(r#""EventReport": [{rep}]"#))), Reason::AmbiguousBody);

    // analyst data on an event report is captured with it
    let rep = r#"{"name": "r", "distribution": 1, "Note": [{"note": "n", "distribution": 0}]}"#;
    blocked(
        push(&event(&format!(r#""EventReport": [{rep}]"#))),
        Reason::AnalystDataBlockedDistribution,
    );

    // `deduceAnalystDataType` reads a top-level `note_type_name` first
    let analyst = |body: &str| {
        judge_as(
            "POST",
            "/analyst_data/pushAnalystData",
            "10.0.0.1",
            "instance2-comp1.com",
            body.as_bytes(),
            &[],
        )
    };
    blocked(
        analyst(r#"{"note_type_name": "Note", "note": "n", "distribution": "0"}"#),
        Reason::AmbiguousBody,
    );
    blocked(
        analyst(r#"{"Note": {"note": "n", "distribution": 1}, "note_type_name": "Opinion"}"#),
        Reason::AmbiguousBody,
    );
    assert_eq!(analyst(r#"{"Note": {"note": "n", "distribution": 1}}"#), Ok(()));

    // cluster relations carry their own distribution, sharing group and tags
    let push_cluster = |rel: &str| {
        let body = format!(
            r#"[{{"GalaxyCluster": {{"distribution": 1, "GalaxyClusterRelation": [{rel}]}}}}]"#
        );
        judge_as(
            "POST",
            "/galaxies/pushCluster",
            "20.0.0.2",
            "instance1-comp2.com",
            body.as_bytes(),
            &[],
        )
    };
    assert_eq!(push_cluster(r#"{"distribution": 1, "Tag": [{"name": "tlp:green"}]}"#), Ok(()));
    blocked(push_cluster(r#"{"distribution": "0"}"#), Reason::GalaxyClusterBlockedDistribution);
    blocked(push_cluster(r#"{"Tag": [{"name": "TLP:RED"}]}"#), Reason::GalaxyClusterBlockedTag);
    blocked(
        push_cluster(
            r#"{"GalaxyClusterRelation": {"GalaxyClusterRelationTag": [{"name": "tlp:red"}]}}"#,
        ),
        Reason::GalaxyClusterBlockedTag,
    );
}

/// Fields MISP fills in or resolves itself, where the rules would see nothing blocked.
#[test]
fn what_misp_resolves_locally_is_not_left_to_it() {
    // a tag attached by its local id, whatever name the item shows
    let tag = r#"{"tag_id": "7", "Tag": {"name": "tlp:green"}}"#;
    let with_attr = |fields: &str| {
        format!(
            r#"{{"Event": {{"info": "x", "distribution": 1, "Object": [], "Attribute": [{{"category": "Other", "type": "text"{fields}}}]}}}}"#
        )
    };
    blocked(push(&with_attr(&format!(r#", "AttributeTag": [{tag}]"#))), Reason::AmbiguousBody);
    blocked(push(&event(&format!(r#""EventTag": [{tag}]"#))), Reason::AmbiguousBody);
    assert_eq!(push(&event(r#""EventTag": [{"Tag": {"name": "tlp:green"}}]"#)), Ok(()));

    // distribution 4 without the `SharingGroup` object: MISP takes the local group
    // numbered `sharing_group_id`, which no rule can name
    let ev = |inner: &str| {
        format!(
            r#"{{"Event": {{"info": "x", "distribution": 4, "sharing_group_id": "3", "Attribute": [], "Object": []{inner}}}}}"#
        )
    };
    blocked(push(&ev("")), Reason::MissingField);
    let sg = r#""SharingGroup": {"uuid": "5c1a1e0e-0000-4000-8000-000000000001", "name": "g"}"#;
    assert_eq!(push(&ev(&format!(", {sg}"))), Ok(()));
    blocked(
        push(&with_attr(r#", "distribution": "4", "sharing_group_id": "3""#)),
        Reason::MissingField,
    );
    let note = r#"{"Note": {"note": "n", "distribution": 4, "sharing_group_id": "3"}}"#;
    let r = judge_as(
        "POST",
        "/analyst_data/pushAnalystData",
        "10.0.0.1",
        "instance2-comp1.com",
        note.as_bytes(),
        &[],
    );
    blocked(r, Reason::MissingField);

    // an empty category becomes the type's default one (blocked categories exist here)
    for c in ["\"\"", "\"0\"", "null"] {
        let body =
            event(&format!(r#""ShadowAttribute": [{{"type": "phone-number", "category": {c}}}]"#));
        blocked(push(&body), Reason::MissingField);
    }
    let body = event(r#""ShadowAttribute": [{"type": "phone-number"}]"#);
    blocked(push(&body), Reason::MissingField);
    let body = event(r#""ShadowAttribute": [{"type": "phone-number", "category": "Other"}]"#);
    assert_eq!(push(&body), Ok(()));
}

#[test]
fn local_tags_satisfy_no_required_taxonomy() {
    // instance_1_4 requires a `tlp` tag; MISP drops local tags from synced events
    let pull = |tag: &str| {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": [], "Object": [], "Tag": [{tag}]}}}}"#
        );
        judge_as(
            "GET",
            "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56",
            "10.0.0.1",
            "instance1-comp4.com",
            body.as_bytes(),
            &[],
        )
    };
    assert_eq!(pull(r#"{"name": "tlp:clear", "local": 0}"#), Ok(()));
    assert_eq!(pull(r#"{"local": false, "name": "tlp:clear"}"#), Ok(()));
    for local in ["1", "true", "\"1\"", "\"yes\""] {
        for tag in [
            format!(r#"{{"name": "tlp:clear", "local": {local}}}"#),
            format!(r#"{{"local": {local}, "name": "tlp:clear"}}"#),
        ] {
            let r = pull(&tag);
            assert!(
                matches!(
                    r,
                    Err((
                        Reason::MissingRequiredTaxonomy | Reason::EventMissingRequiredTaxonomies,
                        _
                    ))
                ),
                "{tag}: {r:?}"
            );
        }
    }
}

#[test]
fn galaxy_clusters_are_judged_by_the_tag_misp_files_them_under() {
    let text = std::fs::read_to_string(common::current("config.json")).unwrap();
    let uuid = "7cdff317-a673-4474-84ec-4f1754947823";
    let filed = format!(r#"misp-galaxy:threat-actor=\"{uuid}\""#);
    let text =
        text.replacen(r#""blocked_tags": ["#, &format!(r#""blocked_tags": ["{filed}", "#), 64);
    let p = Policy::from_json_slice(text.as_bytes()).unwrap();
    let req = RequestInfo {
        method: "POST",
        path: "/galaxies/pushCluster",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp2.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("request") };
    let judge = |cluster: &str| {
        let body = format!(r#"[{{"GalaxyCluster": {cluster}}}]"#);
        let mut g = Guard::new(&p, plan.request.unwrap());
        g.feed(body.as_bytes());
        g.finish()
    };
    // `tag_name` says something harmless; MISP files it as misp-galaxy:TYPE="UUID"
    for c in [
        format!(
            r#"{{"distribution": 1, "type": "threat-actor", "uuid": "{uuid}", "tag_name": "x"}}"#
        ),
        format!(
            r#"{{"uuid": "{}", "distribution": 1, "type": "THREAT-ACTOR"}}"#,
            uuid.to_uppercase()
        ),
    ] {
        match judge(&c) {
            Verdict::Block(b) => assert_eq!(b.reason, Reason::GalaxyClusterBlockedTag, "{c}"),
            v => panic!("{c}: {v:?}"),
        }
    }
    let other = r#"{"distribution": 1, "type": "threat-actor", "uuid": "00000000-0000-4000-8000-000000000000"}"#;
    assert_eq!(judge(other), Verdict::Allow);
}

#[test]
fn search_parameters_in_every_spelling_misp_reads() {
    let search = |b: &str| {
        judge_as("POST", "/events/index", "20.0.0.2", "instance1-comp1.com", b.as_bytes(), &[])
    };
    for b in [
        r#"{"minimal": 1, "published": 1, "Minimal": 0}"#,
        r#"{"minimal": 1, "published": 1, "searchminimal": 0}"#,
        r#"{"minimal": 1, "published": 1, "searchPUBLISHED": 0}"#,
    ] {
        blocked(search(b), Reason::DuplicateKey);
    }
    assert_eq!(search(r#"{"searchMinimal": 1, "PUBLISHED": true}"#), Ok(()));
    blocked(search(r#"{"minimal": 1, "searchpublished": 0}"#), Reason::MinimalPublishedRequired);
}

#[test]
fn cluster_searches_read_only_the_exact_names() {
    // `AppController::_harvestParameters` copies `minimal` by its exact name:
    // `GalaxyCluster::restSearch` would answer full clusters to the other spellings
    let search = |b: &str| {
        judge_as(
            "POST",
            "/galaxy_clusters/restSearch",
            "20.0.0.2",
            "instance1-comp1.com",
            b.as_bytes(),
            &[],
        )
    };
    assert_eq!(search(r#"{"minimal": 1, "published": 1}"#), Ok(()));
    assert_eq!(search(r#"{"minimal": 1, "published": 1, "Minimal": 0}"#), Ok(()));
    for b in [
        r#"{"Minimal": 1, "published": 1}"#,
        r#"{"MINIMAL": 1, "published": 1}"#,
        r#"{"searchminimal": 1, "published": 1}"#,
        r#"{"minimal": 1, "searchpublished": 1}"#,
        r#"{"minimal": 1, "Published": 1}"#,
    ] {
        blocked(search(b), Reason::MinimalPublishedRequired);
    }
}

#[test]
fn parts_misp_leaves_out_are_not_required() {
    // an object whose attributes push filters all removed
    let body = r#"{"Event": {"info": "x", "distribution": 1, "Attribute": [], "Object": [{"name": "file", "distribution": 1}]}}"#;
    assert_eq!(push(body), Ok(()));
    // a relationship whose target MISP does not embed (`related_object: []`)
    let rel = |ro: &str| {
        event(&format!(
            r#""Relationship": [{{"distribution": 1, "related_object_type": "GalaxyCluster", "related_object": {ro}}}]"#
        ))
    };
    assert_eq!(push(&rel("[]")), Ok(()));
    blocked(push(&rel(r#"{"Event": {"distribution": 1}}"#)), Reason::MissingField);
    blocked(
        push(&rel(r#"{"GalaxyCluster": {"distribution": 0}}"#)),
        Reason::GalaxyClusterBlockedDistribution,
    );
}

#[test]
fn request_bodies_must_be_json_to_misp_too() {
    let body = event("");
    let with = |headers: &[(&str, &str)]| {
        judge_as(
            "POST",
            "/events/add/metadata:1",
            "20.0.0.2",
            "instance1-comp2.com",
            body.as_bytes(),
            headers,
        )
    };
    assert_eq!(with(&[]), Ok(()));
    assert_eq!(with(&[("Content-Type", "application/json")]), Ok(()));
    assert_eq!(with(&[("content-type", "application/json; charset=UTF-8")]), Ok(()));
    assert_eq!(with(&[("content-type", "application/json;charset=utf-8")]), Ok(()));
    // PHP fills the request data from form bodies, whatever JSON they also are; and
    // CakePHP decodes JSON only for `application/json` exactly (before any `;`)
    for t in [
        "Application/JSON; charset=UTF-8",
        "APPLICATION/JSON",
        "application/json ;charset=utf-8",
        "application/json ",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/xml",
        "application/json-patch+json",
        "",
    ] {
        blocked(with(&[("Content-Type", t)]), Reason::UnsupportedContentType);
    }
    blocked(
        with(&[("Content-Type", "application/json"), ("Content-Type", "application/json")]),
        Reason::UnsupportedContentType,
    );
    // the minimal/published check reads JSON too; and an index search MISP would not
    // decode would run without its filters
    for t in
        ["application/x-www-form-urlencoded", "Application/JSON", "application/json ;charset=utf-8"]
    {
        let r = judge_as(
            "POST",
            "/events/index",
            "20.0.0.2",
            "instance1-comp1.com",
            br#"{"minimal": 1, "published": 1}"#,
            &[("Content-Type", t)],
        );
        blocked(r, Reason::UnsupportedContentType);
    }
}

#[test]
fn legacy_configs_keep_the_first_release_endpoint_list() {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/legacy/config.json");
    let p = Policy::from_json_slice(&std::fs::read(p).unwrap()).unwrap();
    for (m, path, allowed) in [
        ("GET", "/servers/getVersion", true),
        ("POST", "/events/add/metadata:1", true),
        ("GET", "/users/view/me.json", false),
        ("POST", "/galaxies/pushCluster", false),
    ] {
        let req = RequestInfo {
            method: m,
            path,
            scheme: "https",
            src_ip: "",
            dst_host: "misp-external.com",
            dst_port: 443,
        };
        assert_eq!(
            matches!(p.check_request(&req, &[]), RequestVerdict::Allow(_)),
            allowed,
            "{m} {path}"
        );
    }
}

#[test]
fn search_results_may_be_wrapped_in_response() {
    let pull = |path: &str, body: &str| {
        judge_as("POST", path, "20.0.0.2", "instance1-comp1.com", body.as_bytes(), &[])
    };
    // the request side of these endpoints is the minimal search: judge the response
    let p = policy();
    let req = RequestInfo {
        method: "POST",
        path: "/galaxy_clusters/restSearch",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp1.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!() };
    let insp = plan.response.unwrap();
    for (body, ok) in [
        (r#"{"response": [{"GalaxyCluster": {"uuid": "x", "version": "1"}}]}"#, true),
        (r#"[{"GalaxyCluster": {"uuid": "x"}}]"#, true),
        (r#"{"response": [{"GalaxyCluster": {"distribution": "0"}}]}"#, false),
    ] {
        let mut g = Guard::new(&p, insp);
        g.feed(body.as_bytes());
        assert_eq!(g.finish().is_allow(), ok, "{body}");
    }
    let _ = pull;
}

#[test]
fn attachment_content_must_be_a_scalar() {
    // `MispAttribute::afterSave` decodes `data` (or writes `data_raw`) after the row is
    // stored and before `captureAttribute` attaches the tags: a list throws there
    let attr = |k: &str, v: &str| {
        let a = format!(
            r#"[{{"category": "Payload delivery", "type": "attachment", "value": "a.bin", "distribution": 1, "{k}": {v}}}]"#
        );
        format!(
            r#"{{"Event": {{"info": "x", "distribution": 1, "Attribute": {a}, "Object": []}}}}"#
        )
    };
    let big = format!("\"{}\"", "QUJD".repeat(50_000));
    for k in ["data", "data_raw", "base64"] {
        assert_eq!(push(&attr(k, r#""QUJD""#)), Ok(()), "{k}");
        assert_eq!(push(&attr(k, &big)), Ok(()), "{k}");
        assert_eq!(push(&attr(k, "null")), Ok(()), "{k}");
        blocked(push(&attr(k, "[]")), Reason::WrongType);
        blocked(push(&attr(k, r#"{"a": 1}"#)), Reason::WrongType);
    }
}

#[test]
fn analyst_data_that_would_throw_before_the_tags_is_refused_where_taxonomies_are_required() {
    // `MispAttribute::editAttributeBulk` stores the attributes, captures their analyst
    // data (`AnalystData::beforeSave`), and only then their tags: a throw there leaves
    // the attributes without the tags that satisfied the required taxonomies
    let edit = |note: &str, src: &str, dst: &str| {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": "1", "Object": [], "Tag": [{{"name": "tlp:green"}}], "Attribute": [{{"type": "ip-src", "category": "Network activity", "value": "8.8.8.8", "distribution": "5", "Tag": [{{"name": "tlp:green"}}], "Note": [{note}]}}]}}}}"#
        );
        judge_as(
            "POST",
            "/events/edit/385283a1-b5e0-4e10-a532-dce11c365a56/metadata:1",
            src,
            dst,
            body.as_bytes(),
            &[],
        )
    };
    let required = |note: &str| edit(note, "40.0.0.1", "instance1-comp1.com");
    let not_required = |note: &str| edit(note, "20.0.0.2", "instance1-comp2.com");
    let note = |extra: &str| format!(r#"{{"distribution": "1", "note": "x"{extra}}}"#);
    for ok in [
        "",
        r#", "created": "2024-05-01 12:00:00", "modified": "2024-05-01T12:00:00.123+02:00""#,
        r#", "created": null, "modified": """#,
        r#", "created": "0", "modified": 0"#,
        r#", "created": "2024-05-01T12:00:00Z", "language": "en""#,
        r#", "created": "2024-12-31 23:59:59.999999-14:00", "modified": "2024-01-01T00:00:00+1400""#,
        r#", "language": "abcdefghijklmnop""#,
        r#", "Opinion": [{"distribution": 1, "opinion": 50, "note_type_name": "Opinion"}]"#,
    ] {
        assert_eq!(required(&note(ok)), Ok(()), "{ok}");
    }
    for bad in [
        r#", "created": "%%%""#,
        r#", "modified": "yesterday""#,
        r#", "created": "2024-05-01""#,
        r#", "created": "2024-13-01 12:00:00""#,
        r#", "created": "2024-05-32 12:00:00""#,
        r#", "modified": "2024-01-01 25:00:00""#,
        r#", "modified": "2024-01-01 12:61:00""#,
        r#", "modified": "2024-01-01 12:00:60""#,
        r#", "modified": "2024-01-01 12:00:00+99:99""#,
        r#", "modified": "2024-01-01 12:00:00+0160""#,
        r#", "created": 1714564800"#,
        r#", "created": true"#,
        r#", "language": "abcdefghijklmnopq""#,
    ] {
        blocked(required(&note(bad)), Reason::AmbiguousBody);
        assert_eq!(not_required(&note(bad)), Ok(()), "{bad}");
    }
    // a child without a level gets the receiver's default, or throws when it has none;
    // refused also where no taxonomy is required but a level is blocked (instance_2_2
    // blocks level 0, which the default may be: red-team round 4)
    let child = note(r#", "Opinion": [{"opinion": 50, "note_type_name": "Opinion"}]"#);
    blocked(required(&child), Reason::MissingField);
    blocked(not_required(&child), Reason::MissingField);
    blocked(required(&note(r#", "created": {}"#)), Reason::WrongType);
}

#[test]
fn index_answers_list_published_events_only() {
    // the guard let the search through with `published: 1`; an unpublished event in
    // the answer means MISP did not apply it (no exact `application/json`: CakePHP left
    // the request data empty, and `EventsController::index` ran without filters)
    let p = policy();
    let req = RequestInfo {
        method: "POST",
        path: "/events/index",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp1.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("refused") };
    let insp = plan.response.expect("the index answer is judged");
    let judge = |body: &str| {
        let mut g = Guard::for_body(&p, insp, &[], Default::default());
        g.feed(body.as_bytes());
        g.finish()
    };
    let item = |published: &str| {
        format!(
            r#"{{"id":"7","uuid":"385283a1-b5e0-4e10-a532-dce11c365a56","timestamp":"1700000000","sighting_timestamp":"0","published":{published},"orgc_uuid":"10c8f445-888b-4a2d-bac8-4e1e8861d595"}}"#
        )
    };
    for ok in ["true", "1", r#""1""#] {
        assert_eq!(judge(&format!("[{}]", item(ok))), Verdict::Allow, "{ok}");
    }
    assert_eq!(judge("[]"), Verdict::Allow);
    for bad in ["false", "0", r#""0""#, "null", r#""""#] {
        match judge(&format!("[{},{}]", item("true"), item(bad))) {
            Verdict::Block(b) => assert_eq!(b.reason, Reason::MinimalPublishedRequired, "{bad}"),
            v => panic!("{bad}: {v:?}"),
        }
        let wrapped = format!(r#"{{"response": [{{"Event": {}}}]}}"#, item(bad));
        assert!(matches!(judge(&wrapped), Verdict::Block(_)), "{bad}");
    }
}

#[test]
fn analyst_language_and_date_bounds() {
    // `notes.language` is a varchar(16): 15 and 16 characters fit, 17 and 160 do not; a
    // value past the capture buffer (1 024 bytes) is not read, so refused; dates past
    // it likewise (where taxonomies are required, as the check applies)
    let edit = |extra: &str| {
        let body = format!(
            r#"{{"Event": {{"info": "x", "distribution": "1", "Object": [], "Tag": [{{"name": "tlp:green"}}], "Attribute": [{{"type": "ip-src", "category": "Network activity", "value": "8.8.8.8", "distribution": "5", "Tag": [{{"name": "tlp:green"}}], "Note": [{{"distribution": "1", "note": "x"{extra}}}]}}]}}}}"#
        );
        judge_as(
            "POST",
            "/events/edit/385283a1-b5e0-4e10-a532-dce11c365a56/metadata:1",
            "40.0.0.1",
            "instance1-comp1.com",
            body.as_bytes(),
            &[],
        )
    };
    let language = |n: usize| format!(r#", "language": "{}""#, "é".repeat(n));
    assert_eq!(edit(&language(15)), Ok(()));
    assert_eq!(edit(&language(16)), Ok(()));
    for n in [17, 160, 2_000] {
        blocked(edit(&language(n)), Reason::AmbiguousBody);
    }
    let date = |pad: usize| format!(r#", "created": "2024-05-01 12:00:00{}""#, "0".repeat(pad));
    assert_eq!(edit(&date(0)), Ok(()));
    for pad in [1, 1_024, 10_240] {
        blocked(edit(&date(pad)), Reason::AmbiguousBody);
    }
}

/// Red-team round 4 — host names compare as DNS names do (RFC 4343: without regard to
/// ASCII case; RFC 1034: `host.` is `host`). A legacy-format index search sent to
/// `MISP-GUARD.com` is inbound like one sent to `misp-guard.com` (before, it was taken
/// for outbound and its `minimal`/`published` went unchecked); a current-format request
/// to `INSTANCE1-COMP1.COM.` gets instance_1_1's rules, and allowlisted domains match in
/// any case.
#[test]
fn r4_host_names_compare_without_case_or_final_dot() {
    let legacy = Policy::from_json_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/conformance/legacy/config.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let json = [Header { name: b"Content-Type", value: b"application/json" }];
    let search = |host| RequestInfo {
        method: "POST",
        path: "/events/index",
        scheme: "https",
        src_ip: "1.2.3.4",
        dst_host: host,
        dst_port: 8888,
    };
    for host in ["misp-guard.com", "MISP-GUARD.com", "Misp-Guard.Com.", "misp-guard.com."] {
        let RequestVerdict::Allow(plan) = legacy.check_request(&search(host), &json) else {
            panic!("{host}: refused")
        };
        let insp = plan.request.unwrap_or_else(|| panic!("{host}: search not inspected"));
        let mut g = Guard::for_body(&legacy, insp, &json, Default::default());
        g.feed(b"{}");
        match g.finish() {
            Verdict::Block(b) => assert_eq!(b.reason, Reason::MinimalPublishedRequired, "{host}"),
            v => panic!("{host}: {v:?}"),
        }
    }
    // not the proxy: outbound, the search is not inspected (misp-guard's first release)
    for host in ["misp-guard.co", "misp-guard.com..", "xmisp-guard.com"] {
        let RequestVerdict::Allow(plan) = legacy.check_request(&search(host), &json) else {
            panic!("{host}: refused")
        };
        assert!(plan.request.is_none(), "{host}");
    }
    // current format: the destination is found in any case, the domain allowlist too
    let p = policy();
    for (dst, found) in [
        ("instance1-comp1.com", true),
        ("INSTANCE1-COMP1.COM.", true),
        ("Instance1-Comp1.com", true),
        ("instance1-comp1.com..", false),
        ("instance1-comp1.co", false),
    ] {
        let req = RequestInfo {
            method: "GET",
            path: "/servers/getVersion",
            scheme: "https",
            src_ip: "10.0.0.2",
            dst_host: dst,
            dst_port: 443,
        };
        match p.check_request(&req, &[]) {
            RequestVerdict::Allow(plan) => assert!(found && plan.allowlisted.is_none(), "{dst}"),
            RequestVerdict::Block(b) => {
                assert!(!found, "{dst}: {b:?}");
                assert_eq!(b.reason, Reason::DestinationUnknown, "{dst}");
            }
        }
    }
    for dst in ["snort-org-site.s3.amazonaws.com", "SNORT-ORG-SITE.S3.amazonaws.com."] {
        let req = RequestInfo {
            method: "GET",
            path: "/snort/rules.tar.gz",
            scheme: "https",
            src_ip: "10.0.0.2",
            dst_host: dst,
            dst_port: 443,
        };
        let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("{dst}") };
        assert!(plan.allowlisted.is_some(), "{dst}");
    }
}
