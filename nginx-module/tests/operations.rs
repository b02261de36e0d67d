//! What an operator sees of the module's decisions: error_log levels, the `$misp_guard_*`
//! variables in an access log, the request id of a refusal. Same wiring as the other
//! suites (see `common`).

mod common;

use common::corpus::*;
use common::{send, Conf, Nginx, Proto, Reply, Req, Upstream};
use serde_json::Value;

fn read(n: &Nginx, file: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(n.dir.join(file)).unwrap_or_default()).into_owned()
}

/// The lines of `log` that contain `needle`.
fn lines_with<'a>(log: &'a str, needle: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.contains(needle)).collect()
}

// --- error_log levels -------------------------------------------------------------------

/// Debian's stock `error_log /var/log/nginx/error.log error;` must show a refusal (as
/// misp-guard's `logger.error` does); `misp_guard_log_level` lowers it; allowlist passes
/// stay at `info`.
#[test]
fn refusals_are_logged_at_error_and_allowlist_passes_at_info() {
    let up = Upstream::start();
    // Two logs for requests: the stock level, and `info` (the harness's error.log).
    let mut conf = Conf::new(rules(), &up)
        .http("error_log {dir}/stock.log error;")
        .http("error_log {dir}/error.log info;");
    // Pulls go through a location that lowers the level of its refusals to `warn`.
    conf.server = format!(
        "location /events/view/ {{
            misp_guard on;
            misp_guard_destination $http_x_test_dst;
            misp_guard_log_level warn;
            proxy_pass http://127.0.0.1:{};
        }}",
        up.port
    );
    let n = Nginx::start("levels", conf);

    let r = send(&n, &push("lvl-push", &blocked_event()));
    assert_eq!(r.status, 403);
    assert!(up.received("lvl-push").is_empty());
    let stock = read(&n, "stock.log");
    let hits = lines_with(&stock, TAG_LOG);
    assert_eq!(hits.len(), 1, "stock.log:\n{stock}");
    assert!(hits[0].contains("[error]"), "{}", hits[0]);
    assert!(
        hits[0].contains(&format!("request blocked: [POST]{PUSH_PATH} - {TAG_LOG}")),
        "{}",
        hits[0]
    );

    // An unknown endpoint: misp-guard's preamble line and the refusal, both at `error`.
    let r = send(&n, &Req::new("GET", "/users").wiring("lvl-users", Some(PUSH_SRC), PUSH_DST));
    assert_eq!(r.status, 403);
    let stock = read(&n, "stock.log");
    let pre = lines_with(&stock, "rejecting non allowed request to /users");
    let blocked = lines_with(&stock, "request blocked: [GET]/users - endpoint not allowed");
    assert_eq!((pre.len(), blocked.len()), (1, 1), "stock.log:\n{stock}");
    assert!(pre[0].contains("[error]") && blocked[0].contains("[error]"), "{stock}");

    // `misp_guard_log_level warn`: not in the `error` log, in the `info` one at `warn`.
    up.set("lvl-pull", Reply::json(blocked_event()));
    let r = send(&n, &pull("lvl-pull"));
    assert_eq!(r.status, 403);
    let pull_line = format!("request blocked: [GET]{PULL_PATH} - {TAG_LOG}");
    let stock = read(&n, "stock.log");
    assert!(lines_with(&stock, &pull_line).is_empty(), "stock.log:\n{stock}");
    let full = n.error_log();
    let hits = lines_with(&full, &pull_line);
    assert_eq!(hits.len(), 1, "error.log:\n{full}");
    assert!(hits[0].contains("[warn]"), "{}", hits[0]);

    // An allowlist pass: `info`, so only in the `info` log.
    let r = send(&n, &Req::new("GET", "/torlist").wiring("lvl-allow", Some(PUSH_SRC), ALLOWLISTED));
    assert_eq!(r.status, 200);
    assert_eq!(up.received("lvl-allow").len(), 1);
    let full = n.error_log();
    let hits = lines_with(&full, "was allowed by the allowlist");
    assert_eq!(hits.len(), 1, "error.log:\n{full}");
    assert!(hits[0].contains("[info]"), "{}", hits[0]);
    let stock = read(&n, "stock.log");
    assert!(lines_with(&stock, "allowlist").is_empty(), "stock.log:\n{stock}");
    n.stop();
}

