//! `misp-guard conformance [DIR]`: the runner's mechanics on small corpora written
//! here, and the acceptance test over the real corpus.

use std::path::Path;

use serde_json::{json, Value};

use crate::util::{corpus, Dir};

/// A current-format config: `a` (10.0.0.1, c1) may reach `b` (10.0.0.2, c2).
fn current_config() -> Value {
    let inst = |ip: &str, host: &str, comp: &str| {
        json!({
            "ip": ip, "host": host, "port": 443, "compartment_id": comp,
            "taxonomies_rules": {"required_taxonomies": [], "allowed_tags": {}, "blocked_tags": []},
            "blocked_distribution_levels": [], "blocked_sharing_groups_uuids": [],
            "blocked_attribute_types": [], "blocked_attribute_categories": [],
            "blocked_object_types": []
        })
    };
    json!({
        "allowlist": {"urls": [], "domains": ["files.example"]},
        "compartments_rules": {"can_reach": {"c1": ["c1", "c2"], "c2": ["c2"]}},
        "instances": {"a": inst("10.0.0.1", "a.example", "c1"), "b": inst("10.0.0.2", "b.example", "c2")}
    })
}

fn legacy_config() -> Value {
    json!({
        "proxy": {"host": "guard.example", "port": 8888},
        "misp": {"host": "misp.example", "port": 443},
        "block_rules": [{
            "id": "r1", "description": "d", "blocked_tags": [], "blocked_distribution_levels": [],
            "blocked_sharing_groups_uuids": [], "blocked_attribute_types": [],
            "blocked_attribute_categories": [], "blocked_object_types": []
        }]
    })
}

fn scenario(
    name: &str,
    method: &str,
    url: &str,
    src: &str,
    dst: &str,
    status: u16,
    logs: &[&str],
) -> Value {
    json!({
        "name": name, "host": dst, "port": 443, "url": url, "method": method,
        "client": {"ip": src, "port": 22},
        "fixture_file": "./test/fixtures/empty.json",
        "expected_status_code": status, "expected_logs": logs
    })
}

/// Writes a small corpus; `with_failures` adds two scenarios that must fail.
fn write_corpus(dir: &Dir, with_failures: bool) {
    let w = |rel: &str, v: &Value| {
        dir.create(rel, serde_json::to_vec_pretty(v).unwrap());
    };
    w("corpus/current/config.json", &current_config());
    dir.create("corpus/current/fixtures/empty.json", "{}");
    let mut push = vec![
        scenario("plain", "GET", "/servers/getVersion", "10.0.0.1", "b.example", 200, &[]),
        scenario(
            "users",
            "GET",
            "/users",
            "10.0.0.1",
            "b.example",
            403,
            &["rejecting non allowed request to /users", "[GET]/users - endpoint not allowed"],
        ),
    ];
    if with_failures {
        push.push(scenario("wrong_status", "GET", "/users", "10.0.0.1", "b.example", 200, &[]));
        push.push(scenario(
            "missing_log",
            "GET",
            "/servers/getVersion",
            "10.0.0.1",
            "b.example",
            200,
            &["this line is never logged"],
        ));
    }
    w("corpus/current/push_scenarios.json", &Value::from(push));
    let pull = vec![scenario(
        "unreachable",
        "GET",
        "/servers/getVersion",
        "10.0.0.2",
        "a.example",
        403,
        &["request blocked: [GET]/servers/getVersion - cannot reach compartment"],
    )];
    w("corpus/current/pull_scenarios.json", &Value::from(pull));

    w("corpus/legacy/config.json", &legacy_config());
    dir.create("corpus/legacy/fixtures/empty.json", "{}");
    let legacy = |name: &str, url: &str, status: u16, logs: &[&str]| {
        json!({
            "name": name, "host": "misp-external.example", "port": 443, "url": url,
            "method": "GET", "event_fixture_file": "./test/fixtures/empty.json",
            "expected_status_code": status, "expected_logs": logs
        })
    };
    w(
        "corpus/legacy/push_scenarios.json",
        &json!([legacy("version", "/servers/getVersion", 200, &[])]),
    );
    w(
        "corpus/legacy/pull_scenarios.json",
        &json!([legacy(
            "nope",
            "/nope",
            403,
            &["request blocked: [GET]/nope - endpoint not allowed"]
        )]),
    );

    w(
        "corpus/extra/scenarios.json",
        &json!([{
            "name": "allowlisted", "host": "files.example", "port": 443, "url": "/x",
            "method": "GET", "client": {"ip": "10.0.0.2", "port": 1}, "response_body": "",
            "expected_status_code": 200,
            "expected_logs": ["domain files.example was allowed by the allowlist"]
        }, {
            "name": "inline_body_not_read_for_plain", "host": "b.example", "port": 443,
            "url": "/servers/postTest", "method": "POST", "client": {"ip": "10.0.0.1", "port": 1},
            "request_body": "not json", "expected_status_code": 200, "expected_logs": []
        }]),
    );
    dir.create("corpus/current/fixtures/invalid_config.json", "{}");
    w(
        "corpus/extra/config_cases.json",
        &json!([
            {"name": "missing", "config_file": "./nope.json",
             "expect": "load error whose message starts with: failed to load config file"},
            {"name": "invalid", "config_file": "../current/fixtures/invalid_config.json",
             "expect": "load error whose message starts with: failed to load config file: "}
        ]),
    );
}

/// `FOLDER: N passed, M failed` lines of a report, as (folder, passed, failed).
fn summary(report: &str) -> Vec<(String, usize, usize)> {
    report
        .lines()
        .filter_map(|l| {
            let (folder, rest) = l.split_once(": ")?;
            let (p, f) = rest.split_once(" passed, ")?;
            let f = f.strip_suffix(" failed")?;
            Some((folder.to_owned(), p.parse().ok()?, f.parse().ok()?))
        })
        .collect()
}

