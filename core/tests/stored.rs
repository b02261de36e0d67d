//! Issue 11: the guard judges what the receiving MISP *stores*, not only the JSON it
//! reads. One test per class of the issue, each naming the MISP function whose reading
//! it follows; every body is judged whole, at every split point, one byte at a time and
//! gzip-encoded (the verdict must not change). `docs/receiver-model.md` has the table.
//!
//! Rules used: the corpus's current-format configuration. instance_2_2 (`20.0.0.2`)
//! blocks tag `tlp:red`, level 0, sharing group `b9e656ba-…`, types `passport-number` /
//! `email`, category `Person`, object `person`; instance_1_4 (`40.0.0.1`) requires the
//! `tlp` taxonomy with `tlp:clear`, `tlp:white` or `tlp:green`.

mod common;

use common::{policy, PUSH};
use misp_guard_core::{Guard, Policy, Reason, RequestInfo, RequestVerdict, Verdict};

const BLOCKED_SG: &str = "b9e656ba-b9c0-4506-83ed-7b54b43a57cb";
const OTHER_SG: &str = "5f0f2d3a-0000-4000-8000-000000000001";

/// instance_1_4's push to instance_1_1 (required taxonomy `tlp`).
const PUSH_1_4: RequestInfo<'static> = RequestInfo {
    method: "POST",
    path: "/events/add/metadata:1",
    scheme: "https",
    src_ip: "40.0.0.1",
    dst_host: "instance1-comp1.com",
    dst_port: 443,
};

fn judge(req: &RequestInfo<'_>, body: &[u8]) -> Verdict {
    judge_with(&policy(), req, body)
}

/// The corpus rules with instance_1_4's rules changed by `edit`.
fn policy_1_4(edit: impl FnOnce(&mut serde_json::Value)) -> Policy {
    let mut c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::current("config.json")).unwrap()).unwrap();
    edit(&mut c["instances"]["instance_1_4"]);
    Policy::from_json_slice(&serde_json::to_vec(&c).unwrap()).unwrap()
}

fn judge_with(p: &Policy, req: &RequestInfo<'_>, body: &[u8]) -> Verdict {
    let RequestVerdict::Allow(plan) = p.check_request(req, &[]) else { panic!("refused") };
    common::judge_every_way(p, plan.request.expect("inspected"), body)
}

fn reason(v: &Verdict) -> Option<Reason> {
    match v {
        Verdict::Allow => None,
        Verdict::Block(b) => Some(b.reason),
    }
}

/// An event push with `event` spliced in after the fields every event carries.
fn event(extra: &str) -> Vec<u8> {
    format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[]{}{extra}}}}}"#,
        if extra.is_empty() { "" } else { "," }
    )
    .into_bytes()
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// Lengths around every bound a compared string meets: the guard's folding buffer
/// (1024 bytes) and MISP's 255-character columns; each at −1, =, +1 and ×10.
const AROUND: [usize; 10] = [254, 255, 256, 1023, 1024, 1025, 2550, 10240, 10, 0];

/// Class 1 — `PAD SPACE`: `Tag::captureTag` looks tags up by `LOWER(name)` in
/// `tags.name` (`utf8mb3_bin`, a PAD SPACE collation), so trailing spaces of any length
/// leave the blocked tag blocked, wherever the tag is.
#[test]
fn i11_blocked_tag_with_trailing_spaces_of_any_length() {
    for n in AROUND {
        let name = format!("tlp:red{}", spaces(n));
        let cases = [
            event(&format!(r#""Tag":[{{"name":"{name}"}}]"#)),
            event(&format!(r#""EventTag":[{{"Tag":{{"name":"{name}"}}}}]"#)),
            event(&format!(r#""Tag":[{{"name":"TLP:Red{}"}}]"#, spaces(n))),
            format!(
                r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"Network activity","type":"ip-src","distribution":"1","Tag":[{{"name":"{name}"}}]}}]}}}}"#
            )
            .into_bytes(),
            format!(
                r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[{{"name":"file","distribution":"1","Attribute":[{{"category":"Payload delivery","type":"filename","distribution":"1","AttributeTag":[{{"Tag":{{"name":"{name}"}}}}]}}]}}]}}}}"#
            )
            .into_bytes(),
        ];
        for body in cases {
            let v = judge(&PUSH, &body);
            assert!(
                matches!(reason(&v), Some(Reason::EventBlockedTag | Reason::AttributeBlockedTag)),
                "{n} spaces: {v:?}"
            );
        }
    }
}

/// Class 1 — `SharingGroup::captureSG` finds the group by `uuid` in
/// `sharing_groups.uuid` (`utf8mb3_bin`, PAD SPACE); `Event::captureSGForElement` runs it
/// for every element with distribution 4.
#[test]
fn i11_blocked_sharing_group_with_trailing_spaces() {
    for n in AROUND {
        let sg = format!(r#""SharingGroup":{{"uuid":"{BLOCKED_SG}{}"}}"#, spaces(n));
        let ev = format!(
            r#"{{"Event":{{"info":"x","distribution":4,{sg},"Attribute":[],"Object":[]}}}}"#
        );
        let at = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"Network activity","type":"ip-src","distribution":4,{sg}}}]}}}}"#
        );
        for body in [ev, at] {
            let v = judge(&PUSH, body.as_bytes());
            assert!(
                matches!(
                    reason(&v),
                    Some(Reason::EventBlockedSharingGroup | Reason::AttributeBlockedSharingGroup)
                ),
                "{n}: {v:?}"
            );
        }
    }
}

/// Class 1 — `objects.name` is `utf8mb3_unicode_ci` (PAD SPACE, case-insensitive).
#[test]
fn i11_blocked_object_name_with_trailing_spaces() {
    for n in AROUND {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[{{"name":"Person{}","distribution":"1","Attribute":[]}}]}}}}"#,
            spaces(n)
        );
        let v = judge(&PUSH, body.as_bytes());
        assert_eq!(reason(&v), Some(Reason::ObjectBlockedType), "{n}: {v:?}");
    }
}