/// A misspelt level fails `nginx -t`, naming the directive.
#[test]
fn misp_guard_log_level_takes_nginx_level_names_only() {
    let up = Upstream::start();
    let (ok, err) = Nginx::test_config(&Conf::new(rules(), &up).more("misp_guard_log_level crit;"));
    assert!(!ok, "nginx -t accepted `crit`");
    assert!(
        err.contains(r#"misp_guard_log_level: invalid value "crit" (error, warn, notice or info)"#),
        "{err}"
    );
    let (ok, err) =
        Nginx::test_config(&Conf::new(rules(), &up).more("misp_guard_log_level notice;"));
    assert!(ok, "{err}");
}

// --- the audit log ----------------------------------------------------------------------

/// The `log_format misp_guard_audit …;` directive as documented in the README.
fn documented_log_format() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find("log_format misp_guard_audit").expect("log_format in README");
    let end = start + readme[start..].find("}';").expect("end of the log_format") + 3;
    readme[start..end].to_owned()
}

/// The audit log's JSON line for a request id (nginx writes it just after the response's
/// last byte: waits for it).
fn audit_line(n: &Nginx, request_id: &str) -> Value {
    let mut tries = 0;
    loop {
        let log = read(n, "audit.log");
        let lines: Vec<Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .filter(|v: &Value| v["request_id"] == request_id)
            .collect();
        tries += 1;
        if lines.is_empty() && tries < 100 {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        assert_eq!(lines.len(), 1, "audit lines for {request_id}:\n{log}");
        return lines.into_iter().next().unwrap_or_default();
    }
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} is not a string in {v}"))
}

