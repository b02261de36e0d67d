//! `misp-guard inspect`: request policy, bodies, exit codes, log lines, `--json`.

use std::path::Path;

use crate::util::{current_config, current_fixture, TestCommand};

/// A pull-event path as MISP sends it.
const PULL_EVENT: &str = "/events/view/385283a1-b5e0-4e10-a532-dce11c365a56/deleted[]:0/\
                          deleted[]:1/excludeGalaxy:1/includeEventCorrelations:0/\
                          includeFeedCorrelations:0/includeWarninglistHits:0/excludeLocalTags:1";

/// `inspect` against the corpus's current config, from instance_2_2 (20.0.0.2,
/// compartment_2) to `dst_host:443`.
fn request(cmd: &mut TestCommand, method: &str, path: &str, dst_host: &str) {
    cmd.arg("inspect").arg("--config").arg(current_config());
    cmd.args(["--method", method, "--path", path, "--src-ip", "20.0.0.2"]);
    cmd.args(["--dst-host", dst_host, "--dst-port", "443"]);
}

/// The keys of the decision record, in the documented order.
const RECORD_KEYS: [&str; 9] =
    ["decision", "status", "stage", "reason", "reason_id", "message", "rule", "pointer", "logs"];

fn assert_record_shape(stdout: &str, rec: &serde_json::Value) {
    let obj = rec.as_object().expect("record is an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = RECORD_KEYS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want);
    // One line, keys in the documented order.
    assert_eq!(stdout.lines().count(), 1);
    let pos: Vec<usize> =
        RECORD_KEYS.iter().map(|k| stdout.find(&format!("\"{k}\":")).expect("key")).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "key order: {stdout}");
    assert!(rec["logs"].as_array().expect("logs array").iter().all(|l| l.is_string()));
}

mgtest!(inspect_plain_endpoint_is_allowed_silently, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/servers/getVersion", "instance1-comp1.com");
    let run = cmd.output();
    run.expect_code(0);
    assert_eq!(run.stderr(), "");
    assert_eq!(run.stdout(), "");
});

mgtest!(inspect_endpoint_not_allowed, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/users", "instance1-comp1.com");
    let run = cmd.output();
    run.expect_code(1);
    assert_eq!(
        run.stderr_lines(),
        [
            "rejecting non allowed request to /users",
            "request blocked: [GET]/users - endpoint not allowed"
        ]
    );
    assert_eq!(run.stdout(), "", "no JSON without --json");
});

mgtest!(inspect_unknown_source, |dir: Dir, cmd: TestCommand| {
    cmd.arg("inspect").arg("--config").arg(current_config());
    cmd.args(["--method", "GET", "--path", PULL_EVENT, "--src-ip", "90.0.0.1"]);
    cmd.args(["--dst-host", "instance1-comp1.com", "--dst-port", "443"]);
    let run = cmd.output();
    run.expect_code(1);
    assert_eq!(
        run.stderr_lines(),
        [format!(
            "request blocked: [GET]{PULL_EVENT} - source host 90.0.0.1 does not exist in \
             instances hosts mapping"
        )]
    );
});

mgtest!(inspect_compartment_unreachable, |dir: Dir, cmd: TestCommand| {
    // compartment_2 may reach compartment_1 and compartment_2 only.
    request(&mut cmd, "GET", "/servers/getVersion", "instance1-comp3.com");
    let run = cmd.output();
    run.expect_code(1);
    assert_eq!(
        run.stderr_lines(),
        ["request blocked: [GET]/servers/getVersion - cannot reach compartment"]
    );
});

mgtest!(inspect_destination_port_not_allowed, |dir: Dir, cmd: TestCommand| {
    cmd.arg("inspect").arg("--config").arg(current_config());
    cmd.args(["--method", "GET", "--path", "/users/view/me.json", "--src-ip", "20.0.0.2"]);
    cmd.args(["--dst-host", "instance1-comp1.com", "--dst-port", "4444"]);
    let run = cmd.output();
    run.expect_code(1);
    assert_eq!(
        run.stderr_lines(),
        ["request blocked: [GET]/users/view/me.json - destination port is not allowed"]
    );
});

mgtest!(inspect_allowlisted_domain_logs_allow_line, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/test.txt", "snort-org-site.s3.amazonaws.com");
    let run = cmd.output();
    run.expect_code(0);
    assert_eq!(
        run.stderr_lines(),
        ["domain snort-org-site.s3.amazonaws.com was allowed by the allowlist"]
    );
});

