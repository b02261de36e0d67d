//! Issue 11, "no bound fails open", through `misp-guard inspect` and `misp-guard check`:
//! every bound at −1, =, +1 and ×10 with its verdict. The rows (bodies, configurations,
//! expected verdicts) are in `bounds/rows.rs`, shared with the C ABI's
//! `ffi/tests/bounds.rs`.

#[path = "bounds/rows.rs"]
mod rows;

use std::path::Path;

use crate::util::{current_config, setup, Dir};
use rows::{Row, Seen, To};

/// `inspect --json` of `row` with the configuration at `config`, in `dir`.
fn inspect(dir: &Dir, config: &Path, row: &Row, name: &str) -> Seen {
    let (_d, mut cmd) =
        setup(&format!("{}_{name}", dir.path().file_name().unwrap().to_string_lossy()));
    let body = dir.create(&format!("{name}.body"), &row.body);
    let (method, path, host) = row.to.request();
    cmd.arg("inspect").arg("--config").arg(config);
    cmd.args(["--method", method, "--path", path, "--src-ip", rows::SRC_IP]);
    cmd.args(["--dst-host", host, "--dst-port", "443", "--json"]);
    judged(cmd.output_of(row, &body))
}

trait OutputOf {
    fn output_of(&mut self, row: &Row, body: &Path) -> crate::util::Run;
}

impl OutputOf for crate::util::TestCommand {
    fn output_of(&mut self, row: &Row, body: &Path) -> crate::util::Run {
        let (hdr, file) =
            if row.to == To::Pull { ("--response-header", "--response") } else { ("--header", "") };
        if let Some(enc) = row.encoding {
            self.args([hdr, &format!("Content-Encoding: {enc}")]);
        }
        if let Some(org) = &row.user_org {
            self.args([
                "--response-header",
                &format!("X-UserOrgUUID: {}", String::from_utf8_lossy(org)),
            ]);
        }
        if file.is_empty() {
            self.arg(body);
        } else {
            self.arg(file).arg(body);
        }
        self.output()
    }
}

/// The record of an `inspect --json` run; exit code and decision must agree.
fn judged(run: crate::util::Run) -> Seen {
    let code = run.code();
    assert!(code == 0 || code == 1, "exit {code}: {}", run.stderr());
    let rec = run.json();
    assert_eq!(rec["decision"] == "allow", code == 0, "{rec}");
    Seen {
        reason: rec["reason"].as_str().map(str::to_owned),
        message: rec["message"].as_str().unwrap_or("").to_owned(),
        pointer: rec["pointer"].as_str().unwrap_or("").to_owned(),
    }
}

/// Judges every row through the CLI against the corpus configuration.
fn check(name: &str, rows: Vec<Row>) {
    let (dir, _cmd) = setup(name);
    let cfg = current_config();
    let mut i = 0;
    rows::check_rows(&rows, |row| {
        i += 1;
        inspect(&dir, &cfg, row, &format!("r{i}"))
    });
}

mgtest!(bounds_json_depth, |dir: Dir, cmd: TestCommand| {
    check("bounds_json_depth", rows::json_depth());
});

mgtest!(bounds_json_keys, |dir: Dir, cmd: TestCommand| {
    check("bounds_json_keys", rows::json_keys());
});

mgtest!(bounds_json_numbers, |dir: Dir, cmd: TestCommand| {
    check("bounds_json_numbers", rows::json_numbers());
});

mgtest!(bounds_rule_frames, |dir: Dir, cmd: TestCommand| {
    check("bounds_rule_frames", rows::rule_frames());
});

mgtest!(bounds_rule_columns, |dir: Dir, cmd: TestCommand| {
    check("bounds_rule_columns", rows::rule_columns());
});

mgtest!(bounds_rule_cluster, |dir: Dir, cmd: TestCommand| {
    check("bounds_rule_cluster", rows::rule_cluster());
});

mgtest!(bounds_rule_user_org, |dir: Dir, cmd: TestCommand| {
    check("bounds_rule_user_org", rows::rule_user_org());
});

#[test]
fn bounds_all_orgs_underflow() {
    check("bounds_all_orgs_underflow", rows::all_orgs_underflow());
}

#[test]
fn bounds_user_org_unicode_space() {
    check("bounds_user_org_unicode_space", rows::user_org_unicode_space());
}

mgtest!(bounds_decode, |dir: Dir, cmd: TestCommand| {
    check("bounds_decode", rows::decode_light());
});

#[test]
#[ignore = "heavy: 256 MiB per row, run in release (scripts/fuzz-smoke.sh)"]
fn bounds_decode_max_decoded() {
    check("bounds_decode_max_decoded", rows::decode_heavy());
}

#[test]
#[ignore = "heavy: 256 MiB per row, run in release (scripts/fuzz-smoke.sh)"]
fn bounds_body_max_body() {
    for step in 0..3 {
        check(&format!("bounds_body_max_body_{step}"), vec![rows::body_heavy(step)]);
    }
}

mgtest!(bounds_messages_cut_text_only, |dir: Dir, cmd: TestCommand| {
    let cfg = current_config();
    for (i, (row, full)) in rows::messages().into_iter().enumerate() {
        let seen = inspect(&dir, &cfg, &row, &format!("m{i}"));
        assert_eq!(seen.reason.as_deref(), row.want, "{}: {}", row.name, seen.message);
        let (shown, cap) = if row.name.starts_with("POINTER_CAP") {
            (seen.pointer.as_str(), 160)
        } else {
            (seen.message.strip_prefix("event has blocked tag: ").expect("tag message"), 160)
        };
        rows::assert_cut(&row.name, shown, &full, cap);
    }
});

mgtest!(bounds_config_check, |dir: Dir, cmd: TestCommand| {
    let mut bad = vec![];
    for (i, r) in rows::config_rows().into_iter().enumerate() {
        let (d, mut c) = setup(&format!("bounds_config_check_{i}"));
        let path = d.create("config.json", &r.json);
        let run = c.args(["check", "--config"]).arg(&path).output();
        match r.error {
            None if run.code() != 0 => bad.push(format!("{}: refused: {}", r.name, run.stderr())),
            Some(e) if run.code() != 2 || !run.stderr().contains(e) => bad.push(format!(
                "{}: want error {e:?}, got {}: {}",
                r.name,
                run.code(),
                run.stderr()
            )),
            _ => {}
        }
        // loaded at the bound: the last configured item is in force
        if let Some((ip, host, body, want)) = r.probe.filter(|_| r.error.is_none()) {
            let (_d, mut c) = setup(&format!("bounds_config_probe_{i}"));
            let b = d.create("body.json", &body);
            c.arg("inspect").arg("--config").arg(&path);
            c.args(["--method", "POST", "--path", "/events/add/metadata:1", "--src-ip", &ip]);
            c.args(["--dst-host", &host, "--dst-port", "443", "--json"]).arg(&b);
            let seen = judged(c.output());
            if seen.reason.as_deref() != Some(want) {
                bad.push(format!(
                    "{}: probe want {want}, got {:?} ({})",
                    r.name, seen.reason, seen.message
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
});
