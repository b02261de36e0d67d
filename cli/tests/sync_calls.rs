//! The calls MISP 2.4/2.5 makes during a sync that misp-guard's endpoint list lacks
//! (`docs/sync-calls.md`): each allowed in its exact shape and judged, refused with
//! `"endpoints": "misp-guard"`, and a whole MISP 2.5 push and pull session, call by call
//! in the order MISP makes them, through `misp-guard inspect`.

use std::path::{Path, PathBuf};

use crate::util::{command_in, current_config, current_fixture, Dir, Run};

const EVENT: &str = "385283a1-b5e0-4e10-a532-dce11c365a56";
const U1: &str = "9c0e3e20-b1ea-4473-81d2-845c4399c36d";
const U2: &str = "6f847552-aaab-4378-aa5f-369c416822d1";

/// What `RestResponseComponent::describe('EventReports', 'add')` answers, as PHP's
/// `json_encode` writes it.
const DESCRIBE: &str = r#"{"name":"\/event_reports\/add API description","description":"POST a report in JSON format to create a report for the provided event","mandatory_fields":["name"],"optional_fields":["distribution","content"],"url":"\/event_reports\/add"}"#;

/// One call: method, path, request body, upstream answer.
struct Call<'a> {
    method: &'a str,
    path: String,
    body: Option<Body<'a>>,
    response: Option<Body<'a>>,
}

enum Body<'a> {
    Text(&'a str),
    File(PathBuf),
    Owned(Vec<u8>),
}

fn call<'a>(method: &'a str, path: impl Into<String>) -> Call<'a> {
    Call { method, path: path.into(), body: None, response: None }
}

impl<'a> Call<'a> {
    fn body(mut self, b: &'a str) -> Self {
        self.body = Some(Body::Text(b));
        self
    }
    fn body_file(mut self, name: &str) -> Self {
        self.body = Some(Body::File(current_fixture(name)));
        self
    }
    fn answer(mut self, b: &'a str) -> Self {
        self.response = Some(Body::Text(b));
        self
    }
    fn answer_file(mut self, name: &str) -> Self {
        self.response = Some(Body::File(current_fixture(name)));
        self
    }
}

fn bytes(b: &Body<'_>) -> Vec<u8> {
    match b {
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::File(p) => std::fs::read(p).unwrap(),
        Body::Owned(v) => v.clone(),
    }
}

/// MISP's `ServerSyncTool::post`: bodies over 1 KiB go out brotli-compressed at
/// quality 1 (window 22, as PHP's `brotli_compress`).
fn as_misp_sends(body: Vec<u8>) -> (Vec<u8>, bool) {
    use std::io::Write;
    if body.len() <= 1024 {
        return (body, false);
    }
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
        w.write_all(&body).unwrap();
    }
    (out, true)
}

