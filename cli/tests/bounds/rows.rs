//! Issue 11, "no bound fails open": the rows shared by the CLI (`cli/tests/bounds.rs`)
//! and C ABI (`ffi/tests/bounds.rs`) bound tests. Every bound the evaluator keeps is
//! tried at bound−1, bound, bound+1 and ×10 with the verdict each must give; past a
//! bound the answer is a block (or the same verdict as within it), never an allow.
//!
//! Rules: the corpus's current-format configuration (`current/config.json`).
//! instance_2_2 (`20.0.0.2`) pushing to `instance1-comp2.com` blocks tag `tlp:red`,
//! level 0, sharing group `b9e656ba-…`, types `passport-number`/`email`, category
//! `Person`, object `person`; pulls from `instance1-comp1.com` are judged with
//! instance_1_1's rules (the same lists) and the `X-UserOrgUUID` check.
//!
//! This file is shared by path (`#[path]`) and depends on std, `miniz_oxide` and
//! `brotli` (dev-dependencies of both crates) only.
#![allow(dead_code, clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

use std::sync::OnceLock;

/// Where a body goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// `POST /events/add/metadata:1`, 20.0.0.2 → instance1-comp2.com:443 (request body).
    Push,
    /// `POST /galaxies/pushCluster`, 20.0.0.2 → instance1-comp2.com:443.
    Cluster,
    /// `POST /events/index`, 20.0.0.2 → instance1-comp2.com:443 (search parameters).
    Index,
    /// `GET /events/view/…`, 20.0.0.2 → instance1-comp1.com:443 (response body).
    Pull,
}

impl To {
    /// Method, path and destination host.
    pub fn request(self) -> (&'static str, &'static str, &'static str) {
        match self {
            To::Push => ("POST", "/events/add/metadata:1", "instance1-comp2.com"),
            To::Cluster => ("POST", "/galaxies/pushCluster", "instance1-comp2.com"),
            To::Index => ("POST", "/events/index", "instance1-comp2.com"),
            To::Pull => ("GET", PULL_EVENT, "instance1-comp1.com"),
        }
    }
}

/// A pull-event path as MISP sends it.
pub const PULL_EVENT: &str = "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56/deleted[]:0/\
                              deleted[]:1/excludeGalaxy:1/includeEventCorrelations:0/\
                              includeFeedCorrelations:0/includeWarninglistHits:0/\
                              excludeLocalTags:1";

/// The source address of every row's request.
pub const SRC_IP: &str = "20.0.0.2";

/// One body, where it goes, and the verdict it must get.
pub struct Row {
    /// `bound/case/step`, e.g. `MAX_DEPTH/nested lists/+1`.
    pub name: String,
    pub to: To,
    pub body: Vec<u8>,
    /// `Content-Encoding` of the body.
    pub encoding: Option<&'static str>,
    /// `X-UserOrgUUID` (pulls only).
    pub user_org: Option<Vec<u8>>,
    /// `None`: allowed; `Some(code)`: blocked with that reason code.
    pub want: Option<&'static str>,
}

/// What a front end reports for a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `None`: allowed; `Some(code)`: blocked with that reason code.
    pub reason: Option<String>,
    pub message: String,
    pub pointer: String,
}

/// Judges every row with `judge`, collects every mismatch, then fails listing them all.
pub fn check_rows(rows: &[Row], mut judge: impl FnMut(&Row) -> Seen) {
    assert!(!rows.is_empty());
    let mut bad = vec![];
    for row in rows {
        let seen = judge(row);
        if seen.reason.as_deref() != row.want {
            bad.push(format!(
                "{}: want {:?}, got {:?} ({})",
                row.name, row.want, seen.reason, seen.message
            ));
        }
    }
    assert!(bad.is_empty(), "{} of {} rows wrong:\n{}", bad.len(), rows.len(), bad.join("\n"));
}

/// The four steps around a bound: −1, =, +1, ×10.
pub fn around(bound: usize) -> [(&'static str, usize); 4] {
    [("-1", bound - 1), ("=", bound), ("+1", bound + 1), ("x10", bound * 10)]
}

/// Allowed within the bound, blocked with `code` past it.
pub fn within(code: &'static str) -> [Option<&'static str>; 4] {
    [None, None, Some(code), Some(code)]
}

/// The same verdict at every step.
pub fn always(want: Option<&'static str>) -> [Option<&'static str>; 4] {
    [want; 4]
}

/// Rows for one bound: `body(n)` at each step of [`around`]`(bound)`.
pub fn rows(
    bound_name: &str,
    case: &str,
    bound: usize,
    to: To,
    want: [Option<&'static str>; 4],
    body: impl Fn(usize) -> Vec<u8>,
) -> Vec<Row> {
    around(bound)
        .iter()
        .zip(want)
        .map(|(&(step, n), want)| Row {
            name: format!("{bound_name}/{case}/{step} ({n})"),
            to,
            body: body(n),
            encoding: None,
            user_org: None,
            want,
        })
        .collect()
}

/// One row outside the four steps.
pub fn row(name: &str, to: To, body: Vec<u8>, want: Option<&'static str>) -> Row {
    Row { name: name.to_owned(), to, body, encoding: None, user_org: None, want }
}

pub const BLOCKED_SG: &str = "b9e656ba-b9c0-4506-83ed-7b54b43a57cb";
pub const OTHER_SG: &str = "5f0f2d3a-0000-4000-8000-000000000001";

/// An event push with `extra` members after the fields every event carries.
pub fn event(extra: &str) -> Vec<u8> {
    format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[]{}{extra}}}}}"#,
        if extra.is_empty() { "" } else { "," }
    )
    .into_bytes()
}

