//! `misp-guard check --config FILE`.

use crate::util::corpus;

mgtest!(check_current_config_ok_is_silent, |dir: Dir, cmd: TestCommand| {
    let cfg = corpus().join("current/config.json");
    let run = cmd.arg("check").arg("--config").arg(&cfg).output();
    run.expect_code(0);
    assert_eq!(run.stdout(), "");
    assert_eq!(run.stderr(), "");
});

mgtest!(check_legacy_config_ok_is_silent, |dir: Dir, cmd: TestCommand| {
    let cfg = corpus().join("legacy/config.json");
    let run = cmd.args(["check", "--config"]).arg(&cfg).output();
    run.expect_code(0);
    assert_eq!((run.stdout(), run.stderr()), (String::new(), String::new()));
});

mgtest!(check_syntax_error_reports_line_and_column, |dir: Dir, cmd: TestCommand| {
    // The missing comma is noticed at the next key: line 3, column 3.
    dir.create("bad.json", "{\n  \"allowlist\": {\"urls\": [], \"domains\": []}\n  \"x\": 1}\n");
    let run = cmd.args(["check", "--config", "bad.json"]).output();
    run.expect_code(2);
    assert_eq!(run.stdout(), "");
    assert!(
        run.stderr().starts_with("failed to load config file: bad.json:3:3: "),
        "{}",
        run.stderr()
    );
});