/// An event push whose attachment is 8 MiB of zeros after a 512-byte header (base64,
/// as MISP sends attachments): over 3 900:1 with brotli quality 1.
fn sparse_attachment_push() -> Vec<u8> {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut file = vec![0u8; 8 << 20];
    for (i, b) in file.iter_mut().take(512).enumerate() {
        *b = (i * 131 + 7) as u8;
    }
    let mut data = String::with_capacity(file.len() / 3 * 4 + 4);
    for c in file.chunks(3) {
        let v = u32::from(c[0]) << 16
            | u32::from(*c.get(1).unwrap_or(&0)) << 8
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            data.push(if k <= c.len() {
                B64[(v >> (18 - 6 * k)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    format!(
        r#"{{"Event":{{"uuid":"{EVENT}","info":"sparse attachment","distribution":"1","Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"uuid":"{U1}","type":"attachment","category":"Payload delivery","distribution":"5","value":"disk.img","data":"{data}"}}],"Object":[]}}}}"#
    )
    .into_bytes()
}

/// `inspect --json` of `c`, from instance_2_2 (20.0.0.2) to instance_2_1
/// (`instance1-comp2.com:443`) of the corpus configuration, or of `config`.
fn inspect(dir: &Dir, config: &Path, c: &Call<'_>) -> Run {
    let mut cmd = command_in(dir);
    cmd.arg("inspect").arg("--config").arg(config);
    cmd.args(["--method", c.method, "--path", &c.path, "--src-ip", "20.0.0.2"]);
    cmd.args(["--dst-host", "instance1-comp2.com", "--dst-port", "443", "--json"]);
    if let Some(r) = &c.response {
        cmd.arg("--response").arg(dir.create("response.json", bytes(r)));
    }
    if let Some(b) = &c.body {
        cmd.args(["--header", "Content-Type: application/json"]);
        let (body, br) = as_misp_sends(bytes(b));
        if br {
            cmd.args(["--header", "Content-Encoding: br"]);
        }
        cmd.arg(dir.create("body.json", body));
    }
    cmd.output()
}

fn allowed(dir: &Dir, c: &Call<'_>) {
    let run = inspect(dir, &current_config(), c);
    assert_eq!(run.json()["decision"], "allow", "{} {}: {}", c.method, c.path, run.stdout());
    run.expect_code(0);
}

/// Refused, with this reason code at this stage.
fn refused(dir: &Dir, c: &Call<'_>, stage: &str, reason: &str) -> serde_json::Value {
    let run = inspect(dir, &current_config(), c);
    run.expect_code(1);
    let rec = run.json();
    assert_eq!(rec["stage"], stage, "{} {}: {}", c.method, c.path, run.stdout());
    assert_eq!(rec["reason"], reason, "{} {}: {}", c.method, c.path, run.stdout());
    rec
}

fn sightings_filter() -> String {
    format!("/sightings/filterSightingUuidsForPush/{EVENT}")
}

fn chunk(kind: &str, uuids: &[&str]) -> String {
    format!("/analyst_data/index/{kind}/uuid[]:{}.json", uuids.join("/uuid[]:"))
}

fn notes(tag: &str) -> String {
    format!(
        r#"[{{"Note":{{"uuid":"{U1}","object_uuid":"{EVENT}","object_type":"Event","note":"a","distribution":"1","Tag":[{{"name":"tlp:green"}}]}}}},
            {{"Note":{{"uuid":"{U2}","object_uuid":"{EVENT}","object_type":"Event","note":"b","distribution":"1","Tag":[{{"name":"{tag}"}}]}}}}]"#
    )
}

// --- the sightings filter -------------------------------------------------------------

mgtest!(sightings_filter_passes_uuid_lists_both_ways, |dir: Dir, cmd: TestCommand| {
    let list = format!(r#"["{U1}","{U2}"]"#);
    allowed(
        &dir,
        &call("POST", sightings_filter())
            .body(&list)
            .answer(r#"["9C0E3E20-B1EA-4473-81D2-845C4399C36D"]"#),
    );
    allowed(&dir, &call("POST", sightings_filter()).body(&list).answer("[]"));
});

mgtest!(sightings_filter_refuses_event_data_and_non_uuids, |dir: Dir, cmd: TestCommand| {
    let list = format!(r#"["{U1}"]"#);
    // a sighting, an event, a number, a uuid with braces, a nested list
    let sighting = format!(r#"[{{"uuid":"{U1}","attribute_uuid":"{U2}","type":"0"}}]"#);
    let rec = refused(
        &dir,
        &call("POST", sightings_filter()).body(&sighting),
        "request_body",
        "wrong_type",
    );
    assert_eq!(rec["pointer"], "/0");
    for bad in [
        r#"{"Event":{"info":"x"}}"#.to_owned(),
        format!(r#"["{U1}",1]"#),
        format!(r#"["{{{U1}}}"]"#),
        format!(r#"["{U1}",["{U2}"]]"#),
        format!(r#"["{U1} "]"#),
    ] {
        refused(&dir, &call("POST", sightings_filter()).body(&bad), "request_body", "wrong_type");
        let c = call("POST", sightings_filter()).body(&list).answer(&bad);
        refused(&dir, &c, "response_body", "wrong_type");
    }
    // the answer carrying event data
    let c = call("POST", sightings_filter()).body(&list).answer_file("test_event_non-blocked.json");
    refused(&dir, &c, "response_body", "wrong_type");
    // not JSON at all
    refused(
        &dir,
        &call("POST", sightings_filter()).body("").answer("[]"),
        "request_body",
        "invalid_json",
    );
});

mgtest!(sightings_filter_only_in_its_exact_shape, |dir: Dir, cmd: TestCommand| {
    for (m, p) in [
        ("GET", sightings_filter()),
        ("POST", "/sightings/filterSightingUuidsForPush/42".to_owned()),
        ("POST", format!("{}/x", sightings_filter())),
        ("POST", format!("{}.json", sightings_filter())),
    ] {
        refused(&dir, &call(m, p).body("[]"), "request", "endpoint_not_allowed");
    }
});

// --- the event report probe -----------------------------------------------------------

mgtest!(report_probe_passes_misp_api_description, |dir: Dir, cmd: TestCommand| {
    allowed(&dir, &call("GET", "/eventReports/add").answer(DESCRIBE));
});

mgtest!(report_probe_refuses_anything_but_the_description, |dir: Dir, cmd: TestCommand| {
    let report = r#"{"EventReport":{"uuid":"9c0e3e20-b1ea-4473-81d2-845c4399c36d","name":"r","content":"secret","distribution":"0"}}"#;
    let rec = refused(
        &dir,
        &call("GET", "/eventReports/add").answer(report),
        "response_body",
        "wrong_type",
    );
    assert_eq!(rec["pointer"], "/EventReport");
    let c = call("GET", "/eventReports/add").answer_file("test_event_non-blocked.json");
    refused(&dir, &c, "response_body", "wrong_type");
    // the description with event data beside it, a list of strings that is not one,
    // a key twice, a missing description
    let with_event = DESCRIBE.replace(r#""url""#, r#""Event":{"info":"x"},"url""#);
    refused(
        &dir,
        &call("GET", "/eventReports/add").answer(&with_event),
        "response_body",
        "wrong_type",
    );
    let nested = DESCRIBE.replace(r#"["name"]"#, r#"[{"name":"x"}]"#);
    let rec = refused(
        &dir,
        &call("GET", "/eventReports/add").answer(&nested),
        "response_body",
        "wrong_type",
    );
    assert_eq!(rec["pointer"], "/mandatory_fields/0");
    let twice = DESCRIBE.replace(r#""url""#, r#""name":"x","url""#);
    refused(
        &dir,
        &call("GET", "/eventReports/add").answer(&twice),
        "response_body",
        "duplicate_key",
    );
    let no_desc = DESCRIBE.replace(r#""description":"#, r#""optional_fields":[],"x":"#);
    refused(
        &dir,
        &call("GET", "/eventReports/add").answer(&no_desc),
        "response_body",
        "wrong_type",
    );
    let missing = r#"{"name":"n","url":"u"}"#;
    refused(
        &dir,
        &call("GET", "/eventReports/add").answer(missing),
        "response_body",
        "missing_field",
    );
    refused(&dir, &call("GET", "/eventReports/add").answer("[]"), "response_body", "wrong_type");
    // other shapes of the call
    for (m, p) in [
        ("POST", "/eventReports/add"),
        ("GET", "/eventReports/add/1"),
        ("GET", "/eventReports/add.json"),
    ] {
        refused(&dir, &call(m, p).answer(DESCRIBE), "request", "endpoint_not_allowed");
    }
});

// --- the chunked analyst data pull ------------------------------------------------------

mgtest!(analyst_chunk_is_judged_like_the_one_uuid_form, |dir: Dir, cmd: TestCommand| {
    let path = chunk("Note", &[U1, U2]);
    allowed(&dir, &call("GET", &path).answer(&notes("tlp:green")));
    // a blocked tag on the second element
    let rec = refused(
        &dir,
        &call("GET", &path).answer(&notes("tlp:red")),
        "response_body",
        "attribute_blocked_tag",
    );
    assert_eq!(rec["pointer"], "/1/Note/Tag/0");
    // a blocked distribution level on a relationship of the chunk
    let rel = r#"[{"Relationship":{"uuid":"9c0e3e20-b1ea-4473-81d2-845c4399c36d","distribution":"0","related_object_type":"Event","related_object":[]}}]"#;
    let c = call("GET", chunk("Relationship", &[U1, U2])).answer(rel);
    refused(&dir, &c, "response_body", "analyst_data_blocked_distribution");
    // the corpus's blocked note, pulled in a chunk of 100
    let many: Vec<&str> = (0..100).map(|i| if i % 2 == 0 { U1 } else { U2 }).collect();
    let c = call("GET", chunk("Note", &many))
        .answer_file("test_analyst_note_blocked_distribution.json");
    refused(&dir, &c, "response_body", "analyst_data_blocked_distribution");
    let c =
        call("GET", chunk("Opinion", &many)).answer_file("test_analyst_opinion_non-blocked.json");
    allowed(&dir, &c);
});

mgtest!(analyst_chunk_only_in_its_exact_shape, |dir: Dir, cmd: TestCommand| {
    let many: Vec<&str> = (0..101).map(|i| if i % 2 == 0 { U1 } else { U2 }).collect();
    for p in [
        chunk("Note", &many),
        chunk("Note", &[U1, "6f847552-aaab-4378-aa5f-369c416822dz"]),
        chunk("Note", &[U1, U2]).replace(".json", ""),
        chunk("Event", &[U1, U2]),
        chunk("Note", &[U1, U2]).replace("/uuid[]:6f", "/id[]:6f"),
    ] {
        refused(&dir, &call("GET", p).answer("[]"), "request", "endpoint_not_allowed");
    }
});

// --- the push retry to a numeric id ------------------------------------------------------

mgtest!(numeric_edit_is_judged_as_an_event_edit, |dir: Dir, cmd: TestCommand| {
    let path = "/events/edit/42/metadata:1";
    allowed(&dir, &call("POST", path).body_file("test_event_non-blocked.json"));
    let c = call("POST", path).body_file("test_event_blocked_tags.json");
    let rec = refused(&dir, &c, "request_body", "event_blocked_tag");
    assert_eq!(
        rec["logs"][0],
        "request blocked: [POST]/events/edit/42/metadata:1 - event has blocked tag: tlp:red"
    );
    let c = call("POST", path).body_file("test_event_blocked_attribute_type.json");
    refused(&dir, &c, "request_body", "attribute_blocked_type");
    for p in ["/events/edit/42", "/events/edit/042/metadata:1", "/events/edit/42/metadata:1/x"] {
        let c = call("POST", p).body_file("test_event_non-blocked.json");
        refused(&dir, &c, "request", "endpoint_not_allowed");
    }
});

// --- proposals ---------------------------------------------------------------------------

/// One proposal as `Server::syncProposals` sends it: the shadow attribute row, bare.
fn proposal(kind: &str) -> String {
    format!(
        r#"[{{"old_id":"0","event_id":"3","type":"{kind}","category":"Network activity","to_ids":true,"uuid":"{U1}","event_uuid":"{EVENT}","deleted":false,"timestamp":"1700000000","proposal_to_delete":false,"disable_correlation":false,"comment":"","org_id":"1","email":"a@example.com","event_org_id":"1","value":"1.2.3.4","data":""}}]"#
    )
}

mgtest!(proposals_push_is_judged_like_the_shadow_attribute_index, |dir: Dir, cmd: TestCommand| {
    let path = format!("/events/pushProposals/{EVENT}");
    allowed(&dir, &call("POST", &path).body(&proposal("ip-dst")));
    let rec = refused(
        &dir,
        &call("POST", &path).body(&proposal("passport-number")),
        "request_body",
        "attribute_blocked_type",
    );
    assert_eq!(rec["pointer"], "/0/type");
    let tagged =
        proposal("ip-dst").replace(r#""data":"""#, r#""data":"","Tag":[{"name":"tlp:red"}]"#);
    refused(&dir, &call("POST", &path).body(&tagged), "request_body", "attribute_blocked_tag");
    let no_type = proposal("ip-dst").replace(r#""type":"ip-dst","#, "");
    refused(&dir, &call("POST", &path).body(&no_type), "request_body", "missing_field");
    refused(
        &dir,
        &call("POST", &path).body(r#"{"ShadowAttribute":[]}"#),
        "request_body",
        "wrong_type",
    );
    for p in ["/events/pushProposals/42".to_owned(), format!("{path}/x")] {
        refused(&dir, &call("POST", p).body("[]"), "request", "endpoint_not_allowed");
    }
});

// --- the switch ---------------------------------------------------------------------------

/// The corpus configuration with `"endpoints": value` added.
fn config_with(dir: &Dir, value: &str) -> PathBuf {
    let text = std::fs::read_to_string(current_config()).unwrap();
    let i = text.find('{').unwrap() + 1;
    let name = format!("config-{}.json", value.trim_matches('"'));
    dir.create(&name, format!("{}\n    \"endpoints\": {value},{}", &text[..i], &text[i..]))
}

mgtest!(misp_guard_endpoint_list_refuses_the_added_calls, |dir: Dir, cmd: TestCommand| {
    let strict = config_with(&dir, "\"misp-guard\"");
    let calls = [
        call("POST", sightings_filter()).body("[]").answer("[]"),
        call("GET", "/eventReports/add").answer(DESCRIBE),
        call("GET", chunk("Note", &[U1, U2])).answer("[]"),
        call("POST", "/events/edit/42/metadata:1").body_file("test_event_non-blocked.json"),
        call("POST", format!("/events/pushProposals/{EVENT}")).body("[]"),
    ];
    for c in &calls {
        let run = inspect(&dir, &strict, c);
        run.expect_code(1);
        assert_eq!(run.json()["reason"], "endpoint_not_allowed", "{}", c.path);
        // and the default list allows it
        let run = inspect(&dir, &config_with(&dir, "\"misp-sync\""), c);
        run.expect_code(0);
    }
    // misp-guard's own endpoints still pass
    let one = call("GET", format!("/analyst_data/index/Note/uuid[]:{U1}.json")).answer("[]");
    inspect(&dir, &strict, &one).expect_code(0);
    let c = call("POST", format!("/events/edit/{EVENT}/metadata:1"))
        .body_file("test_event_non-blocked.json");
    inspect(&dir, &strict, &c).expect_code(0);
});

mgtest!(endpoints_key_is_checked, |dir: Dir, cmd: TestCommand| {
    let bad = config_with(&dir, "\"all\"");
    let run = cmd.arg("check").arg("--config").arg(&bad).output();
    run.expect_code(2);
    assert!(
        run.stderr().contains("config-all.json:2:5: unknown endpoint list"),
        "{}",
        run.stderr()
    );
    let mut again = command_in(&dir);
    let run = again.arg("check").arg("--config").arg(config_with(&dir, "1")).output();
    run.expect_code(2);
    assert!(run.stderr().contains("endpoints"), "{}", run.stderr());
    for ok in ["\"misp-guard\"", "\"misp-sync\""] {
        command_in(&dir)
            .arg("check")
            .arg("--config")
            .arg(config_with(&dir, ok))
            .output()
            .expect_code(0);
    }
});

// --- a whole MISP 2.5 session --------------------------------------------------------------

/// Every call of a MISP 2.5 connection test, push (`Server::push`) and pull
/// (`Server::pull`) to and from a 2.5 remote, in the order MISP makes them (`ServerSyncTool`, `Event`, `Sighting`,
/// `GalaxyCluster`, `AnalystData`), with the bodies and answers MISP sends and gets.
fn session() -> Vec<Call<'static>> {
    const VERSION: &str = r#"{"version":"2.5.1","pymisp_recommended_version":"2.5.1","perm_sync":true,"perm_sighting":true,"perm_galaxy_editor":true,"perm_analyst_data":true,"request_encoding":["gzip","br"],"filter_sightings":true}"#;
    const SEARCH: &str = r#"{"minimal":1,"published":1,"eventid":["1"]}"#;
    let ev = format!("/events/view/{EVENT}");
    let sightings = format!(
        r#"[{{"uuid":"{U1}","attribute_uuid":"{U2}","event_uuid":"{EVENT}","type":"0","source":"","date_sighting":"1700000000","org_id":"0","Organisation":{{"uuid":"10c8f445-888b-4a2d-bac8-4e1e8861d595","name":"HOST"}}}}]"#
    );
    let sightings: &'static str = Box::leak(sightings.into_boxed_str());
    let notes: &'static str = Box::leak(notes("tlp:green").into_boxed_str());
    let uuids: &'static str = Box::leak(format!(r#"["{U1}"]"#).into_boxed_str());
    let proposals: &'static str = Box::leak(proposal("ip-dst").into_boxed_str());
    let index: &'static str = Box::leak(
        format!(r#"[{{"id":"7","uuid":"{EVENT}","timestamp":"1700000000","sighting_timestamp":"0","published":true,"orgc_uuid":"10c8f445-888b-4a2d-bac8-4e1e8861d595"}}]"#)
            .into_boxed_str(),
    );
    let minimal: &'static str = Box::leak(
        format!(r#"{{"Note":{{"{U1}":"2024-10-04 08:09:39","{U2}":"2024-10-04 08:09:39"}}}}"#)
            .into_boxed_str(),
    );
    let test_string: &'static str = Box::leak(
        format!(r#"{{"testString":"{}"}}"#, "MISP sync POST test payload ".repeat(64))
            .into_boxed_str(),
    );
    vec![
        // connection test (`Server::runConnectionTest`) and the sync user look-up
        call("GET", "/servers/getVersion").answer(VERSION),
        call("POST", "/servers/postTest").body(test_string).answer(test_string),
        call("GET", "/users/view/me.json").answer(r#"{"User":{"id":"2","email":"sync@example.com"},"Organisation":{"uuid":"10c8f445-888b-4a2d-bac8-4e1e8861d595","name":"HOST"},"Role":{"perm_sync":true}}"#),
        // push: version check, then galaxy clusters, events, sightings, analyst data
        call("GET", "/servers/getVersion").answer(VERSION),
        call("POST", "/galaxy_clusters/restSearch").body(r#"{"minimal":1,"published":1,"custom":1}"#).answer(r#"[]"#),
        call("POST", "/galaxies/pushCluster").body_file("test_galaxy_clusters_non-blocked_distribution.json"),
        call("POST", "/events/filterEventIdsForPush").body(r#"[{"Event":{"uuid":"385283a1-b5e0-4e10-a532-dce11c365a56","timestamp":"1700000000"}}]"#).answer(r#"["385283a1-b5e0-4e10-a532-dce11c365a56"]"#),
        call("GET", "/eventReports/add").answer(DESCRIBE),
        call("HEAD", ev.clone()),
        call("POST", "/events/add/metadata:1").body_file("test_event_non-blocked.json"),
        // the remote answered 404 with `Location: /events/7`
        call("POST", "/events/edit/7/metadata:1").body_file("test_event_non-blocked.json"),
        // the next event: an 8 MiB mostly-zero attachment (brotli beyond 1000:1)
        call("HEAD", ev.clone()),
        Call { body: Some(Body::Owned(sparse_attachment_push())), ..call("POST", "/events/add/metadata:1") },
        // proposals of pushed events (`Server::syncProposals`)
        call("POST", format!("/events/pushProposals/{EVENT}")).body(proposals).answer(r#"{"success":true,"counter":1,"message":""}"#),
        // sightings (`Sighting::pushSightings`): the remote's index, then per event
        call("POST", "/events/index").body(r#"{"minimal":1,"published":1}"#).answer(index),
        call("POST", sightings_filter()).body(uuids).answer("[]"),
        call("POST", format!("/sightings/bulkSaveSightings/{EVENT}")).body(sightings),
        call("POST", "/analyst_data/filterAnalystDataForPush").body_file("test_filter_analyst_data_for_push_non-blocked.json").answer(minimal),
        call("POST", "/analyst_data/pushAnalystData").body_file("test_push_analyst_note_non-blocked.json"),
        // pull: version check, event index, events, proposals, sightings, clusters, analyst data
        call("GET", "/servers/getVersion").answer(VERSION),
        call("GET", "/servers/getAvailableSyncFilteringRules").answer(r#"{"tags":[],"orgs":[]}"#),
        call("POST", "/events/index").body(r#"{"minimal":1,"published":1}"#).answer(index),
        call("GET", format!("{ev}/deleted[]:0/deleted[]:1/excludeGalaxy:1/includeEventCorrelations:0/includeFeedCorrelations:0/includeWarninglistHits:0/excludeLocalTags:1")).answer_file("test_event_non-blocked.json"),
        call("GET", "/shadow_attributes/index/all:1/timestamp:0/limit:1000/page:1/deleted[]:0/deleted[]:1.json").answer("[]"),
        call("POST", "/events/index").body(SEARCH).answer(index),
        call("POST", "/sightings/restSearch/event").body(r#"{"returnFormat":"json","last":0,"includeUuid":true,"uuid":["385283a1-b5e0-4e10-a532-dce11c365a56"]}"#).answer(r#"{"response":[]}"#),
        call("POST", "/galaxy_clusters/restSearch").body(r#"{"minimal":1,"published":1,"custom":1}"#).answer(r#"[{"GalaxyCluster":{"uuid":"8faab056-4212-4e80-8b54-b7eadec6b739","version":"1"}}]"#),
        call("GET", "/galaxy_clusters/view/8faab056-4212-4e80-8b54-b7eadec6b739").answer_file("test_galaxy_cluster_non-blocked_distribution.json"),
        call("POST", "/analyst_data/indexMinimal").body(r#"{}"#).answer(minimal),
        call("GET", chunk("Note", &[U1, U2])).answer(notes),
    ]
}

mgtest!(misp_2_5_push_and_pull_session_passes_end_to_end, |dir: Dir, cmd: TestCommand| {
    let calls = session();
    for c in &calls {
        allowed(&dir, c);
    }
    // behind misp-guard's exact list the same session loses calls, one per added shape
    let strict = config_with(&dir, "\"misp-guard\"");
    let lost: Vec<String> = calls
        .iter()
        .filter(|c| inspect(&dir, &strict, c).code() != 0)
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert_eq!(
        lost,
        [
            "GET /eventReports/add".to_owned(),
            "POST /events/edit/7/metadata:1".to_owned(),
            format!("POST /events/pushProposals/{EVENT}"),
            format!("POST {}", sightings_filter()),
            format!("GET {}", chunk("Note", &[U1, U2])),
        ]
    );
});
