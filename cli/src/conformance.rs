//! `misp-guard conformance [DIR]`: every scenario of the corpus through [`decide`], the
//! same path `inspect` takes.
//!
//! Folders (see the corpus README):
//! * `current/`, `legacy/`: `push_scenarios.json` (the fixture is the request body) and
//!   `pull_scenarios.json` (the fixture is the upstream response body, the request has
//!   none), judged with the folder's `config.json`. Legacy scenarios have no client
//!   address; [`NO_CLIENT_IP`] stands in (the legacy format does not look at it).
//! * `extra/`: `scenarios.json` (inline `request_body` / `response_body`,
//!   `response_fixture_file` from `current/fixtures/`, `response_headers`) with
//!   `../current/config.json`, and `config_cases.json` (configurations that must fail
//!   to load with a message starting with a given prefix).
//!
//! Fixture paths are written `./test/fixtures/NAME.json` (upstream's layout) and read
//! from the folder's `fixtures/NAME.json`. A scenario passes when the status matches
//! (200 allow, 403 block) and every expected log string is a substring of the log lines
//! joined with newlines.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use misp_guard_core::Header;
use misp_guard_core::{Policy, RequestInfo};
use serde_json::Value;

use crate::body::Body;
use crate::config::load_policy;
use crate::decide::{decide, Exchange, Response};
use crate::error::CliError;
use crate::out;

/// Client address used for scenarios that have none (legacy).
pub const NO_CLIENT_IP: &str = "0.0.0.0";

/// What a scenario file's `fixture_file` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The request body (push).
    Push,
    /// The upstream response body (pull).
    Pull,
    /// Bodies are named explicitly (`request_body`, `response_body`, …).
    Explicit,
}

/// One folder's scenario files and where their fixtures live.
struct Suite {
    name: &'static str,
    config: &'static str,
    files: &'static [(&'static str, Role)],
    fixtures: &'static str,
    config_cases: Option<&'static str>,
}

const SUITES: [Suite; 3] = [
    Suite {
        name: "current",
        config: "current/config.json",
        files: &[("push_scenarios.json", Role::Push), ("pull_scenarios.json", Role::Pull)],
        fixtures: "current/fixtures",
        config_cases: None,
    },
    Suite {
        name: "legacy",
        config: "legacy/config.json",
        files: &[("push_scenarios.json", Role::Push), ("pull_scenarios.json", Role::Pull)],
        fixtures: "legacy/fixtures",
        config_cases: None,
    },
    Suite {
        name: "extra",
        config: "current/config.json",
        files: &[("scenarios.json", Role::Explicit)],
        fixtures: "current/fixtures",
        config_cases: Some("config_cases.json"),
    },
];

/// A scenario that did not pass.
struct Failure {
    id: String,
    expected_status: String,
    actual_status: String,
    expected_logs: Vec<String>,
    actual_logs: Vec<String>,
    note: Option<String>,
}

/// Runs the corpus in `dir` and prints the report.
pub fn run(dir: &Path) -> Result<ExitCode, CliError> {
    if !dir.is_dir() {
        return Err(CliError::Io(format!(
            "conformance corpus {} is not a directory (pass DIR or set {})",
            crate::error::shown(dir),
            crate::flags::CORPUS_ENV
        )));
    }
    let mut report = String::new();
    let mut summary = String::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    for suite in &SUITES {
        let (p, failures) = run_suite(dir, suite)?;
        for f in &failures {
            write_failure(&mut report, suite.name, f);
        }
        let _ = writeln!(summary, "{}: {} passed, {} failed", suite.name, p, failures.len());
        passed += p;
        failed += failures.len();
    }
    report.push_str(&summary);
    let _ = writeln!(report, "total: {passed} passed, {failed} failed");
    let code = if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) };
    out::print_or_ignore_pipe(&report, code)
}

fn write_failure(r: &mut String, suite: &str, f: &Failure) {
    let _ = writeln!(
        r,
        "FAIL {suite}/{}: expected status {}, got {}",
        f.id, f.expected_status, f.actual_status
    );
    if let Some(n) = &f.note {
        let _ = writeln!(r, "  note: {n}");
    }
    let _ = writeln!(r, "  expected logs (substrings):");
    for l in &f.expected_logs {
        let _ = writeln!(r, "    {l}");
    }
    let _ = writeln!(r, "  actual logs:");
    for l in &f.actual_logs {
        let _ = writeln!(r, "    {l}");
    }
}