mgtest!(inspect_allowlisted_url_needs_its_scheme, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/torlist/?exit", "www.dan.me.uk");
    let https = cmd.output();
    // https://www.dan.me.uk/torlist/?exit is not the allowlisted http URL.
    https.expect_code(1);
    let (_d, mut http) = crate::util::setup("inspect_allowlisted_url_needs_its_scheme_http");
    request(&mut http, "GET", "/torlist/?exit", "www.dan.me.uk");
    let run = http.args(["--scheme", "http"]).output();
    run.expect_code(0);
    assert_eq!(
        run.stderr_lines(),
        ["url http://www.dan.me.uk:443/torlist/?exit was allowed by the allowlist"]
    );
});

mgtest!(inspect_json_block_record, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/users", "instance1-comp1.com");
    let run = cmd.arg("--json").output();
    run.expect_code(1);
    let rec = run.json();
    assert_record_shape(&run.stdout(), &rec);
    assert_eq!(rec["decision"], "block");
    assert_eq!(rec["status"], 403);
    assert_eq!(rec["stage"], "request");
    assert_eq!(rec["reason"], "endpoint_not_allowed");
    assert_eq!(rec["reason_id"], 5);
    assert_eq!(rec["message"], "endpoint not allowed");
    assert!(rec["rule"].is_null());
    assert!(rec["pointer"].is_null(), "request-level blocks have no pointer");
    // The record's logs are the stderr lines.
    let logs: Vec<&str> =
        rec["logs"].as_array().unwrap().iter().filter_map(|l| l.as_str()).collect();
    assert_eq!(logs, run.stderr_lines());
});

mgtest!(inspect_json_allow_record, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", "/test.txt", "snort-org-site.s3.amazonaws.com");
    let run = cmd.arg("--json").output();
    run.expect_code(0);
    let rec = run.json();
    assert_record_shape(&run.stdout(), &rec);
    assert_eq!(rec["decision"], "allow");
    assert_eq!(rec["status"], 200);
    for k in ["stage", "reason", "reason_id", "message", "rule", "pointer"] {
        assert!(rec[k].is_null(), "{k} must be null on allow");
    }
    assert_eq!(
        rec["logs"][0],
        "domain snort-org-site.s3.amazonaws.com was allowed by the allowlist"
    );
});

mgtest!(inspect_push_body_is_judged_with_source_rules, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let run = cmd.arg("--json").arg(current_fixture("test_event_blocked_tags.json")).output();
    run.expect_code(1);
    let rec = run.json();
    assert_record_shape(&run.stdout(), &rec);
    assert_eq!(rec["stage"], "request_body");
    assert_eq!(rec["reason"], "event_blocked_tag");
    assert_eq!(rec["reason_id"], 20);
    assert_eq!(rec["message"], "event has blocked tag: tlp:red");
    // A push is judged with the source instance's rules (20.0.0.2 is instance_2_2).
    assert_eq!(rec["rule"], "instance_2_2");
    assert_eq!(rec["pointer"], "/Event/Tag/0");
    assert_eq!(
        run.stderr_lines(),
        ["request blocked: [POST]/events/add/metadata:1 - event has blocked tag: tlp:red"]
    );
});

mgtest!(inspect_push_non_blocked_event_is_allowed, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let run = cmd.arg(current_fixture("test_event_non-blocked.json")).output();
    run.expect_code(0);
    assert_eq!(run.stderr(), "");
});

mgtest!(inspect_request_headers_reach_the_guard, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    cmd.args(["--header", "Content-Encoding: zstd", "--json"]);
    let run = cmd.arg(current_fixture("test_event_non-blocked.json")).output();
    run.expect_code(1);
    assert_eq!(run.json()["reason"], "unsupported_encoding");
});

mgtest!(inspect_legacy_rule_suffix, |dir: Dir, cmd: TestCommand| {
    let legacy = crate::util::corpus().join("legacy");
    cmd.arg("inspect").arg("--config").arg(legacy.join("config.json"));
    cmd.args(["--method", "POST", "--path", "/events/add", "--src-ip", "192.0.2.1"]);
    cmd.args(["--dst-host", "misp-external.com", "--dst-port", "443", "--json"]);
    let run = cmd.arg(legacy.join("fixtures/test_event_blocked_attribute_type.json")).output();
    run.expect_code(1);
    let rec = run.json();
    assert_eq!(rec["rule"], "test-rule");
    assert_eq!(
        run.stderr_lines(),
        ["request blocked: [POST]/events/add - attribute with a blocked type: passport-number. \
          blocked by rule: test-rule"]
    );
});