fn attribute(category: &str, ty: &str) -> Vec<u8> {
    format!(
        r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"{category}","type":"{ty}","value":"v","distribution":"1"}}]}}}}"#
    )
    .into_bytes()
}

fn tag(name: &str) -> Vec<u8> {
    event(&format!(r#""Tag":[{{"name":"{name}"}}]"#))
}

fn sp(n: usize) -> String {
    " ".repeat(n)
}

/// `s` padded with `c` to `n` bytes (`c` is ASCII) or `n` characters.
fn fill(s: &str, c: char, n: usize) -> String {
    let mut out = String::from(s);
    while out.chars().count() < n {
        out.push(c);
    }
    out
}

// --- JSON tokenizer ------------------------------------------------------------------

/// `json::MAX_DEPTH` = 128: nesting is refused (`TooDeep`) one level past it.
pub fn json_depth() -> Vec<Row> {
    rows("MAX_DEPTH", "nested lists", 128, To::Push, within("too_deep"), |d| {
        // the wrapper and the event are 2 levels
        let mut b = String::from(
            r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"x":"#,
        );
        b.push_str(&"[".repeat(d - 2));
        b.push_str(&"]".repeat(d - 2));
        b.push_str("}}");
        b.into_bytes()
    })
}

/// `json::KEY_CAP` = 48 decoded bytes: a longer key is reported as no key. No key MISP
/// reads is that long, so a long key hides nothing: a blocked tag under a long key that
/// starts like a rule key is never read (by MISP either), and a rule key spelled with
/// escapes longer than the cap in raw bytes is still read (the cap is on decoded bytes).
pub fn json_keys() -> Vec<Row> {
    let mut out = rows("KEY_CAP", "Tag-prefixed key", 48, To::Push, always(None), |n| {
        event(&format!(r#""{}":[{{"name":"tlp:red"}}]"#, fill("Tag", 'x', n)))
    });
    let esc = |k: &str| k.chars().map(|c| format!("\\u{:04x}", c as u32)).collect::<String>();
    // 72 raw bytes, 12 decoded
    out.push(row(
        "KEY_CAP/escaped distribution key",
        To::Push,
        format!(
            r#"{{"Event":{{"info":"x","{}":0,"Attribute":[],"Object":[]}}}}"#,
            esc("distribution")
        )
        .into_bytes(),
        Some("event_blocked_distribution"),
    ));
    out.push(row(
        "KEY_CAP/escaped Tag key",
        To::Push,
        event(&format!(r#""{}":[{{"name":"tlp:red"}}]"#, esc("Tag"))),
        Some("event_blocked_tag"),
    ));
    // the same key long enough to be reported as no key, right after the rules' key
    out.push(row(
        "KEY_CAP/long key before a rule key",
        To::Push,
        event(&format!(r#""{}":1,"Tag":[{{"name":"tlp:red"}}]"#, "k".repeat(480))),
        Some("event_blocked_tag"),
    ));
    out
}

/// `json::NUM_CAP` = 40 bytes: a longer number is "(too long)"; as a distribution level
/// that is `bad_level`, as `minimal` it is not 1; elsewhere it is not read.
pub fn json_numbers() -> Vec<Row> {
    let num = |lead: &str, n: usize| fill(&format!("{lead}."), '0', n);
    let mut out =
        rows("NUM_CAP", "distribution 1.000…", 40, To::Push, within("bad_level"), |n| {
            format!(
                r#"{{"Event":{{"info":"x","distribution":{},"Attribute":[],"Object":[]}}}}"#,
                num("1", n)
            )
            .into_bytes()
        });
    out.extend(rows(
        "NUM_CAP",
        "distribution 0.000…",
        40,
        To::Push,
        [
            Some("event_blocked_distribution"),
            Some("event_blocked_distribution"),
            Some("bad_level"),
            Some("bad_level"),
        ],
        |n| {
            format!(
                r#"{{"Event":{{"info":"x","distribution":{},"Attribute":[],"Object":[]}}}}"#,
                num("0", n)
            )
            .into_bytes()
        },
    ));
    out.extend(rows(
        "NUM_CAP",
        "attribute distribution 0.000…",
        40,
        To::Push,
        [
            Some("attribute_blocked_distribution"),
            Some("attribute_blocked_distribution"),
            Some("bad_level"),
            Some("bad_level"),
        ],
        |n| {
            format!(
                r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"Other","type":"text","value":"v","distribution":{}}}]}}}}"#,
                num("0", n)
            )
            .into_bytes()
        },
    ));
    out.extend(rows("NUM_CAP", "unread id", 40, To::Push, always(None), |n| {
        event(&format!(r#""id":{}"#, "7".repeat(n)))
    }));
    out.extend(rows(
        "NUM_CAP",
        "minimal 1.000…",
        40,
        To::Index,
        within("minimal_published_required"),
        |n| format!(r#"{{"minimal":{},"published":1}}"#, num("1", n)).into_bytes(),
    ));
    out
}

// --- rule machine ----------------------------------------------------------------------

/// Analyst data nested `f` interpreted frames deep (the wrapper object and the event
/// are 2 frames, each `"Note":[{…}]` level 2 more; an odd count ends in an empty list).
/// `last` goes into the innermost note.
pub fn notes(f: usize, last: &str) -> Vec<u8> {
    let levels = (f - 2) / 2;
    let mut b =
        String::from(r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"#);
    for _ in 0..levels {
        b.push_str(r#""Note":[{"distribution":"1","#);
    }
    b.push_str(if (f - 2) % 2 == 1 { r#""Note":[]"# } else { last });
    for _ in 0..levels {
        b.push_str("}]");
    }
    b.push_str("}}");
    b.into_bytes()
}

/// `rules::MAX_FRAMES` = 40 interpreted containers open at once.
pub fn rule_frames() -> Vec<Row> {
    // ×10 (400 frames) is also 400 JSON levels: the syntax error (`too_deep`) wins, as
    // misp-guard parses before it checks
    let want = [None, None, Some("over_capacity"), Some("too_deep")];
    rows("MAX_FRAMES", "nested notes", 40, To::Push, want, |f| notes(f, r#""note":"x""#))
}

/// MISP's column lengths (characters, trailing U+0020 not counted) applied to compared
/// values, and `rules::VALUE_CAP` = 1024 bytes after folding.
pub fn rule_columns() -> Vec<Row> {
    let oc = within("over_capacity");
    let mut out = vec![];
    // tags.name: 255 characters
    out.extend(rows("tags.name", "tlp:red+a…", 255, To::Push, oc, |n| {
        tag(&fill("tlp:red", 'a', n))
    }));
    // `Tag::beforeValidate` cuts a new tag's name at 255 *bytes*: 3-byte characters up
    // to `n` bytes (the last ones ASCII to land on `n` exactly)
    out.extend(rows("tags.name", "tlp:red+€… (255 bytes)", 255, To::Push, oc, |n| {
        let mut t = fill("tlp:red", '€', 7 + (n - 7) / 3);
        while t.len() < n {
            t.push('a');
        }
        tag(&t)
    }));
    out.extend(rows(
        "tags.name",
        "tlp:red+spaces",
        255,
        To::Push,
        always(Some("event_blocked_tag")),
        |n| tag(&format!("tlp:red{}", sp(n))),
    ));
    out.extend(rows(
        "tags.name",
        "attribute tag TLP:RED+spaces",
        255,
        To::Push,
        always(Some("attribute_blocked_tag")),
        |n| {
            format!(
                r#"{{"Event":{{"info":"x","distribution":"1","Object":[],"Attribute":[{{"category":"Other","type":"text","value":"v","distribution":"1","Tag":[{{"name":"TLP:RED{}"}}]}}]}}}}"#,
                sp(n)
            )
            .into_bytes()
        },
    ));
    // attributes.type: 100 characters
    out.extend(rows("attributes.type", "t…", 100, To::Push, oc, |n| {
        attribute("Other", &"t".repeat(n))
    }));
    out.extend(rows(
        "attributes.type",
        "email+spaces",
        100,
        To::Push,
        always(Some("attribute_blocked_type")),
        |n| attribute("Other", &format!("email{}", sp(n))),
    ));
    // attributes.category: 255 characters
    out.extend(rows("attributes.category", "c…", 255, To::Push, oc, |n| {
        attribute(&"c".repeat(n), "text")
    }));
    out.extend(rows(
        "attributes.category",
        "Person+spaces",
        255,
        To::Push,
        always(Some("attribute_blocked_category")),
        |n| attribute(&format!("Person{}", sp(n)), "text"),
    ));
    // objects.name: 255 characters
    let object = |name: &str| {
        format!(
            r#"{{"Event":{{"info":"x","distribution":"1","Attribute":[],"Object":[{{"name":"{name}","distribution":"1","Attribute":[]}}]}}}}"#
        )
        .into_bytes()
    };
    out.extend(rows("objects.name", "o…", 255, To::Push, oc, |n| object(&"o".repeat(n))));
    out.extend(rows(
        "objects.name",
        "person+spaces",
        255,
        To::Push,
        always(Some("object_blocked_type")),
        |n| object(&format!("person{}", sp(n))),
    ));
    // sharing_groups.uuid: 40 characters
    let sg = |uuid: &str| {
        format!(
            r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{uuid}","name":"g"}},"Attribute":[],"Object":[]}}}}"#
        )
        .into_bytes()
    };
    out.extend(rows("sharing_groups.uuid", "u…", 40, To::Push, oc, |n| sg(&"u".repeat(n))));
    out.extend(rows(
        "sharing_groups.uuid",
        "blocked+spaces",
        40,
        To::Push,
        always(Some("event_blocked_sharing_group")),
        |n| sg(&format!("{BLOCKED_SG}{}", sp(n))),
    ));
    // VALUE_CAP: 1024 bytes after folding (every such value is past its column too)
    out.extend(rows(
        "VALUE_CAP",
        "tlp:red+a… bytes",
        1024,
        To::Push,
        always(Some("over_capacity")),
        |n| tag(&fill("tlp:red", 'a', n)),
    ));
    out.extend(rows(
        "VALUE_CAP",
        "tlp:red+spaces bytes",
        1024,
        To::Push,
        always(Some("event_blocked_tag")),
        |n| tag(&format!("tlp:red{}", sp(n - 7))),
    ));
    out.extend(rows(
        "VALUE_CAP",
        "email+escaped spaces",
        1024,
        To::Push,
        always(Some("attribute_blocked_type")),
        |n| attribute("Other", &format!("email{}", "\\u0020".repeat(n - 5))),
    ));
    // a compared value with no column: a distribution level as a string of zeros
    out.extend(rows(
        "VALUE_CAP",
        "distribution \"000…\"",
        1024,
        To::Push,
        [
            Some("event_blocked_distribution"),
            Some("event_blocked_distribution"),
            Some("bad_level"),
            Some("bad_level"),
        ],
        |n| {
            format!(
                r#"{{"Event":{{"info":"x","distribution":"{}","Attribute":[],"Object":[]}}}}"#,
                "0".repeat(n)
            )
            .into_bytes()
        },
    ));
    // a character past U+FFFF, as UTF-8 and as a surrogate pair, at the column length
    for (name, body, want) in [
        ("U+1F600/tag", tag("tlp:red\u{1F600}"), "over_capacity"),
        ("U+1F600/tag escaped", tag("tlp:red\\ud83d\\ude00"), "over_capacity"),
        (
            "U+1F600/tag at 255 chars",
            tag(&format!("{}\u{1F600}", fill("x", 'x', 254))),
            "over_capacity",
        ),
        ("U+1F600/type", attribute("Other", "email\u{1F600}"), "over_capacity"),
        ("U+1F600/category", attribute("Person\u{1F600}", "text"), "over_capacity"),
        ("U+1F600/object", object("person\u{1F600}"), "over_capacity"),
        ("U+1F600/sharing group", sg(&format!("{BLOCKED_SG}\u{1F600}")), "over_capacity"),
    ] {
        out.push(row(name, To::Push, body, Some(want)));
    }
    out
}

/// The body of a galaxy cluster push.
pub fn cluster(ty: &str, uuid: &str) -> Vec<u8> {
    format!(
        r#"[{{"GalaxyCluster":{{"distribution":"1","tag_name":"x","type":"{ty}","uuid":"{uuid}","GalaxyClusterRelation":[]}}}}]"#
    )
    .into_bytes()
}

/// A galaxy cluster's `type` (256 bytes kept) and `uuid` (64 bytes kept), and the tag
/// MISP files it under (`misp-galaxy:TYPE="UUID"`, `tags.name`: 255 characters).
pub fn rule_cluster() -> Vec<Row> {
    let oc = within("over_capacity");
    let mut out = vec![];
    // 2-byte characters: the byte bound is reached well within 255 characters; the
    // filed tag's 255 bytes (`tags.name`, cut by `Tag::beforeValidate`) come first, so a
    // type this long is refused at every step
    let oc_all = always(Some("over_capacity"));
    out.extend(rows("CLUSTER_TYPE_CAP", "type of é… bytes", 256, To::Cluster, oc_all, |n| {
        let mut t = "é".repeat(n / 2);
        if n % 2 == 1 {
            t.push('t');
        }
        cluster(&t, OTHER_SG)
    }));
    out.extend(rows("CLUSTER_UUID_CAP", "uuid bytes", 64, To::Cluster, oc, |n| {
        cluster("t", &"u".repeat(n))
    }));
    // `misp-galaxy:` + `="` + `"` are 15 characters
    out.extend(rows("tags.name", "filed cluster tag", 255, To::Cluster, oc, |n| {
        cluster(&"t".repeat(n - 15 - OTHER_SG.len()), OTHER_SG)
    }));
    out
}

/// A pulled event shared with one organisation, `org`.
pub fn shared_with(org: &str) -> Vec<u8> {
    format!(
        r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}","name":"g","SharingGroupOrg":[{{"Organisation":{{"uuid":"{org}"}}}}],"SharingGroupServer":[]}},"Attribute":[],"Object":[]}}}}"#
    )
    .into_bytes()
}

/// `X-UserOrgUUID` kept in 64 bytes: a longer header grants no membership, even when the
/// body names exactly that organisation.
pub fn rule_user_org() -> Vec<Row> {
    let mut out = vec![];
    for (step, n) in around(64) {
        let org = fill("8b9661a3-8544-4f8d-94be-cd7ebe87e922", 'f', n);
        out.push(Row {
            name: format!("X-UserOrgUUID/same org in body/{step} ({n})"),
            to: To::Pull,
            body: shared_with(&org),
            encoding: None,
            user_org: Some(org.clone().into_bytes()),
            want: if n <= 64 { None } else { Some("user_org_not_in_sharing_group") },
        });
    }
    // a header one byte past the bound whose first 64 bytes are the body's organisation
    let org = fill("8b9661a3-8544-4f8d-94be-cd7ebe87e922", 'f', 64);
    out.push(Row {
        name: "X-UserOrgUUID/body org = header's first 64 bytes/+1 (65)".into(),
        to: To::Pull,
        body: shared_with(&org),
        encoding: None,
        user_org: Some(format!("{org}f").into_bytes()),
        want: Some("user_org_not_in_sharing_group"),
    });
    // the header's trailing spaces are trimmed (as misp-guard's header parsing does);
    // the body's are not: misp-guard compares the organisation exactly
    let org = "8b9661a3-8544-4f8d-94be-cd7ebe87e922";
    for (step, n) in around(64) {
        out.push(Row {
            name: format!("X-UserOrgUUID/body org + spaces/{step} ({n})"),
            to: To::Pull,
            body: shared_with(&format!("{org}{}", sp(n))),
            encoding: None,
            user_org: Some(org.as_bytes().to_vec()),
            want: Some("user_org_not_in_sharing_group"),
        });
    }
    out
}

/// A pulled event whose sharing group lists a server with `all_orgs: value` and one
/// organisation that is not the user's.
pub fn all_orgs(value: &str) -> Vec<u8> {
    format!(
        r#"{{"Event":{{"info":"x","distribution":4,"SharingGroup":{{"uuid":"{OTHER_SG}","name":"g","SharingGroupOrg":[{{"Organisation":{{"uuid":"00000000-0000-4000-8000-000000000000"}}}}],"SharingGroupServer":[{{"all_orgs":{value}}}]}},"Attribute":[],"Object":[]}}}}"#
    )
    .into_bytes()
}

/// `all_orgs` is a grant (it skips the `X-UserOrgUUID` check): misp-guard reads it with
/// Python's `json` and truthiness, so a number that underflows a double (below about
/// 2.47e-324) is 0.0, false. The double's range is a bound the guard must not read as
/// "true" (findings F1).
pub fn all_orgs_underflow() -> Vec<Row> {
    let user = b"8b9661a3-8544-4f8d-94be-cd7ebe87e922".to_vec();
    let no = Some("user_org_not_in_sharing_group");
    [
        ("0", no),
        ("0.0", no),
        ("false", no),
        ("1", None),
        // the smallest double (4.94e-324) and what rounds to it: true
        ("5e-324", None),
        ("3e-324", None),
        // below half of it: 0.0
        ("2e-324", no),
        ("1e-400", no),
        ("0.1e-400", no),
    ]
    .into_iter()
    .map(|(v, want)| Row {
        name: format!("all_orgs/{v}"),
        to: To::Pull,
        body: all_orgs(v),
        encoding: None,
        user_org: Some(user.clone()),
        want,
    })
    .collect()
}

/// `X-UserOrgUUID` is a grant compared exactly by misp-guard: mitmproxy strips only
/// ASCII white space around a header value (`bytes.strip()`), so a value ending in
/// U+00A0 or U+3000 is another organisation (findings F2).
pub fn user_org_unicode_space() -> Vec<Row> {
    let org = "8b9661a3-8544-4f8d-94be-cd7ebe87e922";
    let no = Some("user_org_not_in_sharing_group");
    [
        (format!("{org} "), None),
        (format!("\t{org}\t"), None),
        (format!("{org}\u{a0}"), no),
        (format!("{org}\u{3000}"), no),
        (format!("\u{a0}{org}"), no),
    ]
    .into_iter()
    .map(|(h, want)| Row {
        name: format!("X-UserOrgUUID/{h:?}"),
        to: To::Pull,
        body: shared_with(org),
        encoding: None,
        user_org: Some(h.into_bytes()),
        want,
    })
    .collect()
}

// --- decoding ------------------------------------------------------------------------

/// An event of exactly `n` bytes: padded with white space, `tlp:red` at the end when
/// `plant`.
pub fn event_of(n: usize, plant: bool) -> Vec<u8> {
    let head = br#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[]"#;
    let tail: &[u8] = if plant { br#","Tag":[{"name":"tlp:red"}]}}"# } else { b"}}" };
    assert!(n >= head.len() + tail.len());
    let mut b = Vec::with_capacity(n);
    b.extend_from_slice(head);
    b.resize(n - tail.len(), b' ');
    b.extend_from_slice(tail);
    b
}

/// A brotli-encoded event of `n` bytes whose ratio is `target` (±3 %) all along: runs of
/// spaces, each followed by 8 random hex digits, the run length found by bisection.
/// Returns the body and its ratio.
pub fn brotli_event_at_ratio(n: usize, target: f64) -> (Vec<u8>, f64) {
    let head = br#"{"Event":{"info":""#;
    let tail = br#"","distribution":"1","Attribute":[],"Object":[]}}"#;
    let make = |run: usize| {
        // the filler is the `info` string
        let mut b = Vec::with_capacity(n);
        b.extend_from_slice(head);
        b.resize(n - tail.len(), b' ');
        b.extend_from_slice(tail);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut at = head.len();
        while at + run + 8 < n - tail.len() {
            at += run;
            for i in 0..8 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                b[at + i] = b"0123456789abcdef"[(seed >> 60) as usize];
            }
            at += 8;
        }
        let c = brotli(&b);
        let r = n as f64 / c.len() as f64;
        (c, r)
    };
    let (mut lo, mut hi) = (8usize, 1 << 20);
    for _ in 0..40 {
        let mid = (lo + hi) / 2;
        let (c, r) = make(mid);
        if (r / target - 1.0).abs() < 0.03 {
            return (c, r);
        }
        if r < target {
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    panic!("no brotli body at ratio {target}");
}

pub fn zlib(b: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(b, 10)
}

pub fn brotli(b: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    let params = brotli::enc::BrotliEncoderParams { quality: 5, ..Default::default() };
    brotli::BrotliCompress(&mut &b[..], &mut out, &params).expect("brotli");
    out
}

/// Raw deflate of `b` as non-final, byte-aligned blocks (a fresh compressor: the
/// blocks refer to nothing before them, so they can be concatenated).
fn deflate_segment(b: &[u8], last: bool) -> Vec<u8> {
    use miniz_oxide::deflate::core::{
        compress_to_output, create_comp_flags_from_zip_params, CompressorOxide, TDEFLFlush,
        TDEFLStatus,
    };
    let mut c = CompressorOxide::new(create_comp_flags_from_zip_params(10, -15, 0));
    let mut out = vec![];
    let flush = if last { TDEFLFlush::Finish } else { TDEFLFlush::Sync };
    let (st, used) = compress_to_output(&mut c, b, flush, |o| {
        out.extend_from_slice(o);
        true
    });
    assert_eq!(used, b.len());
    assert!(matches!(st, TDEFLStatus::Okay | TDEFLStatus::Done), "{st:?}");
    out
}

/// An empty stored deflate block: 5 encoded bytes, nothing decoded.
const EMPTY_STORED: [u8; 5] = [0x00, 0x00, 0x00, 0xff, 0xff];

/// A raw deflate stream of [`event_of`]`(n, false)` built from one compressed MiB of
/// spaces repeated, after `pad` bytes of empty stored blocks (encoded bytes that decode
/// to nothing: they bring the ratio down). Cheap for any `n`.
pub fn deflate_event_of(n: usize, pad: usize) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    let whole = event_of(n, false);
    let head_len = 80;
    let tail_len = 2;
    static SPACES: OnceLock<Vec<u8>> = OnceLock::new();
    let spaces = SPACES.get_or_init(|| deflate_segment(&vec![b' '; MIB], false));
    let mut out = Vec::with_capacity(pad + n / MIB * spaces.len() + 4096);
    for _ in 0..pad / EMPTY_STORED.len() {
        out.extend_from_slice(&EMPTY_STORED);
    }
    out.extend_from_slice(&deflate_segment(&whole[..head_len], false));
    let mut at = head_len;
    while n - tail_len - at > MIB {
        out.extend_from_slice(spaces);
        at += MIB;
    }
    let mut last = vec![b' '; n - tail_len - at];
    last.extend_from_slice(&whole[n - tail_len..]);
    out.extend_from_slice(&deflate_segment(&last, true));
    out
}

/// `decode::RATIO_GRACE` (1 MiB decoded before the ratio applies), `decode::WINDOW`
/// (32 KiB pieces) and `Limits::max_ratio` (8192) with the default limits (neither the
/// CLI nor the C ABI takes other limits).
pub fn decode_light() -> Vec<Row> {
    let mut out = vec![];
    // brotli makes a MiB of spaces a few dozen bytes: far past the ratio
    for (step, n) in around(1 << 20) {
        out.push(Row {
            name: format!("RATIO_GRACE/br/{step} ({n})"),
            to: To::Push,
            body: brotli(&event_of(n, false)),
            encoding: Some("br"),
            user_org: None,
            want: if n <= 1 << 20 { None } else { Some("ratio_exceeded") },
        });
    }
    // the 32 KiB decoding window changes no verdict
    for plant in [false, true] {
        for (step, n) in around(32 * 1024) {
            out.push(Row {
                name: format!("WINDOW/deflate plant {plant}/{step} ({n})"),
                to: To::Push,
                body: zlib(&event_of(n, plant)),
                encoding: Some("deflate"),
                user_org: None,
                want: plant.then_some("event_blocked_tag"),
            });
        }
    }
    // br's window: at most 2^24 bytes (RFC 7932); the large-window extension (a ring
    // buffer of up to 1 GiB) is refused. ×10 does not exist: 30 is the largest.
    for (step, lgwin) in [("-1", 23), ("=", 24), ("+1", 25), ("max", 30)] {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 5,
            lgwin,
            large_window: lgwin > 24,
            ..Default::default()
        };
        let mut body = vec![];
        brotli::BrotliCompress(&mut &event_of(4096, true)[..], &mut body, &params).expect("br");
        out.push(Row {
            name: format!("br window/lgwin {step} ({lgwin})"),
            to: To::Push,
            body,
            encoding: Some("br"),
            user_org: None,
            want: Some(if lgwin <= 24 { "event_blocked_tag" } else { "decode_error" }),
        });
    }
    // max_ratio (8192 by default: above MISP's own brotli quality 1 pushes): deflate
    // cannot pass ~1032:1, so it is judged whatever its ratio; brotli bodies whose ratio
    // is held steady all along (spaces and random hex in turn) land 10 % under and over
    // the bound; a brotli body of spaces alone is far past it
    let n = 4 << 20;
    let tight = zlib(&event_of(n, false));
    let ratio = n as f64 / tight.len() as f64;
    assert!(ratio > 1000.0 && ratio < 1040.0, "unpadded deflate ratio {ratio}");
    let br = brotli(&event_of(n, false));
    assert!(n / br.len() > 10 * 8192 / 2, "br ratio {}", n / br.len());
    let max = misp_guard_core::limits::DEFAULT_MAX_RATIO as f64;
    let (under, r_under) = brotli_event_at_ratio(n, 0.9 * max);
    let (over, r_over) = brotli_event_at_ratio(n, 1.1 * max);
    for (name, body, encoding, want) in [
        (format!("max_ratio/deflate ({ratio:.0}:1)"), tight, "deflate", None),
        (format!("max_ratio/-10% ({r_under:.0}:1)"), under, "br", None),
        (format!("max_ratio/+10% ({r_over:.0}:1)"), over, "br", Some("ratio_exceeded")),
        (format!("max_ratio/far past ({}:1)", n / br.len()), br, "br", Some("ratio_exceeded")),
    ] {
        out.push(Row { name, to: To::Push, body, encoding: Some(encoding), user_org: None, want });
    }
    out
}

/// `Limits::max_decoded` = 256 MiB (default limits): decoded bytes past it are refused.
/// Heavy (hundreds of MiB judged per row): run in release.
pub fn decode_heavy() -> Vec<Row> {
    let max = 256usize << 20;
    let mut out = vec![];
    for (step, n) in around(max) {
        // ~500:1, well within the ratio bound
        out.push(Row {
            name: format!("max_decoded/deflate/{step} ({n})"),
            to: To::Push,
            body: deflate_event_of(n, n / 500),
            encoding: Some("deflate"),
            user_org: None,
            want: if n <= max { None } else { Some("decoded_too_large") },
        });
    }
    out
}

/// `Limits::max_body` = 256 MiB (default limits): a body of more bytes as sent is
/// refused, whatever it holds. One row at a time (256 MiB each): `step` 0, 1, 2 are
/// −1, =, +1. (×10, 2.5 GiB, is not materialised here: the guard stops reading at the
/// bound, and core/tests/bounds.rs `max_body_at_its_default_bound` feeds it.)
pub fn body_heavy(step: usize) -> Row {
    let max = 256usize << 20;
    let (name, n) = around(max)[step];
    let plant = step == 2; // past the bound a blocked tag is not what is reported
    Row {
        name: format!("max_body/identity/{name} ({n})"),
        to: To::Push,
        body: event_of(n, plant),
        encoding: None,
        user_org: None,
        want: if n <= max { None } else { Some("body_too_large") },
    }
}

// --- messages --------------------------------------------------------------------------

/// `verdict::DETAIL_CAP` / `POINTER_CAP` = 160 bytes cut messages only: the verdict is
/// the same at every length. Returns the rows and, per row, the full (uncut) detail or
/// pointer; see [`assert_cut`].
pub fn messages() -> Vec<(Row, String)> {
    let mut out = vec![];
    // the cut keeps room for its mark `…` (3 bytes): 157 bytes is the longest text
    // shown whole
    let steps = [("157", 157), ("158", 158)].into_iter().chain(around(160));
    for (step, n) in steps {
        // detail = the tag as sent
        let name = format!("tlp:red{}", sp(n - 7));
        out.push((
            row(
                &format!("DETAIL_CAP/tag/{step} ({n})"),
                To::Push,
                tag(&name),
                Some("event_blocked_tag"),
            ),
            name,
        ));
        // a cut inside a 2-byte character (U+00A0 is white space to the fold)
        let name = format!("TLP:RÉD {}", "\u{a0}".repeat((n - 8) / 2));
        out.push((
            row(
                &format!("DETAIL_CAP/tag with U+00A0/{step} ({n})"),
                To::Push,
                tag(&name),
                Some("event_blocked_tag"),
            ),
            name,
        ));
    }
    // pointer: 19 levels of notes (40 frames), the violation in the innermost one; each
    // level's index (the count of notes before it) sets the pointer's length
    for (step, extra) in
        [("157", 5usize), ("158", 6), ("-1", 7), ("=", 8), ("+1", 9), ("max", 19 * 3)]
    {
        let idx = |lvl: usize| -> usize {
            if step == "max" {
                1000
            } else if lvl < extra {
                10
            } else {
                0
            }
        };
        let mut b =
            String::from(r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"#);
        let mut ptr = String::from("/Event");
        for lvl in 0..19 {
            b.push_str(r#""Note":["#);
            for _ in 0..idx(lvl) {
                b.push_str(r#"{"distribution":"1"},"#);
            }
            b.push('{');
            if lvl < 18 {
                b.push_str(r#""distribution":"1","#);
            }
            ptr.push_str(&format!("/Note/{}", idx(lvl)));
        }
        b.push_str(r#""distribution":"0""#);
        ptr.push_str("/distribution");
        for _ in 0..19 {
            b.push_str("}]");
        }
        b.push_str("}}");
        out.push((
            row(
                &format!("POINTER_CAP/notes/{step} ({})", ptr.len()),
                To::Push,
                b.into_bytes(),
                Some("analyst_data_blocked_distribution"),
            ),
            ptr,
        ));
    }
    out
}

/// `shown` is `full` cut as the verdict cuts text at `cap` bytes: whole when it fits
/// with room for the mark `…`, else its longest prefix that does (on a char boundary)
/// followed by `…`.
pub fn assert_cut(what: &str, shown: &str, full: &str, cap: usize) {
    let room = cap - '…'.len_utf8();
    if full.len() <= room {
        assert_eq!(shown, full, "{what}: cut though it fits");
        return;
    }
    let mut k = room;
    while !full.is_char_boundary(k) {
        k -= 1;
    }
    assert_eq!(shown, format!("{}…", &full[..k]), "{what}");
    assert!(shown.len() <= cap, "{what}: {} bytes", shown.len());
}

// --- configuration ---------------------------------------------------------------------

/// A current-format configuration: `n` instances `i0…` (10.0.x.y, `iK.example`) in
/// compartment `c`, instance `i0` with `edit` applied.
pub fn config(n: usize, edit: impl FnOnce(&mut String, &mut String)) -> Vec<u8> {
    let mut tags = String::new();
    let mut required = String::new();
    edit(&mut tags, &mut required);
    let mut inst = vec![];
    for k in 0..n {
        let (t, r) = if k == n - 1 { (tags.as_str(), required.as_str()) } else { ("", "") };
        inst.push(format!(
            r#""i{k}":{{"ip":"10.0.{}.{}","host":"i{k}.example","port":443,"compartment_id":"c","taxonomies_rules":{{"required_taxonomies":[{r}],"allowed_tags":{{}},"blocked_tags":[{t}]}},"blocked_distribution_levels":[],"blocked_sharing_groups_uuids":[],"blocked_attribute_types":[],"blocked_attribute_categories":[],"blocked_object_types":[]}}"#,
            k / 256,
            k % 256
        ));
    }
    format!(
        r#"{{"allowlist":{{"urls":[],"domains":[]}},"compartments_rules":{{"can_reach":{{"c":["c"]}}}},"instances":{{{}}}}}"#,
        inst.join(",")
    )
    .into_bytes()
}

/// One configuration row: the JSON, the error message part it must be refused with (or
/// `None`: loads), and for loaded ones a push that proves the last configured item is
/// in force: (source ip, destination host, body, reason code it must be blocked with).
pub struct ConfigRow {
    pub name: String,
    pub json: Vec<u8>,
    pub error: Option<&'static str>,
    pub probe: Option<Probe>,
}

/// A push proving a loaded configuration's last item in force: source ip,
/// destination host, body, reason code.
pub type Probe = (String, String, Vec<u8>, &'static str);

fn quoted(items: impl Iterator<Item = String>) -> String {
    items.map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(",")
}

/// The instance `k` of `n` pushing to instance 0 (both in compartment `c`).
fn probe_from(
    k: usize,
    body: Vec<u8>,
    want: &'static str,
) -> (String, String, Vec<u8>, &'static str) {
    let host = if k == 0 { "i1.example" } else { "i0.example" };
    (format!("10.0.{}.{}", k / 256, k % 256), host.to_owned(), body, want)
}

pub fn config_rows() -> Vec<ConfigRow> {
    let mut out = vec![];
    let mut add = |bound: &str,
                   b: usize,
                   err: &'static str,
                   f: &dyn Fn(usize) -> (Vec<u8>, Option<Probe>)| {
        for (step, n) in around(b) {
            let (json, probe) = f(n);
            let ok = n <= b;
            out.push(ConfigRow {
                name: format!("{bound}/{step} ({n})"),
                json,
                error: (!ok).then_some(err),
                probe: if ok { probe } else { None },
            });
        }
    };
    // instances (each is a rule set too: the first bound met is either's)
    add("MAX_INSTANCES", 64, "more than 64", &|n| {
        let json = config(n.max(2), |t, _| *t = "\"last\"".into());
        (json, Some(probe_from(n.max(2) - 1, tag("last"), "event_blocked_tag")))
    });
    // rule sets: legacy block rules
    add("MAX_RULESETS", 64, "more than 64 rule sets", &|n| {
        let rules: Vec<String> = (0..n)
            .map(|k| {
                format!(
                    r#"{{"id":"r{k}","description":"","blocked_tags":["t{k}"],"blocked_distribution_levels":[],"blocked_sharing_groups_uuids":[],"blocked_attribute_types":[],"blocked_attribute_categories":[],"blocked_object_types":[]}}"#
                )
            })
            .collect();
        let json = format!(
            r#"{{"proxy":{{"host":"p.example","port":8888}},"misp":{{"host":"m.example","port":443}},"block_rules":[{}]}}"#,
            rules.join(",")
        );
        // every block rule applies to a push: the last one too
        let probe = (
            "192.0.2.1".into(),
            "x.example".into(),
            tag(&format!("t{}", n - 1)),
            "event_blocked_tag",
        );
        (json.into_bytes(), Some(probe))
    });
    // compartments
    add("MAX_COMPARTMENTS", 64, "more than 64 compartments", &|n| {
        let reach: Vec<String> = (0..n - 1).map(|k| format!(r#""c{k}":["c{k}","c"]"#)).collect();
        let json = String::from_utf8(config(2, |t, _| *t = "\"last\"".into()))
            .unwrap()
            .replace(
                r#""can_reach":{"c":["c"]}"#,
                &format!(r#""can_reach":{{"c":["c"],{}}}"#, reach.join(",")),
            )
            // the last instance lives in the last compartment declared
            .replace(
                r#""host":"i1.example","port":443,"compartment_id":"c""#,
                &format!(r#""host":"i1.example","port":443,"compartment_id":"c{}""#, n - 2),
            );
        assert!(json.contains(&format!(r#""compartment_id":"c{}""#, n - 2)));
        (json.into_bytes(), Some(probe_from(1, tag("last"), "event_blocked_tag")))
    });
    // list entries over all rule sets
    add("MAX_ENTRIES", 2048, "more than 2048 list entries", &|n| {
        let json = config(2, |t, _| *t = quoted((0..n).map(|k| format!("t{k}"))));
        let last = format!("t{}", n - 1);
        (json, Some(probe_from(1, tag(&last), "event_blocked_tag")))
    });
    // one string
    add("MAX_STR", 200, "longer than 200 bytes", &|n| {
        let long = "s".repeat(n);
        let json = config(2, |t, _| *t = format!("\"{long}\""));
        (json, Some(probe_from(1, tag(&long), "event_blocked_tag")))
    });
    // all strings: the configuration's own strings ("c"; per instance its name twice,
    // its ip and host) take 1 + 2×(2×2+8+10) = 45 bytes; blocked tags of 200 bytes fill the rest
    add("ARENA", 64 * 1024, "exceed 64 KiB", &|n| {
        let base = 1 + 2 * (2 * 2 + 8 + 10);
        let fill = n - base;
        let mut tags: Vec<String> = (0..fill / 200).map(|k| format!("{k:0>200}")).collect();
        if fill % 200 > 0 {
            tags.push("z".repeat(fill % 200));
        }
        let last = tags.last().unwrap().clone();
        let json = config(2, |t, _| *t = quoted(tags.into_iter()));
        (json, Some(probe_from(1, tag(&last), "event_blocked_tag")))
    });
    // required taxonomies per instance
    add("MAX_REQUIRED", 16, "more than 16 required", &|n| {
        let json = config(2, |_, r| *r = quoted((0..n).map(|k| format!("x{k}"))));
        // a tag of each required taxonomy but the last: missing
        let tags: Vec<String> = (0..n - 1).map(|k| format!(r#"{{"name":"x{k}:y"}}"#)).collect();
        let body = event(&format!(r#""Tag":[{}]"#, tags.join(",")));
        (json, Some(probe_from(1, body, "missing_required_taxonomy")))
    });
    out
}