fn read_json(path: &Path) -> Result<Value, CliError> {
    let f = File::open(path).map_err(|e| {
        CliError::io(format!("cannot read corpus file {}", crate::error::shown(path)), &e)
    })?;
    serde_json::from_reader(std::io::BufReader::new(f)).map_err(|e| {
        CliError::Io(format!("corpus file {} is not JSON: {e}", crate::error::shown(path)))
    })
}

fn run_suite(dir: &Path, suite: &Suite) -> Result<(usize, Vec<Failure>), CliError> {
    let policy = load_policy(&dir.join(suite.config));
    let fixtures = dir.join(suite.fixtures);
    let (mut passed, mut failures) = (0, Vec::new());
    for (file, role) in suite.files {
        let scenarios = read_json(&dir.join(suite.name).join(file))?;
        let Some(list) = scenarios.as_array() else {
            return Err(CliError::Io(format!("{}/{file} is not a JSON array", suite.name)));
        };
        for (i, sc) in list.iter().enumerate() {
            let name = sc
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), str::to_owned);
            let id = format!("{file}:{name}");
            let outcome = match &policy {
                Ok(policy) => run_scenario(policy, sc, *role, &fixtures),
                Err(e) => Err(format!("configuration did not load: {e}")),
            };
            match outcome {
                Ok(None) => passed += 1,
                Ok(Some(mut f)) => {
                    f.id = id;
                    failures.push(f);
                }
                Err(note) => failures.push(Failure {
                    id,
                    expected_status: field_text(sc, "expected_status_code"),
                    actual_status: "-".into(),
                    expected_logs: expected_logs(sc),
                    actual_logs: Vec::new(),
                    note: Some(note),
                }),
            }
        }
    }
    if let Some(file) = suite.config_cases {
        let cases = read_json(&dir.join(suite.name).join(file))?;
        let Some(list) = cases.as_array() else {
            return Err(CliError::Io(format!("{}/{file} is not a JSON array", suite.name)));
        };
        for (i, case) in list.iter().enumerate() {
            match config_case(&dir.join(suite.name), case) {
                None => passed += 1,
                Some(mut f) => {
                    let name = case.get("name").and_then(Value::as_str).unwrap_or("");
                    f.id = format!(
                        "{file}:{}",
                        if name.is_empty() { format!("#{i}") } else { name.to_owned() }
                    );
                    failures.push(f);
                }
            }
        }
    }
    Ok((passed, failures))
}

fn field_text(v: &Value, key: &str) -> String {
    v.get(key).map_or_else(|| "-".to_owned(), Value::to_string)
}

fn expected_logs(sc: &Value) -> Vec<String> {
    sc.get("expected_logs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter().map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned)).collect()
        })
        .unwrap_or_default()
}

/// Resolves upstream's `./test/fixtures/NAME` to `<fixtures>/NAME`.
fn fixture_path(fixtures: &Path, written: &str) -> PathBuf {
    let rel = written.strip_prefix("./").unwrap_or(written);
    let rel = rel.strip_prefix("test/fixtures/").unwrap_or(rel);
    fixtures.join(rel)
}

fn str_field<'a>(sc: &'a Value, key: &str) -> Result<&'a str, String> {
    sc.get(key).and_then(Value::as_str).ok_or_else(|| format!("scenario has no string `{key}`"))
}

fn open_fixture(fixtures: &Path, written: &str) -> Result<Body<'static>, String> {
    let p = fixture_path(fixtures, written);
    File::open(&p)
        .map(|f| Body::Reader(Box::new(f)))
        .map_err(|e| format!("cannot open fixture {}: {e}", crate::error::shown(&p)))
}