mgtest!(inspect_pull_without_response_judges_request_alone, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "GET", PULL_EVENT, "instance1-comp1.com");
    let run = cmd.arg("--json").output();
    run.expect_code(0);
    assert_eq!(run.json()["decision"], "allow");
});

mgtest!(
    inspect_pull_response_body_is_judged_with_destination_rules,
    |dir: Dir, cmd: TestCommand| {
        request(&mut cmd, "GET", PULL_EVENT, "instance1-comp1.com");
        cmd.arg("--response").arg(current_fixture("test_event_blocked_tags.json"));
        let run = cmd.arg("--json").output();
        run.expect_code(1);
        let rec = run.json();
        assert_record_shape(&run.stdout(), &rec);
        assert_eq!(rec["stage"], "response_body");
        assert_eq!(rec["status"], 403);
        assert_eq!(rec["reason"], "event_blocked_tag");
        // A pull is judged with the destination instance's rules.
        assert_eq!(rec["rule"], "instance_1_1");
    }
);

mgtest!(inspect_response_header_x_user_org_uuid, |dir: Dir, cmd: TestCommand| {
    let fixture = current_fixture("test_event_xuserorguuid-blocked_sharing_group.json");
    request(&mut cmd, "GET", PULL_EVENT, "instance1-comp1.com");
    let without = cmd.arg("--response").arg(&fixture).output();
    without.expect_code(0);
    let (_d, mut with) = crate::util::setup("inspect_response_header_x_user_org_uuid_2");
    request(&mut with, "GET", PULL_EVENT, "instance1-comp1.com");
    with.arg("--response").arg(&fixture).arg("--json");
    with.args(["--response-header", "X-UserOrgUUID: 8b9661a3-8544-4f8d-94be-cd7ebe87e922"]);
    let run = with.output();
    run.expect_code(1);
    assert_eq!(run.json()["reason"], "user_org_not_in_sharing_group");
});

mgtest!(inspect_response_of_uninspected_endpoint_passes, |dir: Dir, cmd: TestCommand| {
    // misp-guard does not look at /servers/getVersion answers, whatever they hold.
    let resp = dir.create("resp.json", "not json at all");
    request(&mut cmd, "GET", "/servers/getVersion", "instance1-comp1.com");
    let run = cmd.arg("--response").arg(resp).arg("--json").output();
    run.expect_code(0);
});

/// Runs the same `POST /events/index` with `body` once from a file and once on stdin.
fn file_and_stdin(name: &str, body: &[u8]) -> (String, String, i32, i32) {
    let (dir, mut by_file) = crate::util::setup(&format!("{name}_file"));
    let file = dir.create("body.json", body);
    request(&mut by_file, "POST", "/events/index", "instance1-comp1.com");
    let a = by_file.arg("--json").arg(&file).output();
    let (_d, mut by_stdin) = crate::util::setup(&format!("{name}_stdin"));
    request(&mut by_stdin, "POST", "/events/index", "instance1-comp1.com");
    let b = by_stdin.arg("--json").arg("-").stdin(body).output();
    (a.stdout(), b.stdout(), a.code(), b.code())
}

mgtest!(inspect_stdin_body_is_read_like_a_file, |dir: Dir, cmd: TestCommand| {
    // Small bodies and one spanning several 64 KiB read chunks.
    let mut big = b"{\"minimal\": 0, \"published\": 1".to_vec();
    big.extend(std::iter::repeat(b' ').take(300 * 1024));
    big.extend_from_slice(b"}");
    for (i, body) in
        [&b"{\"minimal\":0, \"published\":1}"[..], b"{\"minimal\":1, \"published\":1}", &big]
            .iter()
            .enumerate()
    {
        let (by_file, by_stdin, code_file, code_stdin) = file_and_stdin(&format!("stdin{i}"), body);
        assert!(!by_file.is_empty());
        assert_eq!(by_file, by_stdin, "body #{i}");
        assert_eq!(code_file, code_stdin, "body #{i}");
    }
    // The body is the search parameters: judged at the request_body stage.
    request(&mut cmd, "POST", "/events/index", "instance1-comp1.com");
    let run = cmd.args(["--json", "-"]).stdin(&big[..]).output();
    run.expect_code(1);
    let rec = run.json();
    assert_eq!(rec["stage"], "request_body");
    assert_eq!(rec["reason"], "minimal_published_required");
    let (_d, mut ok) = crate::util::setup("inspect_stdin_body_allowed");
    request(&mut ok, "POST", "/events/index", "instance1-comp1.com");
    ok.arg("-").stdin(&b"{\"minimal\": 1, \"published\": 1}"[..]).output().expect_code(0);
});

