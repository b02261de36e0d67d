//! The conformance corpus through the core decision path, with every fixture also
//! fed one byte at a time and split at every point: the verdict must not change.

use std::path::{Path, PathBuf};

use misp_guard_core::Header;
use misp_guard_core::RefusalLines;
use misp_guard_core::{Guard, Policy, RequestInfo, RequestVerdict, Verdict};
use serde_json::Value;

fn corpus() -> PathBuf {
    std::env::var_os("MISP_GUARD_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"))
}

fn fixture(folder: &Path, rel: &str) -> Vec<u8> {
    let name = rel.rsplit('/').next().unwrap();
    let p = folder.join("fixtures").join(name);
    let p = if p.exists() { p } else { folder.join("../current/fixtures").join(name) };
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn judge(
    policy: &Policy,
    insp: misp_guard_core::Inspection,
    hdrs: &[Header],
    body: &[u8],
    step: usize,
) -> Verdict {
    let mut g = Guard::for_body(policy, insp, hdrs, Default::default());
    for c in body.chunks(step.max(1)) {
        g.feed(c);
    }
    g.finish()
}

/// Runs one scenario; returns (status, logs).
fn run(policy: &Policy, folder: &Path, s: &Value, push: bool, step: usize) -> (u16, Vec<String>) {
    let url = s["url"].as_str().unwrap();
    let method = s["method"].as_str().unwrap();
    let req = RequestInfo {
        method,
        path: url,
        scheme: s["scheme"].as_str().unwrap_or("https"),
        src_ip: s["client"]["ip"].as_str().unwrap_or("0.0.0.0"),
        dst_host: s["host"].as_str().unwrap(),
        dst_port: s["port"].as_u64().unwrap() as u16,
    };
    let mut logs = vec![];
    let log_block = |b: &misp_guard_core::Block, logs: &mut Vec<String>| {
        let lines = RefusalLines::new(method, url, b, policy);
        logs.extend(lines.preamble.map(|p| p.to_string()));
        logs.push(lines.line.to_string());
    };
    let plan = match policy.check_request(&req, &[]) {
        RequestVerdict::Block(b) => {
            log_block(&b, &mut logs);
            return (403, logs);
        }
        RequestVerdict::Allow(p) => p,
    };
    if let Some(l) = plan.allow_line(&req) {
        logs.push(l.to_string());
    }
    let fixture_name = s["fixture_file"].as_str().or(s["event_fixture_file"].as_str());
    let req_body: Vec<u8> = match (s["request_body"].as_str(), fixture_name) {
        (Some(b), _) => b.as_bytes().to_vec(),
        (None, Some(f)) if push => fixture(folder, f),
        _ => vec![],
    };
    if let Some(insp) = plan.request {
        if let Verdict::Block(b) = judge(policy, insp, &[], &req_body, step) {
            log_block(&b, &mut logs);
            return (403, logs);
        }
    }
    let resp: Option<Vec<u8>> =
        match (s["response_body"].as_str(), s["response_fixture_file"].as_str(), fixture_name) {
            (Some(b), _, _) => Some(b.as_bytes().to_vec()),
            (None, Some(f), _) => Some(fixture(folder, f)),
            (None, None, Some(f)) if !push => Some(fixture(folder, f)),
            _ => None,
        };
    if let (Some(insp), Some(body)) = (plan.response, resp) {
        let hv: Vec<(String, String)> = s["response_headers"]
            .as_object()
            .map(|o| {
                o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect()
            })
            .unwrap_or_default();
        let hdrs: Vec<Header> =
            hv.iter().map(|(k, v)| Header { name: k.as_bytes(), value: v.as_bytes() }).collect();
        if let Verdict::Block(b) = judge(policy, insp, &hdrs, &body, step) {
            log_block(&b, &mut logs);
            return (403, logs);
        }
    }
    (200, logs)
}

fn folder(name: &str, files: &[(&str, bool)], config: &str) -> (usize, Vec<String>) {
    let dir = corpus().join(name);
    let policy = Policy::from_json_slice(&std::fs::read(dir.join(config)).unwrap()).unwrap();
    let mut passed = 0;
    let mut failures = vec![];
    for (file, push) in files {
        let scenarios: Value =
            serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        for s in scenarios.as_array().unwrap() {
            let push = *push || s["method"] == "POST" && s["request_body"].is_string();
            let whole = run(&policy, &dir, s, push, usize::MAX);
            let expected = s["expected_status_code"].as_u64().unwrap() as u16;
            let joined = whole.1.join("\n");
            let ok = whole.0 == expected
                && s["expected_logs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|l| joined.contains(l.as_str().unwrap()));
            // chunking must not change anything
            let bytewise = run(&policy, &dir, s, push, 1);
            let split = run(&policy, &dir, s, push, 7);
            if ok && bytewise == whole && split == whole {
                passed += 1;
            } else {
                failures.push(format!(
                    "{name}/{}: expected {expected} {:?}\n   got {} {:?}\n   bytewise {:?}",
                    s["name"], s["expected_logs"], whole.0, whole.1, bytewise
                ));
            }
        }
    }
    println!("{name}: {passed} passed, {} failed", failures.len());
    (passed, failures)
}

#[test]
fn conformance_corpus_through_core() {
    let mut all = vec![];
    let mut total = 0;
    for (name, files, config) in [
        (
            "current",
            &[("push_scenarios.json", true), ("pull_scenarios.json", false)][..],
            "config.json",
        ),
        (
            "legacy",
            &[("push_scenarios.json", true), ("pull_scenarios.json", false)][..],
            "config.json",
        ),
        ("extra", &[("scenarios.json", false)][..], "../current/config.json"),
    ] {
        let (p, f) = folder(name, files, config);
        total += p;
        all.extend(f);
    }
    println!("{total} passed, {} failed", all.len());
    assert!(all.is_empty(), "{}", all.join("\n"));
}