/// Runs one scenario: `Ok(None)` passed, `Ok(Some)` failed, `Err` malformed scenario.
fn run_scenario(
    policy: &Policy,
    sc: &Value,
    role: Role,
    fixtures: &Path,
) -> Result<Option<Failure>, String> {
    let method = str_field(sc, "method")?;
    let url = str_field(sc, "url")?;
    let host = str_field(sc, "host")?;
    let port = sc
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("scenario has no valid `port`")?;
    let scheme = sc.get("scheme").and_then(Value::as_str).unwrap_or("https");
    let src_ip = sc.pointer("/client/ip").and_then(Value::as_str).unwrap_or(NO_CLIENT_IP);
    let expected_status = sc
        .get("expected_status_code")
        .and_then(Value::as_u64)
        .ok_or("scenario has no `expected_status_code`")?;
    let want_logs = expected_logs(sc);

    let fixture =
        sc.get("fixture_file").or_else(|| sc.get("event_fixture_file")).and_then(Value::as_str);
    let mut request_body = Body::Empty;
    let mut response_body = None;
    match (role, fixture) {
        (Role::Push, Some(f)) => request_body = open_fixture(fixtures, f)?,
        (Role::Pull, Some(f)) => response_body = Some(open_fixture(fixtures, f)?),
        (Role::Push | Role::Pull, None) => return Err("scenario has no fixture file".into()),
        (Role::Explicit, Some(_)) => {
            return Err("fixture_file in a scenario file without push/pull role".into())
        }
        (Role::Explicit, None) => {}
    }
    if let Some(b) = sc.get("request_body") {
        let b = b.as_str().ok_or("`request_body` is not a string")?;
        request_body = Body::Bytes(b.as_bytes());
    }
    if let Some(b) = sc.get("response_body") {
        let b = b.as_str().ok_or("`response_body` is not a string")?;
        response_body = Some(Body::Bytes(b.as_bytes()));
    }
    if let Some(f) = sc.get("response_fixture_file") {
        let f = f.as_str().ok_or("`response_fixture_file` is not a string")?;
        response_body = Some(open_fixture(fixtures, f)?);
    }
    let mut response_headers = Vec::new();
    if let Some(h) = sc.get("response_headers") {
        let h = h.as_object().ok_or("`response_headers` is not an object")?;
        for (k, v) in h {
            let v = v.as_str().ok_or("a response header value is not a string")?;
            response_headers.push(Header { name: k.as_bytes(), value: v.as_bytes() });
        }
    }

    let ex = Exchange {
        req: RequestInfo { method, path: url, scheme, src_ip, dst_host: host, dst_port: port },
        request_headers: &[],
        request_body,
        response: response_body.map(|body| Response { headers: &response_headers, body }),
    };
    let decision = decide(policy, ex).map_err(|e| e.to_string())?;
    let joined = decision.logs.join("\n");
    let missing: Vec<&String> = want_logs.iter().filter(|l| !joined.contains(l.as_str())).collect();
    let status = decision.status();
    if u64::from(status) == expected_status && missing.is_empty() {
        return Ok(None);
    }
    let note = (!missing.is_empty())
        .then(|| format!("{} expected log string(s) not found", missing.len()));
    Ok(Some(Failure {
        id: String::new(),
        expected_status: expected_status.to_string(),
        actual_status: status.to_string(),
        expected_logs: want_logs,
        actual_logs: decision.logs,
        note,
    }))
}

/// One `config_cases.json` entry: the configuration must fail to load, with a message
/// starting with the prefix written after `starts with: ` in `expect`.
fn config_case(folder: &Path, case: &Value) -> Option<Failure> {
    const MARK: &str = "starts with: ";
    let fail = |note: String, actual: Vec<String>| Failure {
        id: String::new(),
        expected_status: "load error".into(),
        actual_status: if actual.is_empty() { "loaded".into() } else { "load error".into() },
        expected_logs: case
            .get("expect")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect(),
        actual_logs: actual,
        note: Some(note),
    };
    let Some(file) = case.get("config_file").and_then(Value::as_str) else {
        return Some(fail("case has no string `config_file`".into(), Vec::new()));
    };
    let expect = case.get("expect").and_then(Value::as_str).unwrap_or("");
    let Some(at) = expect.find(MARK) else {
        return Some(fail(format!("unsupported expectation {expect:?}"), Vec::new()));
    };
    let prefix = &expect[at + MARK.len()..];
    match load_policy(&folder.join(file)) {
        Ok(_) => Some(fail("configuration loaded".into(), Vec::new())),
        Err(e) => {
            let msg = e.to_string();
            if msg.starts_with(prefix) {
                None
            } else {
                Some(fail(format!("message does not start with {prefix:?}"), vec![msg]))
            }
        }
    }
}