mgtest!(inspect_usage_errors_exit_2, |dir: Dir, cmd: TestCommand| {
    let cases: &[&[&str]] = &[
        &[],                  // nothing but the command
        &["--dst-port", "0"], // duplicate and invalid
        &["--scheme", "ftp"],
        &["--header", "no colon"],
        &["--response-header", "X-UserOrgUUID: x"], // without --response
        &["--nope"],
        &["a.json", "b.json"],
        &["--response", "-", "-"],
    ];
    for (i, extra) in cases.iter().enumerate() {
        let (_d, mut c) = crate::util::setup(&format!("inspect_usage_{i}"));
        if i == 0 {
            c.arg("inspect");
        } else {
            request(&mut c, "GET", "/servers/getVersion", "instance1-comp1.com");
        }
        let run = c.args(extra.iter()).output();
        run.expect_code(2);
        assert!(run.stderr().starts_with("error: "), "case {i}: {}", run.stderr());
        assert_eq!(run.stdout(), "", "case {i}");
    }
});

mgtest!(inspect_missing_body_file_is_an_error_not_a_verdict, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "POST", "/events/add", "instance1-comp1.com");
    let run = cmd.arg("--json").arg("missing.json").output();
    run.expect_code(2);
    assert!(run.stderr().contains("missing.json"), "{}", run.stderr());
    assert_eq!(run.stdout(), "");
});

mgtest!(inspect_bad_config_exits_2_with_prefix, |dir: Dir, cmd: TestCommand| {
    dir.create("c.json", "{");
    cmd.args(["inspect", "--config", "c.json", "--method", "GET", "--path", "/servers/getVersion"]);
    cmd.args(["--src-ip", "20.0.0.2", "--dst-host", "instance1-comp1.com", "--dst-port", "443"]);
    let run = cmd.output();
    run.expect_code(2);
    assert!(run.stderr().starts_with("failed to load config file: c.json:1:"), "{}", run.stderr());
});

mgtest!(inspect_closed_stdout_keeps_the_verdict_exit_code, |dir: Dir, cmd: TestCommand| {
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixStream;
    use std::process::Stdio;
    // stdout is a socket whose other end is already closed: every write is EPIPE.
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    drop(ours);
    request(&mut cmd, "GET", "/users", "instance1-comp1.com");
    cmd.arg("--json");
    let out = cmd
        .raw()
        .stdin(Stdio::null())
        .stdout(Stdio::from(OwnedFd::from(theirs)))
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("error"), "a broken pipe is not an error: {err}");
});

#[test]
fn fixture_paths_exist() {
    // Guards the tests above against a moved corpus (they would fail confusingly).
    assert!(Path::new(&current_config()).is_file(), "corpus not found: set MISP_GUARD_CONFORMANCE");
    assert!(current_fixture("test_event_blocked_tags.json").is_file());
}

mgtest!(inspect_compressed_bodies_are_decoded, |dir: Dir, cmd: TestCommand| {
    let zlib = |name: &str| {
        let raw = std::fs::read(current_fixture(name)).expect("fixture");
        miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6)
    };
    let blocked = dir.create("blocked.z", zlib("test_event_blocked_tags.json"));
    let clean = dir.create("clean.z", zlib("test_event_non-blocked.json"));
    // Request body (push).
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let run = cmd.args(["--header", "Content-Encoding: deflate", "--json"]).arg(&blocked).output();
    run.expect_code(1);
    assert_eq!(run.json()["reason"], "event_blocked_tag");
    let (_d, mut ok) = crate::util::setup("inspect_compressed_bodies_are_decoded_2");
    request(&mut ok, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    ok.args(["--header", "Content-Encoding: deflate"]).arg(&clean).output().expect_code(0);
    // Response body (pull): the response's own headers say how it is encoded.
    let (_d, mut pull) = crate::util::setup("inspect_compressed_bodies_are_decoded_3");
    request(&mut pull, "GET", PULL_EVENT, "instance1-comp1.com");
    pull.arg("--response").arg(&blocked).arg("--json");
    let run = pull.args(["--response-header", "Content-Encoding: deflate"]).output();
    run.expect_code(1);
    assert_eq!(run.json()["reason"], "event_blocked_tag");
});