/// The request id of a refusal: its `X-Request-ID`, which must also end its error.log
/// line.
fn refusal_id(n: &Nginx, r: &common::Resp, log_from: usize, wording: &str) -> String {
    assert_eq!(r.status, 403);
    let ids: Vec<&str> = r
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("X-Request-ID"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(ids.len(), 1, "{:?}", r.headers);
    let id = ids[0].to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    let log = n.log_since(log_from);
    let hits = lines_with(&log, wording);
    assert_eq!(hits.len(), 1, "{log}");
    assert!(hits[0].contains(&format!("(request_id: {id})")), "{}", hits[0]);
    id
}

/// The documented JSON `log_format` over a mix of allowed and refused pushes and pulls,
/// HTTP/1.1 and HTTP/2: every line parses, and carries the decision, stage, reason,
/// message, rule, pointer, bytes and time of its request. A refusal's `X-Request-ID`
/// names its audit line and its error.log line.
#[test]
fn audit_log_records_every_decision_with_its_details() {
    let up = Upstream::start();
    let mut conf = Conf::new(rules(), &up).http(&documented_log_format());
    conf.server = "access_log {dir}/audit.log misp_guard_audit;".into();
    // Echo the request id on allowed responses (2xx only: not on the module's 403), to
    // find their audit lines.
    conf = conf.more("add_header X-Test-Request-ID $request_id;");
    let n = Nginx::start("audit", conf);

    // An allowed push: judged by the rules of its source (misp-guard's choice for pushes).
    let r = send(&n, &push("audit-push-ok", &allowed_event()));
    assert_eq!(r.status, 200);
    let id = r.header("X-Test-Request-ID").expect("X-Test-Request-ID").to_owned();
    let v = audit_line(&n, &id);
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("allow", "request_body"), "{v}");
    assert_eq!(v["status"], 200);
    assert_eq!(s(&v, "rule"), "instance_2_2", "{v}");
    assert_eq!((s(&v, "reason"), s(&v, "message"), s(&v, "pointer")), ("", "", ""), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(allowed_event().len() as u64), "{v}");
    let t = v["eval_seconds"].as_f64().expect("eval_seconds");
    assert!(t > 0.0 && t < 10.0, "{v}");

    // A refused push.
    let from = n.log_len();
    let r = send(&n, &push("audit-push-red", &blocked_event()));
    let id = refusal_id(&n, &r, from, TAG_LOG);
    let v = audit_line(&n, &id);
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("block", "request_body"), "{v}");
    assert_eq!(v["status"], 403);
    assert_eq!((s(&v, "reason"), s(&v, "message")), ("event_blocked_tag", TAG_LOG), "{v}");
    assert_eq!((s(&v, "rule"), s(&v, "pointer")), ("instance_2_2", "/Event/Tag/0"), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(blocked_event().len() as u64), "{v}");
    assert!(v["eval_seconds"].as_f64().is_some_and(|t| t > 0.0), "{v}");
    assert!(up.received("audit-push-red").is_empty());

    // An allowed and a refused pull, over HTTP/2.
    up.set("audit-pull-ok", Reply::json(allowed_event()));
    let r = send(&n, &pull("audit-pull-ok").proto(Proto::H2));
    assert_eq!((r.status, r.version.as_str()), (200, "2"));
    let v = audit_line(&n, r.header("X-Test-Request-ID").expect("X-Test-Request-ID"));
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("allow", "response_body"), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(allowed_event().len() as u64), "{v}");

    up.set("audit-pull-red", Reply::json(blocked_event()));
    let from = n.log_len();
    let r = send(&n, &pull("audit-pull-red").proto(Proto::H2));
    let id = refusal_id(&n, &r, from, TAG_LOG);
    let v = audit_line(&n, &id);
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("block", "response_body"), "{v}");
    assert_eq!((s(&v, "reason"), s(&v, "message")), ("event_blocked_tag", TAG_LOG), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(blocked_event().len() as u64), "{v}");

    // Refused at the request level: no body read, no rule.
    let from = n.log_len();
    let r = send(&n, &Req::new("GET", "/users").wiring("audit-users", Some(PUSH_SRC), PUSH_DST));
    let id = refusal_id(&n, &r, from, "request blocked: [GET]/users - endpoint not allowed");
    let v = audit_line(&n, &id);
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("block", "request"), "{v}");
    assert_eq!((s(&v, "reason"), s(&v, "rule")), ("endpoint_not_allowed", ""), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(0), "{v}");

    // A message with quotes and control bytes stays one valid JSON line.
    let from = n.log_len();
    let r = send(
        &n,
        &Req::new("GET", PULL_PATH)
            .header("X-Test-Id", "audit-inject")
            .header("X-Real-Client-IP", PULL_SRC)
            .header("X-Test-Dst", "ev\"il\x1bhost"),
    );
    let id = refusal_id(&n, &r, from, "does not exist in instances hosts mapping");
    let v = audit_line(&n, &id);
    assert_eq!(s(&v, "reason"), "destination_unknown", "{v}");
    assert_eq!(
        s(&v, "message"),
        "destination host ev\"il\\x1bhost does not exist in instances hosts mapping",
        "{v}"
    );

    // An allowlist pass: decided at the request level.
    let r =
        send(&n, &Req::new("GET", "/torlist").wiring("audit-allow", Some(PUSH_SRC), ALLOWLISTED));
    assert_eq!(r.status, 200);
    let v = audit_line(&n, r.header("X-Test-Request-ID").expect("X-Test-Request-ID"));
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("allow", "request"), "{v}");
    assert_eq!(v["bytes_inspected"].as_u64(), Some(0), "{v}");

    let log = read(&n, "audit.log");
    assert_eq!(log.lines().count(), 7, "{log}");
    n.stop();
}

/// Report mode: the refusal is recorded as `would_block` and the request forwarded.
#[test]
fn audit_log_records_report_mode_refusals_as_would_block() {
    let up = Upstream::start();
    let mut conf = Conf::new(rules(), &up)
        .http(&documented_log_format())
        .more("misp_guard_mode report;")
        .more("add_header X-Test-Request-ID $request_id;");
    conf.server = "access_log {dir}/audit.log misp_guard_audit;".into();
    let n = Nginx::start("audit-report", conf);
    let r = send(&n, &push("audit-report", &blocked_event()));
    assert_eq!(r.status, 200);
    assert_eq!(up.received("audit-report").len(), 1);
    let v = audit_line(&n, r.header("X-Test-Request-ID").expect("X-Test-Request-ID"));
    assert_eq!((s(&v, "decision"), s(&v, "stage")), ("would_block", "request_body"), "{v}");
    assert_eq!((s(&v, "reason"), s(&v, "message")), ("event_blocked_tag", TAG_LOG), "{v}");
    n.stop();
}