/// Class 1 — a compared value MISP would cut (longer than its column, or with a
/// character its `utf8mb3` column cannot hold) is refused where a rule compares it:
/// without strict mode MariaDB stores the cut value, which may be a blocked one. At the
/// column length it is judged as usual.
#[test]
fn i11_values_longer_than_the_column_are_refused() {
    // `tags.name` is 255 characters: `tlp:red` + 248 letters fits, + 249 does not
    for (extra, want) in [(247, None), (248, None), (249, Some(Reason::OverCapacity))] {
        let body = event(&format!(r#""Tag":[{{"name":"tlp:red{}"}}]"#, "a".repeat(extra)));
        assert_eq!(reason(&judge(&PUSH, &body)), want, "{extra}");
    }
    // ×10, and spaces *inside* the value count
    let body = event(&format!(r#""Tag":[{{"name":"tlp:red{}x"}}]"#, spaces(2550)));
    assert_eq!(reason(&judge(&PUSH, &body)), Some(Reason::OverCapacity));
    // `attributes.type` is 100 characters
    for (len, want) in [(99, None), (100, None), (101, Some(Reason::OverCapacity))] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"Other","type":"{}","distribution":"1"}}]}}}}"#,
            "t".repeat(len)
        );
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), want, "type of {len}");
    }
    // a character past U+FFFF: cut there by a utf8mb3 column without strict mode
    for name in ["tlp:red\u{1F600}", "tlp:red\\ud83d\\ude00x"] {
        let body = event(&format!(r#""Tag":[{{"name":"{name}"}}]"#));
        assert_eq!(reason(&judge(&PUSH, &body)), Some(Reason::OverCapacity), "{name}");
    }
    // `Tag::beforeValidate` cuts a new tag's name at 255 *bytes*: a non-ASCII blocked tag,
    // spaces up to byte 255, then anything, is stored as the blocked tag
    let blocked = "\u{e9}".repeat(10); // 20 bytes, 10 characters
    let p = policy_1_4(|i| i["taxonomies_rules"]["blocked_tags"] = serde_json::json!([blocked]));
    for (pad, want) in [(234, None), (235, Some(Reason::OverCapacity))] {
        let body = event(&format!(
            r#""Tag":[{{"name":"tlp:green"}},{{"name":"{blocked}{}x"}}]"#,
            spaces(pad)
        ));
        // 246 or 247 characters: within 255 characters, the bytes decide
        assert_eq!(reason(&judge_with(&p, &PUSH_1_4, &body)), want, "{pad}");
    }
    // not compared by any rule (here instance_1_4 blocks no type): not refused
    let p = policy_1_4(|i| i["blocked_attribute_types"] = serde_json::json!([]));
    let body = format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Tag":[{{"name":"tlp:green"}}],"Object":[],"Attribute":[{{"category":"Other","type":"{}","distribution":"1","Tag":[{{"name":"tlp:green"}}]}}]}}}}"#,
        "t".repeat(1000)
    );
    assert_eq!(reason(&judge_with(&p, &PUSH_1_4, body.as_bytes())), None);
}

/// Class 2 — `Event::cleanupEventArrayFromXML` (run by `_add` for REST requests and
/// always by `_edit`) replaces `Event.SharingGroup` with `SharingGroup[0]` when it is
/// set; PHP's `json_decode` makes the key `"0"` the integer 0.
#[test]
fn i11_sharing_group_zero_member_is_judged() {
    let body = format!(
        r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}","0":{{"uuid":"{BLOCKED_SG}"}}}},"Attribute":[],"Object":[]}}}}"#
    );
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::EventBlockedSharingGroup));
    // the allowed group alone passes
    let body = format!(
        r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}","name":"g"}},"Attribute":[],"Object":[]}}}}"#
    );
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), None);
    // without a name (or an empty one) a group new to the receiver is not created
    // (`SharingGroup::captureSGNew`) and the event is stored at level 0
    let long_zero = format!(r#","name":0.{}"#, "0".repeat(300));
    for name in ["", r#","name":"""#, r#","name":"0""#, r#","name":null"#, &long_zero] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}"{name}}},"Attribute":[],"Object":[]}}}}"#
        );
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::MissingField), "{name}");
    }
    // the name may come before or after the level; only level 4 needs the group
    let body = format!(
        r#"{{"Event":{{"info":"x","SharingGroup":{{"name":"g","uuid":"{OTHER_SG}"}},"distribution":"4","Attribute":[],"Object":[]}}}}"#
    );
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), None);
    let body = format!(
        r#"{{"Event":{{"info":"x","distribution":1,"SharingGroup":{{"uuid":"{OTHER_SG}"}},"Attribute":[],"Object":[]}}}}"#
    );
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), None);
    // a `"0"` member without a uuid: MISP would capture a group the rules cannot name
    let body = format!(
        r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}","0":{{"name":"x"}}}},"Attribute":[],"Object":[]}}}}"#
    );
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::MissingField));
}

/// Class 2 — `Event::_add` captures a `Sighting` list next to `Event`
/// (`Sighting::captureSightings`): it is judged like the event's own sightings.
#[test]
fn i11_sightings_next_to_the_event_are_judged() {
    let body = br#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[]},"Sighting":[{"distribution":0}]}"#;
    assert_eq!(reason(&judge(&PUSH, body)), Some(Reason::SightingBlockedDistribution));
    let body = br#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[]},"Sighting":[{"distribution":1}]}"#;
    assert_eq!(reason(&judge(&PUSH, body)), None);
}