/// Waits for `child` at most `secs` seconds; kills it and fails the test past that.
fn wait_bounded(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("poll misp-guard").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("misp-guard still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("collect output")
}

mgtest!(inspect_endless_body_ends_at_the_body_bound, |dir: Dir, cmd: TestCommand| {
    use std::io::Write;
    use std::process::Stdio;
    // An endless producer on stdin (`yes | misp-guard inspect … -`): the guard stops
    // reading past the 256 MiB bound and refuses; the producer gets a closed pipe.
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let child = cmd
        .arg("-")
        .raw()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn misp-guard");
    let mut child = child;
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let block = [b'y'; 65536];
        let mut sent = 0u64;
        while stdin.write_all(&block).is_ok() {
            sent += block.len() as u64;
        }
        sent
    });
    let out = wait_bounded(child, 120);
    let sent = writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "request blocked: [POST]/events/add/metadata:1 - request body larger than 268435456 bytes"
    );
    assert!(sent > 256 << 20 && sent < (256 << 20) + (16 << 20), "read {sent} bytes");
});

mgtest!(inspect_endless_body_file_ends_at_the_body_bound, |dir: Dir, cmd: TestCommand| {
    use std::process::Stdio;
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let child = cmd
        .args(["--json", "/dev/zero"])
        .raw()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn misp-guard");
    let out = wait_bounded(child, 120);
    assert_eq!(out.status.code(), Some(1));
    let rec: serde_json::Value = serde_json::from_slice(&out.stdout).expect("record");
    assert_eq!(rec["reason"], "body_too_large");
    assert_eq!(rec["stage"], "request_body");
});

mgtest!(inspect_directory_as_body_is_an_error_on_every_call, |dir: Dir, cmd: TestCommand| {
    // whether or not the call's verdict reads the body: a wrong input is a usage
    // problem, never an answer
    let d = dir.path().to_path_buf();
    for (method, path) in
        [("GET", "/servers/getVersion"), ("GET", "/users"), ("POST", "/events/add")]
    {
        let (_d, mut c) = crate::util::setup(&format!("dir_body_{}", path.replace('/', "_")));
        request(&mut c, method, path, "instance1-comp1.com");
        let run = c.arg(&d).output();
        run.expect_code(2);
        assert!(run.stderr().contains("is a directory"), "{}", run.stderr());
        let (_d, mut c) = crate::util::setup(&format!("dir_resp_{}", path.replace('/', "_")));
        request(&mut c, method, path, "instance1-comp1.com");
        let run = c.arg("--response").arg(&d).output();
        run.expect_code(2);
        assert!(run.stderr().contains("cannot open response"), "{}", run.stderr());
    }
    drop(cmd);
});

mgtest!(inspect_trailing_data_is_named_once, |dir: Dir, cmd: TestCommand| {
    request(&mut cmd, "POST", "/events/add/metadata:1", "instance1-comp1.com");
    let run = cmd.arg("-").stdin(&b"{\"Event\": {}} x"[..]).output();
    run.expect_code(1);
    assert_eq!(
        run.stderr_lines(),
        ["request blocked: [POST]/events/add/metadata:1 - invalid JSON body: data after the \
          JSON document at offset 14"]
    );
});

mgtest!(inspect_help_is_inspects_own, |dir: Dir, cmd: TestCommand| {
    let run = cmd.args(["inspect", "--help"]).output();
    run.expect_code(0);
    let out = run.stdout();
    assert!(out.starts_with("misp-guard inspect:"), "{out}");
    for flag in ["--dst-port", "--response-header", "--scheme https|http", "default: https"] {
        assert!(out.contains(flag), "{flag} missing from:\n{out}");
    }
    assert!(!out.contains("misp-guard check --config"), "global help printed:\n{out}");
});