// --- metrics ------------------------------------------------------------------------------

/// `GET /misp_guard_status`: the samples, `name{labels}` → value.
fn scrape(n: &Nginx) -> (String, std::collections::BTreeMap<String, f64>) {
    let r = send(n, &Req::new("GET", "/misp_guard_status"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = String::from_utf8(r.body).expect("UTF-8 exposition");
    let samples = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap_or_else(|| panic!("bad sample: {l}"));
            (k.to_owned(), v.parse::<f64>().unwrap_or_else(|e| panic!("{e}: {l}")))
        })
        .collect();
    (text, samples)
}

/// Waits until every request sent was counted (a request is counted when nginx frees
/// it, just after its last byte was sent); then the scrape.
fn scrape_when_counted(
    n: &Nginx,
    requests: f64,
) -> (String, std::collections::BTreeMap<String, f64>) {
    for _ in 0..100 {
        let (text, samples) = scrape(n);
        let counted: f64 = samples
            .iter()
            .filter(|(k, _)| k.starts_with("misp_guard_decisions_total{"))
            .map(|(_, v)| v)
            .sum();
        if counted >= requests {
            return (text, samples);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    scrape(n)
}

/// A known mix of traffic (two workers, HTTP/1.1 and HTTP/2), then a scrape: every
/// counter has the value the mix implies, the rule counters agree with the audit log.
/// After a reload, new worker processes serve the scrape and still see every count
/// (the zone is shared by processes and kept by the reload).
#[test]
fn misp_guard_status_counts_every_decision_and_keeps_counts_over_reloads() {
    let up = Upstream::start();
    let mut conf = Conf::new(rules(), &up).http(&documented_log_format());
    conf.server = format!(
        "access_log {{dir}}/audit.log misp_guard_audit;
        location = /misp_guard_status {{
            misp_guard_status;
            allow 127.0.0.1;
            deny all;
        }}
        location /events/view/ {{
            misp_guard on;
            misp_guard_mode report;
            misp_guard_destination $http_x_test_dst;
            proxy_pass http://127.0.0.1:{};
        }}",
        up.port
    );
    let n = Nginx::start("metrics", conf);

    // Nothing counted yet; every family present.
    let (text, samples) = scrape(&n);
    for d in ["allow", "block", "would_block", "none"] {
        assert_eq!(samples[&format!("misp_guard_decisions_total{{decision=\"{d}\"}}")], 0.0);
    }
    assert_eq!(samples["misp_guard_body_evaluation_seconds_count"], 0.0, "{text}");

    let garbage = b"this is not gzip".to_vec();
    let mut bytes = 0usize;
    for (i, proto) in [Proto::H1, Proto::H2].into_iter().enumerate() {
        let r = send(&n, &push(&format!("m-push-ok-{i}"), &allowed_event()).proto(proto));
        assert_eq!(r.status, 200);
        bytes += allowed_event().len();
    }
    let r = send(&n, &push("m-push-red", &blocked_event()).proto(Proto::H2));
    assert_eq!(r.status, 403);
    bytes += blocked_event().len();
    up.set("m-pull-ok", Reply::json(allowed_event()));
    assert_eq!(send(&n, &pull("m-pull-ok")).status, 200);
    bytes += allowed_event().len();
    // report mode in /events/view/: forwarded, counted as would_block
    up.set("m-pull-red", Reply::json(blocked_event()));
    assert_eq!(send(&n, &pull("m-pull-red")).status, 200);
    bytes += blocked_event().len();
    let r = send(&n, &Req::new("GET", "/users").wiring("m-users", Some(PUSH_SRC), PUSH_DST));
    assert_eq!(r.status, 403);
    let r = send(&n, &push("m-gzip", &garbage).header("Content-Encoding", "gzip"));
    assert_eq!(r.status, 403);
    bytes += garbage.len();

    let (text, samples) = scrape_when_counted(&n, 7.0);
    let mut want: std::collections::BTreeMap<String, f64> = [
        ("misp_guard_decisions_total{decision=\"allow\"}", 3.0),
        ("misp_guard_decisions_total{decision=\"block\"}", 3.0),
        ("misp_guard_decisions_total{decision=\"would_block\"}", 1.0),
        ("misp_guard_decisions_total{decision=\"none\"}", 0.0),
        ("misp_guard_refusals_total{reason=\"decode_error\",decision=\"block\"}", 1.0),
        ("misp_guard_refusals_total{reason=\"decode_error\",decision=\"would_block\"}", 0.0),
        ("misp_guard_refusals_total{reason=\"endpoint_not_allowed\",decision=\"block\"}", 1.0),
        (
            "misp_guard_refusals_total{reason=\"endpoint_not_allowed\",decision=\"would_block\"}",
            0.0,
        ),
        ("misp_guard_refusals_total{reason=\"event_blocked_tag\",decision=\"block\"}", 1.0),
        ("misp_guard_refusals_total{reason=\"event_blocked_tag\",decision=\"would_block\"}", 1.0),
        ("misp_guard_inspected_bytes_total", bytes as f64),
        ("misp_guard_decode_refusals_total", 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    // Rule counters: what the audit log says decided each request.
    let audit = read(&n, "audit.log");
    let mut audited = 0;
    for line in audit.lines() {
        let v: Value = serde_json::from_str(line).expect("audit JSON");
        if v["request"].as_str().is_some_and(|r| r.contains("misp_guard_status")) {
            continue;
        }
        audited += 1;
        let rule = s(&v, "rule");
        if rule.is_empty() {
            continue;
        }
        for d in ["allow", "block", "would_block"] {
            let k = format!("misp_guard_rule_decisions_total{{rule=\"{rule}\",decision=\"{d}\"}}");
            let add = if s(&v, "decision") == d { 1.0 } else { 0.0 };
            *want.entry(k).or_insert(0.0) += add;
        }
    }
    assert_eq!(audited, 7, "{audit}");
    assert!(want.keys().any(|k| k.contains("rule=\"instance_2_2\"")), "{want:?}");
    let got: std::collections::BTreeMap<String, f64> = samples
        .iter()
        .filter(|(k, _)| !k.starts_with("misp_guard_body_evaluation_seconds"))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(got, want, "{text}");

    // One evaluation time per body judged: 2 + 1 pushes, 2 pulls, the gzip push.
    assert_eq!(samples["misp_guard_body_evaluation_seconds_count"], 6.0, "{text}");
    assert_eq!(samples["misp_guard_body_evaluation_seconds_bucket{le=\"+Inf\"}"], 6.0, "{text}");
    let sum = samples["misp_guard_body_evaluation_seconds_sum"];
    assert!(sum > 0.0 && sum < 60.0, "{text}");
    let buckets: Vec<f64> = samples
        .iter()
        .filter(|(k, _)| k.starts_with("misp_guard_body_evaluation_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(buckets.len(), 13, "{text}");
    let mut lines =
        text.lines().filter(|l| l.starts_with("misp_guard_body_evaluation_seconds_bucket"));
    let mut last = 0.0;
    for l in lines.by_ref() {
        let v: f64 = l.rsplit_once(' ').and_then(|(_, v)| v.parse().ok()).expect("bucket");
        assert!(v >= last, "buckets not cumulative: {text}");
        last = v;
    }

    // Kept across a reload (same zone), and still counting.
    n.reload();
    let r = send(&n, &push("m-after-reload", &allowed_event()));
    assert_eq!(r.status, 200);
    let (text, samples) = scrape_when_counted(&n, 8.0);
    assert_eq!(samples["misp_guard_decisions_total{decision=\"allow\"}"], 4.0, "{text}");
    assert_eq!(samples["misp_guard_decisions_total{decision=\"block\"}"], 3.0, "{text}");
    assert_eq!(
        samples["misp_guard_inspected_bytes_total"],
        (bytes + allowed_event().len()) as f64,
        "{text}"
    );
    assert_eq!(samples["misp_guard_body_evaluation_seconds_count"], 7.0, "{text}");
    n.stop();
}