mgtest!(check_wrong_type_reports_position_and_path, |dir: Dir, cmd: TestCommand| {
    dir.create(
        "port.json",
        concat!(
            "{\n",
            "  \"allowlist\": {\"urls\": [], \"domains\": []},\n",
            "  \"compartments_rules\": {\"can_reach\": {\"c1\": [\"c1\"]}},\n",
            "  \"instances\": {\n",
            "    \"a\": {\"ip\": \"10.0.0.1\", \"host\": \"a.example\", \"port\": \"443\"}\n",
            "  }\n",
            "}\n"
        ),
    );
    let run = cmd.args(["check", "--config", "port.json"]).output();
    run.expect_code(2);
    let err = run.stderr();
    assert!(err.starts_with("failed to load config file: port.json:5:"), "{err}");
    assert!(err.contains("instances.a.port"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
});

mgtest!(check_corpus_invalid_config_keeps_upstream_prefix, |dir: Dir, cmd: TestCommand| {
    let cfg = corpus().join("current/fixtures/test_invalid_config.json");
    let run = cmd.args(["check", "--config"]).arg(&cfg).output();
    run.expect_code(2);
    let want = format!("failed to load config file: {}:1:", cfg.display());
    assert!(run.stderr().starts_with(&want), "{}", run.stderr());
});

mgtest!(check_missing_file, |dir: Dir, cmd: TestCommand| {
    let run = cmd.args(["check", "--config", "does-not-exist.json"]).output();
    run.expect_code(2);
    assert!(
        run.stderr().starts_with("failed to load config file: does-not-exist.json: "),
        "{}",
        run.stderr()
    );
});

mgtest!(check_without_config_is_usage_error, |dir: Dir, cmd: TestCommand| {
    let run = cmd.arg("check").output();
    run.expect_code(2);
    assert!(run.stderr().contains("--config is required"), "{}", run.stderr());
});

mgtest!(no_command_and_unknown_command_are_usage_errors, |dir: Dir, cmd: TestCommand| {
    cmd.output().expect_code(2);
    let (_d, mut other) = crate::util::setup("no_command_and_unknown_command_2");
    other.arg("frobnicate").output().expect_code(2);
});

mgtest!(help_exits_zero_and_documents_commands, |dir: Dir, cmd: TestCommand| {
    let run = cmd.arg("--help").output();
    run.expect_code(0);
    for word in ["check", "inspect", "conformance", "--response-header", "--json"] {
        assert!(run.stdout().contains(word), "{word} missing from help");
    }
});

/// One instance per line; `{EXTRA}` is replaced in the first instance.
const SMALL: &str = r#"{
  "comment": "annotated as misp-guard allows",
  "allowlist": {"urls": [], "domains": []},
  "compartments_rules": {"can_reach": {"c1": ["c1"], "c2": ["c1"]}},
  "instances": {
    "a": {"ip": "10.0.0.1", "host": "a.example", "port": 443, "compartment_id": "c1", "taxonomies_rules": {}, "blocked_distribution_levels": ["0"], "blocked_sharing_groups_uuids": [], "blocked_attribute_types": [], "blocked_attribute_categories": [], "blocked_object_types": []{EXTRA}}
  }
}
"#;

fn small(extra: &str) -> String {
    SMALL.replace("{EXTRA}", extra)
}

mgtest!(check_names_every_ignored_key, |dir: Dir, cmd: TestCommand| {
    dir.create("c.json", small(r#", "_note": "owner: SOC""#));
    let run = cmd.args(["check", "--config", "c.json"]).output();
    run.expect_code(0);
    assert_eq!(run.stdout(), "");
    let col_note =
        small(r#", "_note": "owner: SOC""#).lines().nth(5).unwrap().find("\"_note\"").unwrap() + 1;
    assert_eq!(
        run.stderr_lines(),
        [
            "c.json:2:3: warning: key `comment` ignored: no rule reads it (at comment)".to_string(),
            format!("c.json:6:{col_note}: warning: key `_note` ignored: no rule reads it (at instances.a._note)"),
        ]
    );
});

mgtest!(check_refuses_a_misspelt_key, |dir: Dir, cmd: TestCommand| {
    dir.create("c.json", small(r#", "blocked_object_type": ["person"]"#));
    let run = cmd.args(["check", "--config", "c.json"]).output();
    run.expect_code(2);
    let err = run.stderr();
    assert!(err.starts_with("failed to load config file: c.json:6:"), "{err}");
    assert!(err.contains("did you mean `blocked_object_types`?"), "{err}");
    assert!(err.contains("(at instances.a.blocked_object_type)"), "{err}");
});

mgtest!(check_warns_on_values_that_never_match, |dir: Dir, cmd: TestCommand| {
    let json = SMALL
        .replace("{EXTRA}", "")
        .replace(r#""10.0.0.1""#, r#""127.0.0.300""#)
        .replace(r#"["0"]"#, r#"["0", 9, "6"]"#)
        .replace(r#""c2": ["c1"]"#, r#""c2": []"#);
    let json = json.replace(
        "\n  }\n}",
        ",\n    \"b\": {\"ip\": \"::1\", \"host\": \"b\", \"port\": 0, \"compartment_id\": \"c2\", \"taxonomies_rules\": {}, \"blocked_distribution_levels\": [], \"blocked_sharing_groups_uuids\": [], \"blocked_attribute_types\": [], \"blocked_attribute_categories\": [], \"blocked_object_types\": []}\n  }\n}",
    );
    dir.create("c.json", &json);
    let run = cmd.args(["check", "--config", "c.json"]).output();
    run.expect_code(0);
    let lines = run.stderr_lines();
    let col = |line: usize, s: &str| json.lines().nth(line - 1).unwrap().find(s).unwrap() + 1;
    let want = [
        "c.json:2:3: warning: key `comment` ignored: no rule reads it (at comment)".to_string(),
        format!("c.json:6:{}: warning: `127.0.0.300` is not an IP address: no request can come from it (at instances.a.ip)", col(6, "\"ip\"")),
        format!("c.json:7:{}: warning: port 0: no request is addressed to it (at instances.b.port)", col(7, "\"port\"")),
        format!("c.json:7:{}: warning: no compartment can reach `c2`: only allowlisted requests can be addressed to instance `b` (at instances.b.compartment_id)", col(7, "\"compartment_id\"")),
        format!("c.json:6:{}: warning: distribution level 9 does not exist (MISP's are 0-5): it never matches (at instances.a.blocked_distribution_levels[1])", col(6, "9,")),
        format!("c.json:6:{}: warning: distribution level 6 does not exist (MISP's are 0-5): it never matches (at instances.a.blocked_distribution_levels[2])", col(6, "\"6\"")),
    ];
    assert_eq!(lines, want);
});

mgtest!(check_json_reports_warnings_and_errors, |dir: Dir, cmd: TestCommand| {
    dir.create("warn.json", small(r#", "_note": 1"#));
    let run = cmd.args(["check", "--json", "--config", "warn.json"]).output();
    run.expect_code(0);
    assert_eq!(run.stderr(), "");
    let v = run.json();
    assert_eq!(v["file"], "warn.json");
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 2);
    assert_eq!(w[1]["kind"], "ignored_key");
    assert_eq!(w[1]["path"], "instances.a._note");
    assert_eq!(w[1]["line"], 6);
    assert!(w[1]["column"].as_u64().unwrap() > 1);

    dir.create("bad.json", small(r#", "Blocked_Object_Types": []"#));
    let (_d, mut other) = crate::util::setup("check_json_reports_errors_2");
    let run = other.args(["check", "--json", "--config"]).arg(dir.join("bad.json")).output();
    run.expect_code(2);
    assert_eq!(run.stderr(), "");
    let v = run.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["warnings"], serde_json::json!([]));
    let e = &v["errors"][0];
    assert_eq!(e["kind"], "unknown_field");
    assert_eq!(e["path"], "instances.a.Blocked_Object_Types");
    assert_eq!(e["line"], 6);

    let (_d, mut clean) = crate::util::setup("check_json_reports_errors_3");
    let cfg = corpus().join("current/config.json");
    let run = clean.args(["check", "--json", "--config"]).arg(&cfg).output();
    run.expect_code(0);
    let v = run.json();
    assert_eq!(
        (v["ok"].clone(), v["errors"].clone(), v["warnings"].clone()),
        (serde_json::json!(true), serde_json::json!([]), serde_json::json!([]))
    );

    let (_d, mut missing) = crate::util::setup("check_json_reports_errors_4");
    let run = missing.args(["check", "--json", "--config", "nope.json"]).output();
    run.expect_code(2);
    assert_eq!(run.json()["errors"][0]["kind"], "io");
});

mgtest!(check_reports_ignored_keys_beyond_the_list, |dir: Dir, cmd: TestCommand| {
    let notes: String = (0..20).map(|i| format!(r#", "note{i}": {i}"#)).collect();
    dir.create("c.json", small(&notes));
    let run = cmd.args(["check", "--config", "c.json"]).output();
    run.expect_code(0);
    let lines = run.stderr_lines();
    // `comment` and 15 notes are listed, then a count of the other 5
    assert_eq!(lines.len(), 17, "{lines:?}");
    assert_eq!(lines[16], "c.json: warning: and 5 more ignored keys");
});
