//! The whole `../shared/conformance` corpus through a real nginx with the module loaded,
//! over HTTP/1.1 and HTTP/2 (both TLS): push scenarios as requests, pull scenarios as
//! upstream responses. Prints `N passed, M failed` per folder (and protocol) and fails
//! if anything failed.
//!
//! Test-only wiring (see `common::Conf`): `client.ip` reaches nginx as the header
//! `X-Real-Client-IP`, made `$remote_addr` by the realip module
//! (`set_real_ip_from 127.0.0.1; real_ip_header X-Real-Client-IP;`), and the scenario's
//! `[scheme://]host:port` arrives as `X-Test-Dst` (`misp_guard_destination
//! $http_x_test_dst;`). Everything else is what a client and an upstream would send.

mod common;

use std::path::{Path, PathBuf};

use common::{send, Conf, Nginx, Proto, Reply, Req, Upstream};
use serde_json::Value;

/// One scenario, normalised over the three folders' schemas.
struct Scenario {
    name: String,
    method: String,
    url: String,
    dst: String,
    src: Option<String>,
    request_body: Option<Vec<u8>>,
    response: Option<Reply>,
    expected_status: u16,
    expected_logs: Vec<String>,
}

fn fixture(folder: &Path, p: &str) -> Vec<u8> {
    // Written as `./test/fixtures/NAME.json`: read as `fixtures/NAME.json`.
    let name = Path::new(p).file_name().expect("fixture name");
    std::fs::read(folder.join("fixtures").join(name)).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
}

fn load(folder: &Path, file: &str, pull: Option<bool>) -> Vec<Scenario> {
    let text = std::fs::read(folder.join(file)).expect("scenario file");
    let v: Value = serde_json::from_slice(&text).expect("scenario json");
    let fixtures_dir = if folder.join("fixtures").is_dir() {
        folder.to_path_buf()
    } else {
        folder.join("../current")
    };
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| {
            let str_of = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_owned);
            let scheme = str_of("scheme").unwrap_or_else(|| "https".into());
            let host = str_of("host").expect("host");
            let port = s.get("port").and_then(Value::as_u64).expect("port");
            let fixture_body = str_of("fixture_file")
                .or_else(|| str_of("event_fixture_file"))
                .map(|p| fixture(&fixtures_dir, &p));
            let mut request_body = str_of("request_body").map(String::into_bytes);
            let mut response = None;
            match pull {
                Some(true) => response = fixture_body.map(Reply::json),
                Some(false) => request_body = fixture_body,
                None => {}
            }
            if let Some(b) = str_of("response_body") {
                response = Some(Reply::json(b));
            }
            if let Some(p) = str_of("response_fixture_file") {
                response = Some(Reply::json(fixture(&fixtures_dir, &p)));
            }
            if let (Some(r), Some(h)) =
                (response.as_mut(), s.get("response_headers").and_then(Value::as_object))
            {
                for (k, v) in h {
                    r.headers.push((k.clone(), v.as_str().unwrap_or("").to_owned()));
                }
            }
            Scenario {
                name: str_of("name").expect("name"),
                method: str_of("method").expect("method"),
                url: str_of("url").expect("url"),
                dst: format!("{scheme}://{host}:{port}"),
                src: s.pointer("/client/ip").and_then(Value::as_str).map(str::to_owned),
                request_body,
                response,
                expected_status: s
                    .get("expected_status_code")
                    .and_then(Value::as_u64)
                    .expect("status") as u16,
                expected_logs: s
                    .get("expected_logs")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Runs one scenario; `Err` says what differed.
fn run(n: &Nginx, up: &Upstream, s: &Scenario, id: &str, proto: Proto) -> Result<(), String> {
    let upstream_reply = s.response.clone().unwrap_or_else(|| Reply::json("{}"));
    up.set(id, upstream_reply.clone());
    let mut req = Req::new(&s.method, &s.url).proto(proto).wiring(id, s.src.as_deref(), &s.dst);
    if let Some(b) = &s.request_body {
        req = req.header("Content-Type", "application/json").body(b.clone());
    }
    let from = n.log_len();
    let resp = send(n, &req);
    let log = n.log_since(from);
    let got = up.received(id);
    let mut errs = Vec::new();
    if resp.status != s.expected_status {
        errs.push(format!("status {} (expected {})", resp.status, s.expected_status));
    }
    for want in &s.expected_logs {
        if !log.contains(want.as_str()) {
            errs.push(format!("log lacks `{want}`"));
        }
    }
    if s.expected_status == 403 {
        if s.method != "HEAD" && resp.body != b"Forbidden" {
            errs.push(format!("body {:?} (expected Forbidden)", lossy_head(&resp.body)));
        }
        if s.response.is_none() && !got.is_empty() {
            errs.push("refused request reached the upstream".into());
        }
    } else {
        if log.contains("request blocked") {
            errs.push("allowed, yet a `request blocked` line was logged".into());
        }
        match got.as_slice() {
            [r] => {
                if r.body != s.request_body.clone().unwrap_or_default() {
                    errs.push("upstream received a different request body".into());
                }
            }
            other => errs.push(format!("upstream received {} requests", other.len())),
        }
        if s.method != "HEAD" && resp.status == 200 && resp.body != upstream_reply.body {
            errs.push("client received a different response body".into());
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n      new log: {}", errs.join("; "), log.trim()))
    }
}

fn lossy_head(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(80)]).into_owned()
}

/// (folder, rules file, [(scenario file, Some(pull?) or None: read the fields)]).
type Folder = (&'static str, PathBuf, Vec<(&'static str, Option<bool>)>);

#[test]
fn conformance_corpus_through_nginx() {
    let root = common::conformance_dir();
    assert!(root.is_dir(), "conformance corpus not found at {}", root.display());
    let up = Upstream::start();
    let folders: [Folder; 3] = [
        (
            "current",
            root.join("current/config.json"),
            vec![("push_scenarios.json", Some(false)), ("pull_scenarios.json", Some(true))],
        ),
        (
            "legacy",
            root.join("legacy/config.json"),
            vec![("push_scenarios.json", Some(false)), ("pull_scenarios.json", Some(true))],
        ),
        ("extra", root.join("current/config.json"), vec![("scenarios.json", None)]),
    ];
    let mut total_failed = 0;
    let mut summary = Vec::new();
    for (folder, config, files) in folders {
        let dir = root.join(folder);
        let scenarios: Vec<Scenario> =
            files.iter().flat_map(|(f, pull)| load(&dir, f, *pull)).collect();
        let n = Nginx::start(&format!("conformance-{folder}"), Conf::new(&config, &up));
        for proto in [Proto::H1, Proto::H2] {
            let (mut passed, mut failed) = (0, 0);
            for s in &scenarios {
                let id = format!("{folder}-{proto}-{}", s.name);
                match run(&n, &up, s, &id, proto) {
                    Ok(()) => passed += 1,
                    Err(e) => {
                        failed += 1;
                        eprintln!("FAIL {folder} {proto} {}: {e}", s.name);
                    }
                }
            }
            let line = format!("{folder} ({proto}): {passed} passed, {failed} failed");
            println!("{line}");
            summary.push(line);
            total_failed += failed;
        }
        n.stop();
    }
    eprintln!("conformance through nginx:\n  {}", summary.join("\n  "));
    assert_eq!(total_failed, 0, "conformance failures (see FAIL lines)");
}