/// Class 3 — `Event::__captureObjects` attaches a tag once (by the id `captureTag`
/// resolves, `LOWER(name)`, PAD SPACE): the first occurrence wins with its `local` flag,
/// `EventTag` items (whose `local` is read on the item) before the `Tag` list. A
/// required taxonomy's tag that is also sent as a local tag may arrive only as a local
/// tag, which satisfies no requirement: such a taxonomy counts as missing.
#[test]
fn i11_a_local_copy_voids_a_required_taxonomy() {
    let tag = |name: &str, local: &str| format!(r#"{{"name":"{name}"{local}}}"#);
    let ok = event(&format!(r#""Tag":[{}]"#, tag("tlp:green", "")));
    assert_eq!(reason(&judge(&PUSH_1_4, &ok)), None);
    let voided = [
        // the item is local, its tag is not (MISP reads `local` on the item)
        format!(
            r#""EventTag":[{{"local":1,"Tag":{}}}],"Tag":[{}]"#,
            tag("tlp:green", ""),
            tag("tlp:green", "")
        ),
        // the same, the `Tag` list first in the JSON: MISP still takes `EventTag` first
        format!(
            r#""Tag":[{}],"EventTag":[{{"Tag":{},"local":true}}]"#,
            tag("tlp:green", ""),
            tag("TLP:GREEN   ", "")
        ),
        // a local copy in the same list, in either order, any spelling of the tag
        format!(r#""Tag":[{},{}]"#, tag("tlp:green", r#","local":1"#), tag("tlp:green", "")),
        format!(r#""Tag":[{},{}]"#, tag("tlp:green", ""), tag("Tlp:Green ", r#","local":"1""#)),
    ];
    for extra in voided {
        let v = judge(&PUSH_1_4, &event(&extra));
        assert_eq!(reason(&v), Some(Reason::MissingRequiredTaxonomy), "{extra}: {v:?}");
    }
    // a local tag of another taxonomy changes nothing
    let other = event(&format!(
        r#""Tag":[{},{}]"#,
        tag("tlp:green", ""),
        tag("PAP:GREEN", r#","local":1"#)
    ));
    assert_eq!(reason(&judge(&PUSH_1_4, &other)), None);
    // attributes: `__captureAttributeTags` reads `AttributeTag` items then `Tag`
    let attr = format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Tag":[{}],"Object":[],"Attribute":[{{"category":"Other","type":"text","distribution":"1","AttributeTag":[{{"local":1,"Tag":{}}}],"Tag":[{}]}}]}}}}"#,
        tag("tlp:green", ""),
        tag("tlp:green", ""),
        tag("tlp:green", "")
    );
    // (`AttributeTag` items are refused as such where taxonomies are required: r6)
    assert_eq!(reason(&judge(&PUSH_1_4, attr.as_bytes())), Some(Reason::AmbiguousBody));
    let attr = format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Tag":[{}],"Object":[],"Attribute":[{{"category":"Other","type":"text","distribution":"1","Tag":[{},{}]}}]}}}}"#,
        tag("tlp:green", ""),
        tag("tlp:green", r#","local":1"#),
        tag("tlp:green", "")
    );
    assert_eq!(reason(&judge(&PUSH_1_4, attr.as_bytes())), Some(Reason::MissingRequiredTaxonomy));
}

/// Class 1 — a required taxonomy's tag MISP cannot store as sent satisfies nothing.
#[test]
fn i11_an_unstorable_tag_satisfies_no_requirement() {
    // with blocked tags it is refused as such; without, it satisfies nothing
    let p = policy_1_4(|i| i["taxonomies_rules"]["blocked_tags"] = serde_json::json!([]));
    let long = event(&format!(r#""Tag":[{{"name":"tlp:green{}"}}]"#, "x".repeat(300)));
    assert_eq!(reason(&judge(&PUSH_1_4, &long)), Some(Reason::OverCapacity));
    assert_eq!(reason(&judge_with(&p, &PUSH_1_4, &long)), Some(Reason::MissingRequiredTaxonomy));
    let wide = event(r#""Tag":[{"name":"tlp:green\ud83d\ude00"}]"#);
    assert_eq!(reason(&judge(&PUSH_1_4, &wide)), Some(Reason::OverCapacity));
    assert_eq!(reason(&judge_with(&p, &PUSH_1_4, &wide)), Some(Reason::MissingRequiredTaxonomy));
    // trailing spaces are not cut off what MISP keeps: still tlp:green to the receiver
    let spaced = event(&format!(r#""Tag":[{{"name":"tlp:green{}"}}]"#, spaces(300)));
    let v = judge(&PUSH_1_4, &spaced);
    // misp-guard's exact allowed-tag comparison refuses the padded spelling: stricter
    assert!(matches!(reason(&v), None | Some(Reason::MissingRequiredTaxonomy)), "{v:?}");
}

/// Class 1 — the tag a galaxy cluster is filed under (`GalaxyCluster::captureCluster`:
/// `misp-galaxy:TYPE="UUID"`) must fit `tags.name`; a `type` the guard cannot keep is
/// refused when tags are blocked, never skipped.
#[test]
fn i11_galaxy_cluster_type_longer_than_kept_is_refused() {
    let p = policy();
    let req = RequestInfo {
        method: "POST",
        path: "/galaxies/pushCluster",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp2.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(_) = p.check_request(&req, &[]) else {
        // not a push endpoint in this build: nothing to judge
        panic!("galaxy cluster push refused by the request gate");
    };
    for (len, want) in [(10, None), (200, None), (300, Some(Reason::OverCapacity))] {
        let body = format!(
            r#"[{{"GalaxyCluster":{{"distribution":"1","tag_name":"x","type":"{}","uuid":"{OTHER_SG}","GalaxyClusterRelation":[]}}}}]"#,
            "t".repeat(len)
        );
        assert_eq!(reason(&judge(&req, body.as_bytes())), want, "type of {len}");
    }
}

/// Red-team R1 — `EventReport::editReport` saves an existing report with the body's
/// `sharing_group_id` (a receiver-local id) and never reads `SharingGroup`: a report at
/// level 4 naming one is refused when sharing groups are blocked.
#[test]
fn r1_report_at_level_4_with_a_local_group_id_is_refused() {
    let report = |sgid: &str| {
        event(&format!(
            r#""EventReport":[{{"uuid":"5f0f2d3a-2222-4000-8000-000000000002","name":"r","content":"c","distribution":"4"{sgid},"SharingGroup":{{"name":"ok","uuid":"{OTHER_SG}"}}}}]"#
        ))
    };
    // a pulled event the receiver has goes through `_edit`
    let p = policy();
    let pull = |body: &[u8]| {
        let req = RequestInfo {
            method: "GET",
            path: "/events/view/5f0f2d3a-1111-4000-8000-000000000001",
            scheme: "https",
            src_ip: "20.0.0.2",
            dst_host: "instance1-comp2.com",
            dst_port: 443,
        };
        let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("refused") };
        let mut g = Guard::for_body(&p, plan.response.expect("judged"), &[], Default::default());
        g.feed(body);
        g.finish()
    };
    assert_eq!(reason(&pull(&report(r#","sharing_group_id":"7""#))), Some(Reason::AmbiguousBody));
    assert_eq!(reason(&pull(&report(r#","sharing_group_id":7"#))), Some(Reason::AmbiguousBody));
    // so does `/events/edit` (`EventReport::editReport` for a report MISP has)
    let edit = RequestInfo { path: "/events/edit/5f0f2d3a-1111-4000-8000-000000000001", ..PUSH };
    assert_eq!(
        reason(&judge(&edit, &report(r#","sharing_group_id":"7""#))),
        Some(Reason::AmbiguousBody)
    );
    let edit = RequestInfo { path: "/events/edit/42/metadata:1", ..PUSH };
    assert_eq!(
        reason(&judge(&edit, &report(r#","sharing_group_id":"7""#))),
        Some(Reason::AmbiguousBody)
    );
    // `/events/add` captures the report's `SharingGroup`
    assert_eq!(reason(&judge(&PUSH, &report(r#","sharing_group_id":"7""#))), None);
    // no local id (or PHP's empty one): the judged SharingGroup is what MISP captures
    for sgid in [
        "",
        r#","sharing_group_id":"0""#,
        r#","sharing_group_id":null"#,
        r#","sharing_group_id":0"#,
    ] {
        assert_eq!(reason(&pull(&report(sgid))), None, "{sgid}");
    }
}

/// Red-team R2 — `"SharingGroup": null` is no sharing group: `Event::captureSGForElement`
/// tests `isset` and then files the element under the local `sharing_group_id`. At level 4
/// every stored element needs the object, lenient ones included.
#[test]
fn r2_a_null_sharing_group_is_missing() {
    let bodies = [
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[],"Note":[{{"uuid":"a1000000-0000-4000-8000-000000000000","note":"x","distribution":"1","Opinion":[{{"uuid":"a2000000-0000-4000-8000-000000000000","opinion":"50","distribution":"4","SharingGroup":null}}]}}]}}}}"#
        ),
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[],"Note":[{{"uuid":"a1000000-0000-4000-8000-000000000000","note":"x","distribution":"4","SharingGroup":null}}]}}}}"#
        ),
    ];
    for body in bodies {
        let v = judge(&PUSH, body.as_bytes());
        assert!(
            matches!(reason(&v), Some(Reason::MissingField | Reason::WrongType)),
            "{body}: {v:?}"
        );
    }
}

/// Red-team R3 — on `/events/edit` `MispAttribute::editAttribute` recovers an absent
/// `distribution` from the stored attribute and keeps the body's `sharing_group_id`:
/// a local group id without a distribution is refused.
#[test]
fn r3_a_local_group_id_without_distribution_is_refused() {
    for sgid in [r#""7""#, "7", "true"] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"uuid":"5f0f2d3a-3333-4000-8000-000000000003","type":"text","category":"Other","value":"v","sharing_group_id":{sgid}}}]}}}}"#
        );
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::AmbiguousBody), "{sgid}");
        // `distribution: null` is no distribution either
        let body = body.replace(r#""value":"v""#, r#""value":"v","distribution":null"#);
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::AmbiguousBody), "{sgid}");
    }
    // with its distribution, or an empty id, the attribute is judged as usual
    for extra in [r#","distribution":"1","sharing_group_id":"7""#, r#","sharing_group_id":"0""#] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"type":"text","category":"Other","value":"v"{extra}}}]}}}}"#
        );
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), None, "{extra}");
    }
}

/// Red-team R5 — MISP saves an element's tags in one transaction after the element
/// (`Event::_add` `EventTag->saveMany`, `MispAttribute::captureAttribute`
/// `AttributeTag->saveMany`): a `relationship_type` that `varchar(191)` of a `latin1`
/// table refuses drops every tag, the required taxonomy's too.
#[test]
fn r5_an_unsavable_relationship_type_is_refused_where_taxonomies_are_required() {
    for rt in [format!(r#""{}""#, "r".repeat(192)), r#""\u0100""#.into(), r#""\u0080""#.into()] {
        let body = event(&format!(
            r#""Tag":[{{"name":"tlp:green"}},{{"name":"pap:white","relationship_type":{rt}}}]"#
        ));
        assert_eq!(reason(&judge(&PUSH_1_4, &body)), Some(Reason::AmbiguousBody), "{rt}");
        let body = event(&format!(
            r#""Tag":[{{"name":"tlp:green"}}],"EventTag":[{{"relationship_type":{rt},"Tag":{{"name":"x"}}}}]"#
        ));
        assert_eq!(reason(&judge(&PUSH_1_4, &body)), Some(Reason::AmbiguousBody), "{rt}");
    }
    // an object or a list is no string at all
    let body = event(r#""Tag":[{"name":"tlp:green","relationship_type":["x"]}]"#);
    assert_eq!(reason(&judge(&PUSH_1_4, &body)), Some(Reason::WrongType));
    // what the columns hold passes: 191 Latin-1 characters, null, empty
    // `latin1` is Windows-1252: U+0080 and U+0100 are not in it, these are
    for rt in [
        format!(r#""{}""#, "\u{e9}".repeat(191)),
        "null".into(),
        r#""""#.into(),
        r#""\u20ac \u2019 \u201c""#.into(),
    ] {
        let body = event(&format!(r#""Tag":[{{"name":"tlp:green","relationship_type":{rt}}}]"#));
        assert_eq!(reason(&judge(&PUSH_1_4, &body)), None, "{rt}");
    }
    // without required taxonomies dropped tags break no rule: not refused
    let body =
        event(&format!(r#""Tag":[{{"name":"x","relationship_type":"{}"}}]"#, "r".repeat(300)));
    assert_eq!(reason(&judge(&PUSH, &body)), None);
}

/// Red-team R7 — `GalaxyCluster::captureCluster` finds the cluster it updates by `uuid`
/// alone: a blocked cluster (by its tag `misp-galaxy:TYPE="UUID"`) is blocked under any
/// `type`, or none.
#[test]
fn r7_a_blocked_cluster_is_blocked_by_its_uuid() {
    let uuid = "7cdff317-a673-4474-84ec-4f1754947823";
    let p = policy_1_4(|i| {
        i["taxonomies_rules"]["blocked_tags"] =
            serde_json::json!([format!("misp-galaxy:threat-actor=\"{uuid}\"")])
    });
    let req = RequestInfo {
        method: "POST",
        path: "/galaxies/pushCluster",
        scheme: "https",
        src_ip: "40.0.0.1",
        dst_host: "instance1-comp1.com",
        dst_port: 443,
    };
    let cluster = |fields: &str| {
        format!(
            r#"[{{"GalaxyCluster":{{"distribution":"1","tag_name":"x"{fields},"GalaxyClusterRelation":[]}}}}]"#
        )
    };
    for fields in [
        format!(r#","type":"threat-actor","uuid":"{uuid}""#),
        format!(r#","type":"x","uuid":"{uuid}""#),
        format!(r#","uuid":"{}""#, uuid.to_uppercase()),
    ] {
        let v = judge_with(&p, &req, cluster(&fields).as_bytes());
        assert_eq!(reason(&v), Some(Reason::GalaxyClusterBlockedTag), "{fields}");
    }
    let other = cluster(r#","type":"threat-actor","uuid":"11111111-2222-4333-8444-555555555555""#);
    assert_eq!(reason(&judge_with(&p, &req, other.as_bytes())), None);
}

/// Model findings F9–F11 — on `/events/edit` MISP detaches a tag sent with `deleted`
/// (`EventTag::handleEventTag`; `MispAttribute::editAttribute` detaches after it
/// attaches, and keeps the last copy of an attribute tag): a deleted or local copy of a
/// required taxonomy's tag voids that taxonomy.
#[test]
fn f9_f11_a_deleted_copy_voids_a_required_taxonomy() {
    let edit =
        RequestInfo { path: "/events/edit/5f0f2d3a-1111-4000-8000-000000000001", ..PUSH_1_4 };
    for deleted in ["true", "1", r#""1""#, r#""false""#, r#""0.0""#, "0.5"] {
        let body = event(&format!(r#""Tag":[{{"name":"tlp:green","deleted":{deleted}}}]"#));
        assert_eq!(
            reason(&judge(&edit, &body)),
            Some(Reason::MissingRequiredTaxonomy),
            "deleted: {deleted}"
        );
    }
    for kept in ["false", "0", r#""0""#, r#""""#, "null", "0.0"] {
        let body = event(&format!(r#""Tag":[{{"name":"tlp:green","deleted":{kept}}}]"#));
        assert_eq!(reason(&judge(&edit, &body)), None, "deleted: {kept}");
    }
    // an attribute's deleted copy, and its last local copy
    for copy in [r#""deleted":1"#, r#""local":1"#] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"type":"text","category":"Other","value":"v","distribution":"1","Tag":[{{"name":"tlp:green"}},{{"name":"tlp:green",{copy}}}]}}]}}}}"#
        );
        assert_eq!(
            reason(&judge(&edit, body.as_bytes())),
            Some(Reason::MissingRequiredTaxonomy),
            "{copy}"
        );
    }
}

/// Red-team R6 — `Event::__captureAttributeTags` keeps `AttributeTag` items whose tag
/// MISP cannot attach (a false id) and `AttributeTag->saveMany` then drops every tag of
/// the attribute: where taxonomies are required, `AttributeTag` items are refused
/// (MISP's own JSON lists attribute tags under `Tag`).
#[test]
fn r6_attribute_tag_items_are_refused_where_taxonomies_are_required() {
    let body = r#"{"Event":{"info":"x","distribution":"1","Object":[],"Tag":[{"name":"tlp:green"}],"Attribute":[{"type":"text","category":"Other","value":"v","distribution":"1","Tag":[{"name":"tlp:green"}],"AttributeTag":[{"Tag":{"name":""}}]}]}}"#;
    assert_eq!(reason(&judge(&PUSH_1_4, body.as_bytes())), Some(Reason::AmbiguousBody));
    // an empty list carries nothing; without required taxonomies the items are judged
    let body = body.replace(r#"[{"Tag":{"name":""}}]"#, "[]");
    assert_eq!(reason(&judge(&PUSH_1_4, body.as_bytes())), None);
    let body = r#"{"Event":{"info":"x","distribution":"1","Object":[],"Attribute":[{"type":"text","category":"Other","value":"v","distribution":"1","AttributeTag":[{"Tag":{"name":"pap:white"}}]}]}}"#;
    assert_eq!(reason(&judge(&PUSH, body.as_bytes())), None);
}

/// Red-team OB1 — MISP syncs local tags with internal servers: a local tag voids only
/// its own copies, not another tag of the same taxonomy.
#[test]
fn ob1_a_local_tag_voids_only_its_own_copies() {
    for extra in [
        r#""Tag":[{"name":"tlp:green"},{"name":"tlp:amber","local":1}]"#,
        r#""Tag":[{"name":"tlp:amber","local":true},{"name":"tlp:green"}]"#,
        r#""EventTag":[{"local":1,"Tag":{"name":"tlp:amber"}}],"Tag":[{"name":"tlp:green"}]"#,
        // tlp:green has a local copy (voided), tlp:clear satisfies
        r#""Tag":[{"name":"tlp:green"},{"name":"tlp:clear"},{"name":"TLP:GREEN","local":1}]"#,
    ] {
        assert_eq!(reason(&judge(&PUSH_1_4, &event(extra))), None, "{extra}");
    }
    for extra in [
        r#""Tag":[{"name":"tlp:green"},{"name":"TLP:GREEN  ","local":1}]"#,
        r#""EventTag":[{"local":1,"Tag":{"name":"tlp:green"}}],"Tag":[{"name":"tlp:green"}]"#,
    ] {
        let v = judge(&PUSH_1_4, &event(extra));
        assert_eq!(reason(&v), Some(Reason::MissingRequiredTaxonomy), "{extra}");
    }
    // many local tags: more than the guard keeps void their taxonomy (fail closed)...
    let locals: Vec<String> =
        (0..5).map(|i| format!(r#"{{"name":"tlp:x{i}","local":1}}"#)).collect();
    let body = event(&format!(r#""Tag":[{{"name":"tlp:green"}},{}]"#, locals.join(",")));
    assert_eq!(reason(&judge(&PUSH_1_4, &body)), Some(Reason::MissingRequiredTaxonomy));
    // ...up to that many, they void only themselves
    let body = event(&format!(r#""Tag":[{{"name":"tlp:green"}},{}]"#, locals[..4].join(",")));
    assert_eq!(reason(&judge(&PUSH_1_4, &body)), None);
}

/// Red-team round 2, S2 — `MispAttribute::afterSave` attaches every receiver tag id
/// listed in an attribute's `tag_ids` (no existence or permission check): refused.
#[test]
fn s2_attribute_tag_ids_are_refused() {
    for ids in ["[1,2,3]", "[]", r#""1""#] {
        let body = format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"type":"text","category":"Other","value":"v","distribution":"1","tag_ids":{ids}}}]}}}}"#
        );
        assert_eq!(reason(&judge(&PUSH, body.as_bytes())), Some(Reason::AmbiguousBody), "{ids}");
    }
}

/// Red-team round 2, S1 — on `_edit` and pulls MISP stores the attributes, then their
/// sightings and analyst data, then their tags: a throw in between drops every tag.
/// Closed triggers: nested analyst data MISP cannot type, and tag fields MISP saves
/// that are not scalars, where taxonomies are required.
#[test]
fn s1_what_makes_misp_throw_before_the_tags_is_refused() {
    let edit =
        RequestInfo { path: "/events/edit/5f0f2d3a-1111-4000-8000-000000000001", ..PUSH_1_4 };
    let attr = |extra: &str| {
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"type":"text","category":"Other","value":"v","distribution":"1","Tag":[{{"name":"tlp:green"{extra}}}]{{NOTE}}}}]}}}}"#
        )
    };
    let nested = |child: &str| {
        attr("").replace(
            "{NOTE}",
            &format!(r#","Note":[{{"uuid":"a1000000-0000-4000-8000-000000000000","note":"x","distribution":"1","Opinion":[{child}]}}]"#),
        )
    };
    let untyped = nested(
        r#"{"uuid":"a2000000-0000-4000-8000-000000000000","opinion":"50","distribution":"1"}"#,
    );
    assert_eq!(reason(&judge(&edit, untyped.as_bytes())), Some(Reason::AmbiguousBody));
    let bad_type = nested(r#"{"note_type_name":"Event","opinion":"50","distribution":"1"}"#);
    assert_eq!(reason(&judge(&edit, bad_type.as_bytes())), Some(Reason::AmbiguousBody));
    let typed = nested(r#"{"note_type_name":"Opinion","opinion":"50","distribution":"1"}"#);
    assert_eq!(reason(&judge(&edit, typed.as_bytes())), None);
    for field in [r##","colour":["#ffffff"]"##, r#","exportable":{}"#, r#","local_only":[1]"#] {
        let body = attr(field).replace("{NOTE}", "");
        assert_eq!(reason(&judge(&edit, body.as_bytes())), Some(Reason::WrongType), "{field}");
    }
    let body =
        attr(r##","colour":"#ffffff","exportable":true,"local_only":false"##).replace("{NOTE}", "");
    assert_eq!(reason(&judge(&edit, body.as_bytes())), None);
}

/// `POST /sightings/restSearch/event` answers `{"response": [sightings]}`: every item is
/// judged, as in the bare list.
#[test]
fn sightings_in_a_response_wrapper_are_judged() {
    let p = policy();
    let req = RequestInfo {
        method: "POST",
        path: "/sightings/restSearch/event",
        scheme: "https",
        src_ip: "20.0.0.2",
        dst_host: "instance1-comp2.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("refused") };
    let insp = plan.response.expect("judged");
    let run = |body: &[u8]| {
        let mut g = Guard::for_body(&p, insp, &[], Default::default());
        g.feed(body);
        g.finish()
    };
    for body in [
        &br#"{"response":[{"Sighting":{"distribution":"0"}}]}"#[..],
        br#"{"response":[{"distribution":0}]}"#,
        br#"[{"Sighting":{"distribution":"0"}}]"#,
    ] {
        let v = run(body);
        assert_eq!(reason(&v), Some(Reason::SightingBlockedDistribution), "{v:?}");
    }
    assert_eq!(reason(&run(br#"{"response":[{"Sighting":{"distribution":"1"}}]}"#)), None);
}

/// The copies tables' bounds (`rules/copies.rs`): 4 voiding tags per element are kept
/// (3, 4: only themselves voided), a 5th and ×10 void the taxonomy (fail closed); three
/// nested elements that require taxonomies have a table, a fourth falls back to voiding
/// the taxonomy on any local tag in it (fail closed).
#[test]
fn copies_bounds_fail_closed() {
    let locals = |n: usize| -> String {
        (0..n).map(|i| format!(r#",{{"name":"tlp:x{i}","local":1}}"#)).collect()
    };
    for (n, want) in [
        (3, None),
        (4, None),
        (5, Some(Reason::MissingRequiredTaxonomy)),
        (40, Some(Reason::MissingRequiredTaxonomy)),
    ] {
        let body = event(&format!(r#""Tag":[{{"name":"tlp:green"}}{}]"#, locals(n)));
        assert_eq!(reason(&judge(&PUSH_1_4, &body)), want, "{n} local tags");
    }
    // an attribute related to an attribute related to … : `depth` requiring elements
    let tags = r#""Tag":[{"name":"tlp:green"},{"name":"tlp:amber","local":1}]"#;
    let nest = |depth: usize| {
        let mut inner =
            format!(r#"{{"category":"Other","type":"text","distribution":"1",{tags}}}"#);
        for _ in 2..depth {
            inner = format!(
                r#"{{"category":"Other","type":"text","distribution":"1",{tags},"Relationship":[{{"distribution":"1","related_object_type":"Attribute","related_object":{{"Attribute":{inner}}}}}]}}"#
            );
        }
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1",{tags},"Object":[],"Attribute":[{inner}]}}}}"#
        )
    };
    for (depth, want) in [(2, None), (3, None), (4, Some(Reason::MissingRequiredTaxonomy))] {
        let body = nest(depth);
        assert_eq!(reason(&judge(&PUSH_1_4, body.as_bytes())), want, "depth {depth}");
    }
}

/// The pull of instance_1_1's rules (`10.0.0.2` → `instance1-comp1.com:443`): the answer
/// to `GET path`, judged every way ([`common::judge_every_way`]).
fn judge_pull(path: &str, body: &[u8]) -> Verdict {
    let p = policy();
    let req = RequestInfo {
        method: "GET",
        path,
        scheme: "https",
        src_ip: "10.0.0.2",
        dst_host: "instance1-comp1.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("refused") };
    common::judge_every_way(&p, plan.response.expect("judged"), body)
}

/// Red-team round 4 — `/events/view/UUID/extended:1` (`EventsController::view` takes the
/// named parameter from any user): `Event::__mergeExtensions` moves the attributes,
/// objects, reports and proposals of every event extending this one into it and keeps
/// only those events' ids, names and creators under `extensionEvents`; the levels and
/// sharing groups they had are gone, so what they carry cannot be judged: refused.
#[test]
fn r4_an_event_merged_with_its_extensions_is_refused() {
    let path = "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56/extended:1";
    let body = |extra: &str| {
        format!(
            r#"{{"Event":{{"info":"x","distribution":"2","Attribute":[],"Object":[]{extra}}}}}"#
        )
    };
    assert_eq!(reason(&judge_pull(path, body("").as_bytes())), None);
    for extra in [
        r#","extensionEvents":{"7":{"id":"7","info":"extends it","Orgc":{"name":"o"}}}"#,
        r#","extensionEvents":[{"id":"7"}]"#,
    ] {
        let v = judge_pull(path, body(extra).as_bytes());
        assert_eq!(reason(&v), Some(Reason::AmbiguousBody), "{extra}: {v:?}");
    }
}

/// Red-team round 4 — a full galaxy cluster (`GalaxyCluster::fetchGalaxyClusters` with
/// `full`, `arrangeData`; `/galaxy_clusters/view` and clusters inside pulled events)
/// carries the relations of other clusters to it (`TargetingClusterRelation`, with their
/// tags and sharing groups) and the analyst data attached to it (`Note`, `Opinion`,
/// `Relationship`, `RelationshipInbound`, `AnalystDataParentBehavior::attachAnalystData`):
/// each is judged as the same element elsewhere.
#[test]
fn r4_full_clusters_judge_targeting_relations_and_analyst_data() {
    let uuid = "8faab056-4212-4e80-8b54-b7eadec6b739";
    let path = format!("/galaxy_clusters/view/{uuid}");
    let sg = format!(r#""distribution":"4","SharingGroup":{{"uuid":"{BLOCKED_SG}","name":"b"}}"#);
    let cluster = |extra: &str| {
        format!(
            r#"{{"GalaxyCluster":{{"distribution":"3","uuid":"{uuid}","type":"t","tag_name":"","GalaxyClusterRelation":[]{extra}}}}}"#
        )
    };
    let red = r#""distribution":"1","Tag":[{"name":"tlp:red"}]"#;
    for (extra, want) in [
        (String::new(), None),
        (r#","TargetingClusterRelation":[{"distribution":"1"}],"Note":[{"distribution":"1"}],"RelationshipInbound":[]"#.into(), None),
        (format!(r#","TargetingClusterRelation":[{{{sg}}}]"#), Some(Reason::GalaxyClusterBlockedSharingGroup)),
        (format!(r#","TargetingClusterRelation":[{{{red}}}]"#), Some(Reason::GalaxyClusterBlockedTag)),
        (format!(r#","Note":[{{"note_type_name":"Note",{sg}}}]"#), Some(Reason::AnalystDataBlockedSharingGroup)),
        (r#","Opinion":[{"distribution":"0"}]"#.into(), Some(Reason::AnalystDataBlockedDistribution)),
        (format!(r#","RelationshipInbound":[{{{sg}}}]"#), Some(Reason::AnalystDataBlockedSharingGroup)),
        (format!(r#","Relationship":[{{{red}}}]"#), Some(Reason::AttributeBlockedTag)),
    ] {
        let v = judge_pull(&path, cluster(&extra).as_bytes());
        assert_eq!(reason(&v), want, "{extra}: {v:?}");
    }
    // a relationship's related element comes without tags (`fetchAttributeSimple`):
    // not read there, so a puller that requires taxonomies takes the cluster
    let p = policy();
    let req = RequestInfo {
        method: "GET",
        path: &path,
        scheme: "https",
        src_ip: "10.0.0.2",
        dst_host: "instance1-comp4.com",
        dst_port: 443,
    };
    let RequestVerdict::Allow(plan) = p.check_request(&req, &[]) else { panic!("refused") };
    let related = r#","Relationship":[{"distribution":"1","related_object_type":"Attribute","related_object":{"Attribute":{"type":"text","category":"Other","distribution":"1"}}}],"RelationshipInbound":[{"distribution":"1","related_object_type":"GalaxyCluster","related_object":{"Attribute":{"type":"text","category":"Other","distribution":"1"}}}]"#;
    let v =
        common::judge_every_way(&p, plan.response.expect("judged"), cluster(related).as_bytes());
    assert_eq!(reason(&v), None, "{v:?}");
    // MISP's own cluster push carries the targeting relations too
    let push = RequestInfo { path: "/galaxies/pushCluster", ..PUSH };
    let body = format!("[{}]", cluster(&format!(r#","TargetingClusterRelation":[{{{red}}}]"#)));
    assert_eq!(reason(&judge(&push, body.as_bytes())), Some(Reason::GalaxyClusterBlockedTag));
    // the same relation of a cluster inside a pulled event
    let event = format!(
        r#"{{"Event":{{"info":"x","distribution":"2","Attribute":[],"Object":[],"Galaxy":[{{"GalaxyCluster":[{{"distribution":"3","uuid":"{uuid}","type":"t","tag_name":"","TargetingClusterRelation":[{{{sg}}}]}}]}}]}}}}"#
    );
    let v = judge_pull("/events/view/385283a1-b5e0-4e10-a532-dce11c365a56", event.as_bytes());
    assert_eq!(reason(&v), Some(Reason::GalaxyClusterBlockedSharingGroup), "{v:?}");
}

/// instance_1_4's edit of an event instance_1_1 has (required taxonomy `tlp`).
const EDIT_1_4: RequestInfo<'static> = RequestInfo {
    method: "POST",
    path: "/events/edit/385283a1-b5e0-4e10-a532-dce11c365a56/metadata:1",
    scheme: "https",
    src_ip: "40.0.0.1",
    dst_host: "instance1-comp1.com",
    dst_port: 443,
};

/// Red-team round 4 — analyst data on analyst data without a level (`distribution`
/// absent or `null`): `AnalystData::beforeSave` stores it at the receiver's
/// `MISP.default_event_distribution` (`!isset`), which may be a level the rules block.
/// Refused wherever a level is blocked (instance_2_2 blocks level 0), as where
/// taxonomies are required; judged on what is there where neither is the case.
#[test]
fn r4_nested_analyst_data_without_a_level_is_refused_where_levels_are_blocked() {
    let body = |child: &str| {
        event(&format!(
            r#""Note":[{{"note_type_name":"Note","distribution":"1","note":"n","Opinion":[{{"note_type_name":"Opinion","opinion":"10"{child}}}]}}]"#
        ))
    };
    assert_eq!(reason(&judge(&PUSH, &body(r#","distribution":"1""#))), None);
    for child in ["", r#","distribution":null"#] {
        let v = judge(&PUSH, &body(child));
        assert_eq!(reason(&v), Some(Reason::MissingField), "{child}: {v:?}");
    }
    // a pushAnalystData body: the same child
    let note =
        br#"{"Note":{"note_type_name":"Note","distribution":"1","Opinion":[{"opinion":"10"}]}}"#;
    let req = RequestInfo { path: "/analyst_data/pushAnalystData", ..PUSH };
    assert_eq!(reason(&judge(&req, note)), Some(Reason::MissingField));
    // no level blocked, no taxonomy required: judged on what is there (misp-guard)
    let mut c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::current("config.json")).unwrap()).unwrap();
    c["instances"]["instance_2_2"]["blocked_distribution_levels"] = serde_json::json!([]);
    let open = Policy::from_json_slice(&serde_json::to_vec(&c).unwrap()).unwrap();
    assert_eq!(reason(&judge_with(&open, &PUSH, &body(""))), None);
}

/// Red-team round 4 — where taxonomies are required, a list or an object in a member
/// MISP saves as a column of analyst data or of a sighting (`note: [1]`, a sighting's
/// `uuid: [1]`) makes `AnalystData::captureAnalystData` (`save`) or
/// `Sighting::captureSightings` (`existing`) throw inside
/// `MispAttribute::editAttributePostProcessing`: after the attributes are stored,
/// before their tags, so the required `tlp` tag is not attached. Such members must be
/// scalars; the structures MISP reads (`Orgc`, `SharingGroup`, `Tag`, nested analyst
/// data) stay as they are, and without required taxonomies nothing changes.
#[test]
fn r4_containers_in_saved_columns_are_refused_where_taxonomies_are_required() {
    let body = |extra: &str| {
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"category":"Other","type":"text","distribution":"1","value":"v","Tag":[{{"name":"tlp:green"}}]{extra}}}]}}}}"#
        )
        .into_bytes()
    };
    let ok = [
        "",
        r#","Sighting":[{"uuid":"5f0f2d3a-0000-4000-8000-0000000000aa","date_sighting":"1","type":"0","Organisation":{"uuid":"x","name":"o"}}]"#,
        r#","Note":[{"note_type_name":"Note","distribution":"1","note":"n","Orgc":{"uuid":"x","name":"o"},"Org":{"name":"o"},"Opinion":[{"note_type_name":"Opinion","distribution":"1","opinion":"10"}]}]"#,
        r#","Relationship":[{"distribution":"1","relationship_type":"r","related_object_type":"Event","related_object":{"Event":{"info":"x","distribution":"1","Tag":[{"name":"tlp:green"}]}}}]"#,
    ];
    for extra in ok {
        for req in [&PUSH_1_4, &EDIT_1_4] {
            let v = judge(req, &body(extra));
            assert_eq!(reason(&v), None, "{extra}: {v:?}");
        }
    }
    let refused = [
        r#","Sighting":[{"uuid":[1],"date_sighting":"1"}]"#,
        r#","Sighting":[{"uuid":"u","source":{"a":1}}]"#,
        r#","Note":[{"note_type_name":"Note","distribution":"1","note":[1]}]"#,
        r#","Note":[{"note_type_name":"Note","distribution":"1","uuid":{"x":1}}]"#,
        r#","Opinion":[{"note_type_name":"Opinion","distribution":"1","comment":[]}]"#,
        r#","Note":[{"note_type_name":"Note","distribution":"1","Opinion":[{"note_type_name":"Opinion","distribution":"1","opinion":[10]}]}]"#,
    ];
    for extra in refused {
        for req in [&PUSH_1_4, &EDIT_1_4] {
            let v = judge(req, &body(extra));
            assert_eq!(reason(&v), Some(Reason::WrongType), "{extra}: {v:?}");
        }
        // instance_2_2 requires no taxonomy: misp-guard's reading
        let v = judge(&PUSH, &body(extra));
        assert_ne!(reason(&v), Some(Reason::WrongType), "{extra}: {v:?}");
    }
}