fn counts(report: &str) -> Vec<(&'static str, usize, usize)> {
    let s = summary(report);
    ["current", "legacy", "extra", "total"]
        .into_iter()
        .map(|name| {
            let hits: Vec<_> = s.iter().filter(|(f, _, _)| f == name).collect();
            assert_eq!(hits.len(), 1, "one `{name}:` line expected in:\n{report}");
            (name, hits[0].1, hits[0].2)
        })
        .collect()
}

mgtest!(conformance_counts_passes_and_failures, |dir: Dir, cmd: TestCommand| {
    write_corpus(&dir, true);
    let run = cmd.args(["conformance", "corpus"]).output();
    run.expect_code(1);
    let out = run.stdout();
    assert_eq!(
        counts(&out),
        [("current", 3, 2), ("legacy", 2, 0), ("extra", 4, 0), ("total", 9, 2)],
        "{out}"
    );
    // Failures are listed with the expected and the actual logs.
    assert!(
        out.contains("FAIL current/push_scenarios.json:wrong_status: expected status 200, got 403"),
        "{out}"
    );
    assert!(out.contains("    request blocked: [GET]/users - endpoint not allowed"), "{out}");
    assert!(out.contains("FAIL current/push_scenarios.json:missing_log"), "{out}");
    assert!(out.contains("    this line is never logged"), "{out}");
    assert!(!out.contains("FAIL current/push_scenarios.json:users"), "{out}");
});

mgtest!(conformance_all_passing_exits_0, |dir: Dir, cmd: TestCommand| {
    write_corpus(&dir, false);
    let run = cmd.args(["conformance", "corpus"]).output();
    run.expect_code(0);
    assert_eq!(
        counts(&run.stdout()),
        [("current", 3, 0), ("legacy", 2, 0), ("extra", 4, 0), ("total", 9, 0)]
    );
    assert!(!run.stdout().contains("FAIL"));
});

mgtest!(conformance_config_case_that_loads_fails, |dir: Dir, cmd: TestCommand| {
    write_corpus(&dir, false);
    // A "must fail to load" case pointing at a valid config is a failure.
    dir.create(
        "corpus/extra/config_cases.json",
        serde_json::to_vec(&json!([{
            "name": "valid", "config_file": "../current/config.json",
            "expect": "load error whose message starts with: failed to load config file"
        }]))
        .unwrap(),
    );
    let run = cmd.args(["conformance", "corpus"]).output();
    run.expect_code(1);
    assert_eq!(counts(&run.stdout())[2], ("extra", 2, 1), "{}", run.stdout());
    assert!(run.stdout().contains("FAIL extra/config_cases.json:valid"), "{}", run.stdout());
});

mgtest!(conformance_dir_from_env_then_default, |dir: Dir, cmd: TestCommand| {
    write_corpus(&dir, false);
    let run = cmd.arg("conformance").env("MISP_GUARD_CONFORMANCE", dir.join("corpus")).output();
    run.expect_code(0);
    // Without DIR or env: ../shared/conformance from the current directory.
    let (d2, mut c2) = crate::util::setup("conformance_dir_default");
    write_corpus(&d2, false);
    std::fs::create_dir_all(d2.join("shared")).unwrap();
    std::fs::rename(d2.join("corpus"), d2.join("shared/conformance")).unwrap();
    std::fs::create_dir_all(d2.join("repo")).unwrap();
    let run = c2.arg("conformance").current_dir(d2.join("repo")).output();
    run.expect_code(0);
    assert_eq!(counts(&run.stdout())[3], ("total", 9, 0));
});

mgtest!(conformance_missing_dir_exits_2, |dir: Dir, cmd: TestCommand| {
    let run = cmd.args(["conformance", "no-such-dir"]).output();
    run.expect_code(2);
    assert!(run.stderr().contains("no-such-dir"), "{}", run.stderr());
});

/// Number of entries of a JSON array file in the corpus.
fn len(p: &Path) -> usize {
    let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    v.as_array().unwrap().len()
}

mgtest!(conformance_corpus_runs_every_scenario, |dir: Dir, cmd: TestCommand| {
    let c = corpus();
    let run = cmd.arg("conformance").arg(&c).output();
    let out = run.stdout();
    let n = |f: &str, names: &[&str]| names.iter().map(|s| len(&c.join(f).join(s))).sum::<usize>();
    let want = [
        ("current", n("current", &["push_scenarios.json", "pull_scenarios.json"])),
        ("legacy", n("legacy", &["push_scenarios.json", "pull_scenarios.json"])),
        ("extra", n("extra", &["scenarios.json", "config_cases.json"])),
    ];
    let got = counts(&out);
    for (i, (folder, total)) in want.iter().enumerate() {
        assert_eq!(got[i].0, *folder);
        assert_eq!(got[i].1 + got[i].2, *total, "{folder}: every scenario is counted\n{out}");
    }
    let total: usize = want.iter().map(|w| w.1).sum();
    assert_eq!(got[3].1 + got[3].2, total);
    assert_eq!(run.code(), if got[3].2 == 0 { 0 } else { 1 });
});

// The acceptance test: every folder of the corpus passes. (Red until the core's
// streaming evaluator lands; it must then stay green.)
mgtest!(conformance_corpus_all_pass, |dir: Dir, cmd: TestCommand| {
    let run = cmd.arg("conformance").arg(corpus()).output();
    let out = run.stdout();
    for (folder, _, failed) in counts(&out) {
        assert_eq!(failed, 0, "{folder} has failures:\n{out}");
    }
    run.expect_code(0);
});
