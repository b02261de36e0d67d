//! `misp-guard check --config FILE`.

use crate::util::corpus;

mgtest!(check_current_config_ok, |dir: Dir, cmd: TestCommand| {
    let cfg = corpus().join("current/config.json");
    let run = cmd.arg("check").arg("--config").arg(&cfg).output();
    run.expect_code(0);
    assert_eq!(run.stdout(), format!("{}: ok\n", cfg.display()));
    assert_eq!(run.stderr(), "");
});

mgtest!(check_legacy_config_ok, |dir: Dir, cmd: TestCommand| {
    let cfg = corpus().join("legacy/config.json");
    let run = cmd.args(["check", "--config"]).arg(&cfg).output();
    run.expect_code(0);
    assert_eq!(run.stdout(), format!("{}: ok\n", cfg.display()));
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
