//! One test per behaviour of the module in a real nginx (see `common` for the wiring):
//! configuration errors, reload, report mode, large bodies through temp files, gzip and br
//! both ways, client aborts, slow clients, upstream resets and timeouts, concurrent mixed
//! traffic, HTTP/2, log escaping. Every test stops its nginx with `Nginx::stop`, which
//! asserts that no worker `exited on signal`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::corpus::*;
use common::{send, Conf, Nginx, Proto, Reply, Req, Upstream};
use serde_json::Value;

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).expect("gzip");
    e.finish().expect("gzip")
}

fn brotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(b).expect("br");
    }
    out
}

/// An event of at least `size` bytes: the allowed fixture's attribute repeated, and,
/// when `tag_at_end`, a `tlp:red` event tag after all of them.
fn big_event(size: usize, tag_at_end: bool) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&allowed_event()).expect("fixture json");
    let ev = v["Event"].as_object_mut().expect("Event");
    let attr = ev["Attribute"][0].clone();
    let one = serde_json::to_vec(&attr).expect("attr").len() + 1;
    let n = size / one + 1;
    let attrs: Vec<Value> = (0..n)
        .map(|i| {
            let mut a = attr.clone();
            a["id"] = Value::String(format!("{}", i + 1));
            a["value"] =
                Value::String(format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255));
            a
        })
        .collect();
    ev.insert("Attribute".into(), Value::Array(attrs));
    let mut text = serde_json::to_vec(&v).expect("serialize");
    if tag_at_end {
        let tags: Value = serde_json::from_slice::<Value>(&blocked_event()).expect("json")["Event"]
            ["Tag"]
            .clone();
        // Insert before the closing `}}` so the tag is the event's last member.
        let tail = text.split_off(text.len() - 2);
        text.extend_from_slice(format!(",\"Tag\":{tags}").as_bytes());
        text.extend_from_slice(&tail);
    }
    assert!(text.len() >= size);
    text
}

fn write_rules(dir: &Path, v: &Value) -> PathBuf {
    let p = dir.join("rules.json");
    std::fs::write(&p, serde_json::to_vec_pretty(v).expect("rules")).expect("write rules");
    p
}

// --- configuration ----------------------------------------------------------------------

#[test]
fn nginx_t_accepts_good_rules_and_reports_bad_ones_with_file_line_col() {
    let up = Upstream::start();
    let (ok, err) = Nginx::test_config(&Conf::new(rules(), &up));
    assert!(ok, "good configuration refused: {err}");

    let dir = common::scratch("badrules");
    // Syntax error on line 3.
    let bad = dir.join("syntax.json");
    std::fs::write(&bad, "{\n  \"allowlist\": {\n    \"urls\": [,]\n  }\n}\n").unwrap();
    let (ok, err) = Nginx::test_config(&Conf::new(&bad, &up));
    assert!(!ok, "nginx -t accepted a broken rules file");
    let want = format!("{}:3:", bad.display());
    assert!(err.contains(&want), "no `{want}` in: {err}");
    assert!(err.contains("[emerg]"), "{err}");

    // A semantic error (wrong type) also names the file, line and column.
    let mut v: Value = serde_json::from_slice(&std::fs::read(rules()).unwrap()).unwrap();
    v["instances"]["instance_1_1"]["port"] = Value::String("not a port".into());
    let sem = write_rules(&dir, &v);
    let (ok, err) = Nginx::test_config(&Conf::new(&sem, &up));
    assert!(!ok, "nginx -t accepted a wrong-typed port");
    let prefix = format!("{}:", sem.display());
    let pos = err.find(&prefix).map(|i| &err[i + prefix.len()..]).unwrap_or("");
    let mut it = pos.split(':');
    let (l, c) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
    assert!(
        l.parse::<u32>().is_ok_and(|l| l > 1) && c.parse::<u32>().is_ok(),
        "no FILE:LINE:COL in: {err}"
    );

    // A missing file.
    let (ok, err) = Nginx::test_config(&Conf::new(dir.join("missing.json"), &up));
    assert!(!ok && err.contains("cannot read"), "{err}");

    // `misp_guard on` without rules.
    let (ok, err) = Nginx::test_config(&Conf::new("", &up));
    assert!(!ok && err.contains("needs \"misp_guard_config\""), "{err}");

    // A bad directive value.
    let conf = Conf::new(rules(), &up).more("misp_guard_mode sometimes;");
    let (ok, err) = Nginx::test_config(&conf);
    assert!(!ok && err.contains("invalid value \"sometimes\""), "{err}");
}

/// Issue #15: `nginx -t` fails on a literal `misp_guard_destination` that no request
/// can pass (bad scheme or port, a host that is no instance nor allowlisted domain, an
/// instance's host on another port), names `misp_guard_mode`'s values, refuses a
/// decompression ratio of 0, and shows the keys the rules file holds that no rule reads.
#[test]
fn nginx_t_checks_directive_values_against_the_rules() {
    let up = Upstream::start();
    let dest = |d: &str| {
        let conf = Conf::new(rules(), &up)
            .location(&format!("misp_guard on;\n            misp_guard_destination {d};"));
        Nginx::test_config(&conf)
    };
    for good in [
        "instance1-comp1.com",
        "https://instance1-comp1.com",
        "instance1-comp1.com:443",
        "10.0.0.1:443",
        "snort-org-site.s3.amazonaws.com",
        "www.dan.me.uk:443",
        "$http_x_test_dst",
    ] {
        let (ok, err) = dest(good);
        assert!(ok, "{good} refused: {err}");
    }
    for (bad, why) in [
        ("ftp://instance1-comp1.com", "has a scheme that is neither http:// nor https://"),
        ("instance1-comp1.com:0", "has a port that is not 1-65535"),
        ("instance1-comp1.com:99999", "has a port that is not 1-65535"),
        ("https://:443", "has no host"),
        (
            "misp.example.org",
            "host \"misp.example.org\" is neither an instance's host or ip nor an allowlisted domain",
        ),
        (
            "instance1-comp1.com:8443",
            "port 8443, but instance \"instance_1_1\" is on port 443",
        ),
        ("http://instance1-comp1.com", "port 80, but instance \"instance_1_1\" is on port 443"),
    ] {
        let (ok, err) = dest(bad);
        assert!(!ok, "nginx -t accepted misp_guard_destination {bad}");
        assert!(err.contains("[emerg]") && err.contains("misp_guard_destination"), "{err}");
        assert!(err.contains(why), "{bad}: no `{why}` in: {err}");
    }

    let conf = Conf::new(rules(), &up).more("misp_guard_mode enforcing;");
    let (ok, err) = Nginx::test_config(&conf);
    assert!(!ok, "nginx -t accepted misp_guard_mode enforcing");
    let want = "misp_guard_mode: invalid value \"enforcing\" (expected \"enforce\" or \"report\")";
    assert!(err.contains(want), "{err}");

    for (ratio, ok_wanted) in [("0", false), ("1", true), ("1000", true)] {
        let conf =
            Conf::new(rules(), &up).more(&format!("misp_guard_max_decompression_ratio {ratio};"));
        let (ok, err) = Nginx::test_config(&conf);
        assert_eq!(ok, ok_wanted, "ratio {ratio}: {err}");
        if !ok_wanted {
            assert!(err.contains("misp_guard_max_decompression_ratio must be at least 1"), "{err}");
        }
    }

    // Keys no rule reads load (as in misp-guard) and are named, at warn level.
    let dir = common::scratch("annotated-rules");
    let mut v: Value = serde_json::from_slice(&std::fs::read(rules()).unwrap()).unwrap();
    v["comment"] = Value::String("reviewed by the SOC".into());
    v["instances"]["instance_1_1"]["_note"] = Value::from(1);
    let annotated = write_rules(&dir, &v);
    let (ok, err) = Nginx::test_config(&Conf::new(&annotated, &up));
    assert!(ok, "annotated rules refused: {err}");
    let warns: Vec<&str> = err.lines().filter(|l| l.contains("[warn]")).collect();
    assert_eq!(warns.len(), 2, "{err}");
    assert!(
        warns.iter().any(|l| l.contains("key `comment` ignored: no rule reads it (at comment)")),
        "{err}"
    );
    assert!(
        warns.iter().any(|l| l.contains(&format!("{}:", annotated.display()))
            && l.contains("(at instances.instance_1_1._note)")),
        "{err}"
    );
    // A misspelt key still fails.
    v["instances"]["instance_1_1"]["blocked_object_type"] = Value::Array(vec![]);
    let misspelt = write_rules(&dir, &v);
    let (ok, err) = Nginx::test_config(&Conf::new(&misspelt, &up));
    assert!(!ok && err.contains("did you mean `blocked_object_types`?"), "{err}");
}

#[test]
fn reload_picks_up_changed_rules_and_keeps_old_ones_on_a_bad_file() {
    let up = Upstream::start();
    let dir = common::scratch("reload-rules");
    let strict: Value = serde_json::from_slice(&std::fs::read(rules()).unwrap()).unwrap();
    let mut lax = strict.clone();
    lax["instances"]["instance_2_2"]["taxonomies_rules"]["blocked_tags"] = Value::Array(vec![]);
    let path = write_rules(&dir, &lax);
    let n = Nginx::start("reload", Conf::new(&path, &up));

    let r = send(&n, &push("reload-1", &blocked_event()));
    assert_eq!(r.status, 200, "lax rules should let tlp:red through: {}", n.error_log());
    assert_eq!(up.received("reload-1").len(), 1);

    write_rules(&dir, &strict);
    n.reload();
    let from = n.log_len();
    let r = send(&n, &push("reload-2", &blocked_event()));
    assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]));
    assert!(up.received("reload-2").is_empty());
    assert!(n.log_since(from).contains(TAG_LOG));

    // A broken file: the reload fails, the running rules stay in force.
    std::fs::write(&path, "{ nope").unwrap();
    let before = n.log_len();
    // SAFETY: signalling the nginx master we started.
    unsafe {
        libc::kill(
            std::fs::read_to_string(n.dir.join("nginx.pid")).unwrap().trim().parse().unwrap(),
            libc::SIGHUP,
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !n.log_since(before).contains("[emerg]") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(n.log_since(before).contains(&format!("{}:1:", path.display())));
    let r = send(&n, &push("reload-3", &blocked_event()));
    assert_eq!(r.status, 403);
    let r = send(&n, &push("reload-4", &allowed_event()));
    assert_eq!(r.status, 200);
    n.stop();
}

// --- modes ------------------------------------------------------------------------------

#[test]
fn report_mode_logs_and_forwards() {
    let up = Upstream::start();
    let conf = Conf::new(rules(), &up).more("misp_guard_mode report;");
    let n = Nginx::start("report", conf);

    let from = n.log_len();
    let r = send(&n, &push("report-push", &blocked_event()));
    assert_eq!(r.status, 200);
    assert_eq!(up.received("report-push")[0].body, blocked_event());
    let log = n.log_since(from);
    assert!(log.contains(TAG_LOG) && log.contains("misp_guard_mode report"), "{log}");

    up.set("report-pull", Reply::json(blocked_event()));
    let from = n.log_len();
    let r = send(&n, &pull("report-pull"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, blocked_event());
    assert!(n.log_since(from).contains(TAG_LOG));

    let from = n.log_len();
    let r = send(&n, &Req::new("GET", "/users").wiring("report-users", Some(PUSH_SRC), PUSH_DST));
    assert_eq!(r.status, 200);
    assert!(n.log_since(from).contains("endpoint not allowed"));
    n.stop();
}

#[test]
fn off_location_is_not_inspected() {
    let up = Upstream::start();
    let n = Nginx::start("off", Conf::new(rules(), &up).location("misp_guard off;"));
    let r = send(&n, &push("off-1", &blocked_event()));
    assert_eq!(r.status, 200);
    assert_eq!(up.received("off-1").len(), 1);
    n.stop();
}

// --- large bodies -------------------------------------------------------------------------

#[test]
fn push_of_20_mb_goes_through_temp_files_and_is_judged_whole() {
    let up = Upstream::start();
    let n = Nginx::start("big-push", Conf::new(rules(), &up));
    let ok = big_event(20 << 20, false);
    // The same size with a blocked tag after the last attribute.
    let red = big_event(20 << 20, true);
    for proto in [Proto::H1, Proto::H2] {
        let id = format!("big-ok-{proto}");
        let from = n.log_len();
        let r = send(&n, &push(&id, &ok).proto(proto));
        let log = n.log_since(from);
        assert_eq!(r.status, 200, "{proto}: {log}");
        let got = up.received(&id);
        assert_eq!(got.len(), 1);
        assert!(got[0].body == ok, "{proto}: upstream received {} bytes", got[0].body.len());
        assert!(log.contains("a client request body is buffered to a temporary file"), "{log}");

        let id = format!("big-red-{proto}");
        let from = n.log_len();
        let r = send(&n, &push(&id, &red).proto(proto));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{proto}");
        assert!(up.received(&id).is_empty());
        assert!(n.log_since(from).contains(TAG_LOG));
    }
    n.stop();
}

#[test]
fn pull_of_20_mb_is_held_through_cache_files_then_released_unchanged() {
    let up = Upstream::start();
    // proxy_cache makes nginx write the upstream response to a temp file and hand the body
    // filter file buffers; the second request is served from the cache file (sendfile
    // buffers). Both must be read back, judged and released unchanged.
    let conf = Conf::new(rules(), &up).http("proxy_cache_path {dir}/cache keys_zone=mg:1m;").more(
        "proxy_cache mg; proxy_cache_valid 200 1m; add_header X-Cache $upstream_cache_status;",
    );
    let n = Nginx::start("big-pull", conf);
    let body = big_event(20 << 20, false);
    up.set("big-pull-ok", Reply::json(body.clone()));
    let from = n.log_len();
    let r = send(&n, &pull("big-pull-ok"));
    let log = n.log_since(from);
    assert_eq!(r.status, 200, "{log}");
    assert!(r.body == body, "client received {} bytes, not the body", r.body.len());
    let cached = std::fs::read_dir(n.dir.join("cache")).map(|d| d.count()).unwrap_or(0);
    assert!(cached > 0, "the response did not go through a cache file");
    // Served from the cache file: file-only buffers.
    let r = send(&n, &pull("big-pull-cached"));
    assert_eq!(r.status, 200);
    assert!(r.body == body, "cache hit: client received {} bytes", r.body.len());
    assert!(up.received("big-pull-cached").is_empty(), "expected a cache hit");

    let other = PULL_PATH.replace("385283a1", "485283a1");
    let body = big_event(20 << 20, true);
    up.set("big-pull-blocked", Reply::json(body));
    let from = n.log_len();
    let r = send(&n, &Req::new("GET", &other).wiring("big-pull-blocked", Some(PULL_SRC), PULL_DST));
    assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]));
    assert!(n.log_since(from).contains(TAG_LOG));
    n.stop();
}

#[test]
fn bodies_over_misp_guard_max_body_size_are_refused_both_ways() {
    let up = Upstream::start();
    let conf = Conf::new(rules(), &up).more("misp_guard_max_body_size 1m;");
    let n = Nginx::start("max-body", conf);
    let body = big_event(2 << 20, false);

    let from = n.log_len();
    let r = send(&n, &push("max-push", &body));
    assert_eq!(r.status, 403);
    assert!(up.received("max-push").is_empty());
    assert!(n.log_since(from).contains("request body larger than 1048576 bytes"));

    up.set("max-pull", Reply::json(body));
    let from = n.log_len();
    let r = send(&n, &pull("max-pull"));
    assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]));
    assert!(n.log_since(from).contains("response body larger than 1048576 bytes"));

    // Under the bound: allowed.
    let r = send(&n, &push("max-small", &allowed_event()));
    assert_eq!(r.status, 200);
    n.stop();
}

// --- content encodings ------------------------------------------------------------------

#[test]
fn gzip_and_br_bodies_are_decoded_both_ways_and_forwarded_unchanged() {
    let up = Upstream::start();
    let n = Nginx::start("encodings", Conf::new(rules(), &up));
    for (enc, f) in [("gzip", gzip as fn(&[u8]) -> Vec<u8>), ("br", brotli)] {
        // push, allowed: the upstream gets the encoded bytes as sent.
        let ok = f(&allowed_event());
        let id = format!("{enc}-push-ok");
        let r = send(&n, &push(&id, &ok).header("Content-Encoding", enc));
        assert_eq!(r.status, 200, "{enc} push allowed");
        let got = up.received(&id);
        assert_eq!(got[0].body, ok);
        assert_eq!(got[0].header("content-encoding"), Some(enc));

        // push, blocked: decoded, judged, refused.
        let id = format!("{enc}-push-blocked");
        let from = n.log_len();
        let r = send(&n, &push(&id, &f(&blocked_event())).header("Content-Encoding", enc));
        assert_eq!(r.status, 403, "{enc} push blocked");
        assert!(up.received(&id).is_empty());
        assert!(n.log_since(from).contains(TAG_LOG), "{enc}");

        // pull, allowed: the client gets the encoded bytes unchanged.
        let id = format!("{enc}-pull-ok");
        up.set(&id, Reply::json(ok.clone()).header("Content-Encoding", enc));
        let r = send(&n, &pull(&id));
        assert_eq!(r.status, 200, "{enc} pull allowed");
        assert_eq!(r.body, ok);

        // pull, blocked.
        let id = format!("{enc}-pull-blocked");
        up.set(&id, Reply::json(f(&blocked_event())).header("Content-Encoding", enc));
        let from = n.log_len();
        let r = send(&n, &pull(&id));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{enc} pull blocked");
        assert!(n.log_since(from).contains(TAG_LOG), "{enc}");
    }
    // An encoding the guard does not decode is refused.
    let from = n.log_len();
    let r = send(&n, &push("zstd-push", b"(\xb5/\xfd").header("Content-Encoding", "zstd"));
    assert_eq!(r.status, 403);
    assert!(n.log_since(from).contains("unsupported content encoding"));
    n.stop();
}

// --- failures ---------------------------------------------------------------------------

fn raw_head(id: &str, len: usize) -> String {
    format!(
        "POST {PUSH_PATH} HTTP/1.1\r\nHost: {PUSH_DST}\r\nX-Test-Id: {id}\r\nX-Test-Dst: {PUSH_DST}\r\nX-Real-Client-IP: {PUSH_SRC}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

#[test]
fn client_abort_mid_body_reaches_nothing_and_slow_bodies_work() {
    let up = Upstream::start();
    let n = Nginx::start("abort", Conf::new(rules(), &up));
    let body = big_event(1 << 20, false);

    // Abort after a third of the body.
    let mut s = TcpStream::connect(("127.0.0.1", n.plain_port)).unwrap();
    s.write_all(raw_head("abort-1", body.len()).as_bytes()).unwrap();
    s.write_all(&body[..body.len() / 3]).unwrap();
    drop(s);
    std::thread::sleep(Duration::from_millis(500));
    assert!(up.received("abort-1").is_empty(), "an aborted push reached the upstream");

    // A slow body, sent in pieces.
    let mut s = TcpStream::connect(("127.0.0.1", n.plain_port)).unwrap();
    s.write_all(raw_head("slow-1", body.len()).as_bytes()).unwrap();
    for piece in body.chunks(body.len() / 5 + 1) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
    let mut resp = String::new();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let _ = s.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 200"), "{}", &resp[..resp.len().min(200)]);
    assert_eq!(up.received("slow-1")[0].body, body);

    // Still serving.
    assert_eq!(send(&n, &push("abort-after", &allowed_event())).status, 200);
    n.stop();
}

#[test]
fn upstream_reset_mid_response_releases_nothing() {
    let up = Upstream::start();
    let n = Nginx::start("reset", Conf::new(rules(), &up));
    let body = allowed_event();
    for proto in [Proto::H1, Proto::H2] {
        let id = format!("reset-{proto}");
        let mut reply = Reply::json(body.clone());
        reply.cut_after = Some(body.len() / 2);
        up.set(&id, reply);
        let r = send(&n, &pull(&id).proto(proto));
        assert_ne!(r.status, 200, "{proto}: a truncated response was released");
        let head = &body[..32];
        assert!(
            !r.body.windows(head.len()).any(|w| w == head),
            "{proto}: upstream bytes reached the client"
        );
    }
    // Still serving.
    up.set("reset-after", Reply::json(body.clone()));
    let r = send(&n, &pull("reset-after"));
    assert_eq!((r.status, r.body), (200, body));
    n.stop();
}

#[test]
fn upstream_timeout_and_slow_loris_bodies_release_nothing() {
    let up = Upstream::start();
    let conf =
        Conf::new(rules(), &up).http("client_body_timeout 1s;").more("proxy_read_timeout 1s;");
    let n = Nginx::start("timeouts", conf);

    // The upstream sends half a response, then falls silent past proxy_read_timeout.
    let body = allowed_event();
    for proto in [Proto::H1, Proto::H2] {
        let id = format!("stall-{proto}");
        let mut reply = Reply::json(body.clone());
        reply.stall_after = Some(body.len() / 2);
        up.set(&id, reply);
        let r = send(&n, &pull(&id).proto(proto));
        assert_ne!(r.status, 200, "{proto}: a timed-out response was released");
        let head = &body[..32];
        assert!(
            !r.body.windows(head.len()).any(|w| w == head),
            "{proto}: upstream bytes reached the client"
        );
    }

    // A client that sends the head and a few bytes of a push, then nothing.
    let push_body = allowed_event();
    let mut s = TcpStream::connect(("127.0.0.1", n.plain_port)).unwrap();
    s.write_all(raw_head("loris", push_body.len()).as_bytes()).unwrap();
    s.write_all(&push_body[..64]).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    assert!(!resp.starts_with(b"HTTP/1.1 200"), "a stalled push was answered 200");
    assert!(up.received("loris").is_empty(), "a stalled push reached the upstream");

    // Still serving.
    assert_eq!(send(&n, &push("timeouts-after", &allowed_event())).status, 200);
    n.stop();
}

/// Clients at once, each mixing allowed and blocked pushes and pulls (HTTP/1.1 and
/// HTTP/2, plain and gzip, small and spilled to temp files) with client aborts; every
/// request must keep its own verdict and the upstream must see exactly the allowed pushes.
#[test]
fn concurrent_mixed_traffic_keeps_every_verdict() {
    const CLIENTS: usize = 6;
    const ROUNDS: usize = 12;
    let up = Upstream::start();
    let n = Nginx::start("concurrent", Conf::new(rules(), &up));
    let (ok, red) = (allowed_event(), blocked_event());
    let (big_ok, big_red) = (big_event(300 << 10, false), big_event(300 << 10, true));

    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (n, up) = (&n, &up);
                let (ok, red, big_ok, big_red) = (&ok, &red, &big_ok, &big_red);
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for i in 0..ROUNDS {
                        let proto = if (c + i) % 2 == 0 { Proto::H1 } else { Proto::H2 };
                        let id = |k: &str| format!("mix-{c}-{i}-{k}");
                        let big = i % 4 == 3;
                        let (good, evil) = if big { (big_ok, big_red) } else { (ok, red) };

                        let r = send(n, &push(&id("push-ok"), good).proto(proto));
                        let got = up.received(&id("push-ok"));
                        if r.status != 200 || got.len() != 1 || &got[0].body != good {
                            bad.push(format!("{}: {} {}", id("push-ok"), r.status, got.len()));
                        }

                        let mut req = push(&id("push-red"), evil).proto(proto);
                        if i % 3 == 1 {
                            req = req.header("Content-Encoding", "gzip");
                            req.body = Some(gzip(evil));
                        }
                        let r = send(n, &req);
                        if (r.status, r.body.as_slice()) != (403, &b"Forbidden"[..])
                            || !up.received(&id("push-red")).is_empty()
                        {
                            bad.push(format!("{}: {}", id("push-red"), r.status));
                        }

                        up.set(&id("pull-ok"), Reply::json(good.clone()));
                        let r = send(n, &pull(&id("pull-ok")).proto(proto));
                        if r.status != 200 || &r.body != good {
                            bad.push(format!("{}: {}", id("pull-ok"), r.status));
                        }

                        up.set(&id("pull-red"), Reply::json(evil.clone()));
                        let r = send(n, &pull(&id("pull-red")).proto(proto));
                        if (r.status, r.body.as_slice()) != (403, &b"Forbidden"[..]) {
                            bad.push(format!("{}: {}", id("pull-red"), r.status));
                        }

                        // A client that gives up half way through an allowed push.
                        let mut t = TcpStream::connect(("127.0.0.1", n.plain_port)).unwrap();
                        t.write_all(raw_head(&id("abort"), good.len()).as_bytes()).unwrap();
                        t.write_all(&good[..good.len() / 2]).unwrap();
                        drop(t);
                    }
                    bad
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("client thread")).collect()
    });
    assert!(failures.is_empty(), "{} wrong verdicts:\n{}", failures.len(), failures.join("\n"));

    std::thread::sleep(Duration::from_millis(500));
    for c in 0..CLIENTS {
        for i in 0..ROUNDS {
            assert!(up.received(&format!("mix-{c}-{i}-abort")).is_empty(), "abort {c}-{i}");
        }
    }
    let log = n.stop();
    let blocked = log.matches("request blocked: ").count();
    assert!(
        blocked >= 2 * CLIENTS * ROUNDS,
        "{blocked} log lines for {} blocks",
        2 * CLIENTS * ROUNDS
    );
}

#[test]
fn pushes_must_be_json_to_misp_too() {
    let up = Upstream::start();
    let n = Nginx::start("content-type", Conf::new(rules(), &up));
    // PHP would read a form body into MISP's request data, whatever JSON it also is.
    for (proto, t) in [(Proto::H1, "application/x-www-form-urlencoded"), (Proto::H2, "text/plain")]
    {
        let id = format!("ct-{proto}");
        let mut req = push(&id, &allowed_event()).proto(proto);
        req.headers.retain(|(k, _)| k != "Content-Type");
        let from = n.log_len();
        let r = send(&n, &req.header("Content-Type", t));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{proto}");
        assert!(up.received(&id).is_empty());
        assert!(n.log_since(from).contains(&format!("unsupported content type: {t}")));
    }
    assert_eq!(send(&n, &push("ct-json", &allowed_event())).status, 200);
    n.stop();
}

/// `error_page … @backup` (another MISP answers, nginx keeps the error status) and
/// `try_files … @named` (nginx clears module contexts on the redirect, the named location
/// has no `misp_guard`): the pull is still judged, the push still refused.
#[test]
fn internal_redirects_keep_every_response_judged() {
    let up = Upstream::start();
    let dead = common::free_port();
    for (name, location, server) in [
        (
            "error-page",
            "misp_guard on;\n            misp_guard_destination $http_x_test_dst;\n            error_page 502 504 @backup;",
            format!("location @backup {{ proxy_pass http://127.0.0.1:{}; }}", up.port),
        ),
        (
            "try-files",
            "misp_guard on;\n            misp_guard_destination $http_x_test_dst;\n            try_files /nothing-here @misp;",
            format!("location @misp {{ proxy_pass http://127.0.0.1:{}; }}", up.port),
        ),
    ] {
        let mut conf = Conf::new(rules(), &up).location(location);
        conf.upstream_port = dead;
        conf.server = server;
        let n = Nginx::start(name, conf);
        let id = format!("{name}-red");
        up.set(&id, Reply::json(blocked_event()));
        let r = send(&n, &pull(&id));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{name}");
        let id = format!("{name}-ok");
        up.set(&id, Reply::json(allowed_event()));
        let r = send(&n, &pull(&id));
        assert_eq!(r.body, allowed_event(), "{name}: {}", r.status);
        let id = format!("{name}-push-red");
        assert_eq!(send(&n, &push(&id, &blocked_event())).status, 403, "{name}");
        assert!(up.received(&id).is_empty(), "{name}");
        n.stop();
    }
}

#[test]
fn http2_over_tls_push_and_pull() {
    let up = Upstream::start();
    let n = Nginx::start("h2", Conf::new(rules(), &up));
    let r = send(&n, &push("h2-push", &allowed_event()).proto(Proto::H2));
    assert_eq!((r.status, r.version.as_str()), (200, "2"));
    let r = send(&n, &push("h2-push-blocked", &blocked_event()).proto(Proto::H2));
    assert_eq!((r.status, r.version.as_str(), r.body.as_slice()), (403, "2", &b"Forbidden"[..]));
    assert!(up.received("h2-push-blocked").is_empty());
    up.set("h2-pull", Reply::json(allowed_event()));
    let r = send(&n, &pull("h2-pull").proto(Proto::H2));
    assert_eq!((r.status, r.version.as_str()), (200, "2"));
    assert_eq!(r.body, allowed_event());
    n.stop();
}

/// Red-team round 5: a request that asks to switch protocols is refused before it is
/// forwarded; were it forwarded and the upstream answered `101 Switching Protocols`,
/// nginx would copy the rest of the connection both ways past every filter.
#[test]
fn protocol_upgrades_are_refused() {
    let up = Upstream::start();
    let n = Nginx::start("upgrade", Conf::new(rules(), &up));
    for (i, (name, value)) in
        [("Upgrade", "h2c"), ("Upgrade", "websocket"), ("HTTP2-Settings", "AAMAAABkAAQCAAAA")]
            .into_iter()
            .enumerate()
    {
        let id = format!("upgrade-{i}");
        let mut reply =
            Reply::json(Vec::new()).header("Upgrade", value).header("Connection", "Upgrade");
        reply.status = 101;
        up.set(&id, reply);
        let from = n.log_len();
        let r = send(&n, &push(&id, &allowed_event()).header(name, value));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{name}");
        assert!(up.received(&id).is_empty(), "{name}");
        let log = n.log_since(from);
        assert!(log.contains(&format!("endpoint not allowed: protocol upgrade ({name})")), "{log}");
    }
    n.stop();
}

/// Red-team round 5: MISP sends its cached index search with `If-None-Match` and the
/// remote answers a bare `304 Not Modified` (`RestResponseComponent`); there is no body
/// to judge, and refusing it would fail every later pull while the index is unchanged.
#[test]
fn bodiless_answers_pass_unjudged() {
    let up = Upstream::start();
    let n = Nginx::start("not-modified", Conf::new(rules(), &up));
    for status in [304u16, 204] {
        let id = format!("index-{status}");
        let mut reply = Reply::json(Vec::new());
        reply.status = status;
        up.set(&id, reply.header("ETag", "\"abc\""));
        let req = Req::new("POST", "/events/index")
            .wiring(&id, Some(PULL_SRC), PULL_DST)
            .header("Content-Type", "application/json")
            .header("If-None-Match", "\"abc\"")
            .body(&br#"{"minimal":1,"published":1}"#[..]);
        let r = send(&n, &req);
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.body.is_empty());
        assert_eq!(up.received(&id).len(), 1);
    }
    // an empty 200 answer is still refused
    up.set("index-200", Reply::json(Vec::new()));
    let req = Req::new("POST", "/events/index")
        .wiring("index-200", Some(PULL_SRC), PULL_DST)
        .header("Content-Type", "application/json")
        .body(&br#"{"minimal":1,"published":1}"#[..]);
    assert_eq!(send(&n, &req).status, 403);
    n.stop();
}

#[test]
fn traffic_cannot_inject_into_the_log() {
    let up = Upstream::start();
    let n = Nginx::start("inject", Conf::new(rules(), &up));
    let from = n.log_len();
    // ESC and a fake log prefix in the destination (a header value nginx accepts).
    let r = send(
        &n,
        &Req::new("GET", PULL_PATH)
            .header("X-Test-Id", "inject")
            .header("X-Real-Client-IP", PULL_SRC)
            .header("X-Test-Dst", "evil\x1b[31m\x7fhost"),
    );
    assert_eq!(r.status, 403);
    let log = n.log_since(from);
    assert!(log.contains("destination host evil\\x1b[31m\\x7fhost does not exist"), "{log}");
    assert!(!log.contains('\x1b') && !log.contains('\x7f'), "raw control bytes in the log");
    n.stop();
}

/// The corpus rules with two instances (instance_2_2's rules): `client` at 127.0.0.1
/// (our test client) and `server` named `host` on `port`; the file and the rules.
fn client_and_server_rules(name: &str, host: &str, port: u16) -> (PathBuf, Value) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(rules()).unwrap()).unwrap();
    let template = v["instances"]["instance_2_2"].clone();
    let mut client = template.clone();
    client["ip"] = "127.0.0.1".into();
    client["host"] = "client.local".into();
    let mut server = template;
    server["ip"] = "127.0.0.9".into();
    server["host"] = host.into();
    server["port"] = port.into();
    v["instances"] = serde_json::json!({ "client": client, "server": server });
    (write_rules(&common::scratch(name), &v), v)
}

#[test]
fn default_destination_is_host_and_server_port() {
    let up = Upstream::start();
    let port = common::free_port();
    // Our client (127.0.0.1) pushes to `localhost` on the port nginx listens on.
    let (path, _) = client_and_server_rules("default-dest", "localhost", port);
    let mut conf = Conf::new(&path, &up).location("misp_guard on;");
    conf.port = Some(port);
    let n = Nginx::start("default-dest", conf);

    let req = |id: &str, host: &str, body: Vec<u8>| {
        Req::new("POST", PUSH_PATH)
            .header("X-Test-Id", id)
            .header("Host", host)
            .header("Content-Type", "application/json")
            .body(body)
    };
    assert_eq!(send(&n, &req("dd-ok", "localhost", allowed_event())).status, 200);
    assert_eq!(up.received("dd-ok").len(), 1);
    let from = n.log_len();
    assert_eq!(send(&n, &req("dd-red", "localhost", blocked_event())).status, 403);
    assert!(n.log_since(from).contains(TAG_LOG));
    let from = n.log_len();
    assert_eq!(send(&n, &req("dd-other", "other.example", allowed_event())).status, 403);
    let log = n.log_since(from);
    assert!(log.contains("destination host other.example does not exist"), "{log}");
    n.stop();
}

/// With a `server_name`, the default destination is that name: a client cannot pick
/// another instance's rules, or an allowlisted domain, with its `Host` header.
#[test]
fn default_destination_is_the_server_name_when_there_is_one() {
    let up = Upstream::start();
    let port = common::free_port();
    let (path, v) = client_and_server_rules("named-dest", "misp.local", port);
    let allowlisted = v["allowlist"]["domains"][0].as_str().expect("a domain").to_string();
    let mut conf = Conf::new(&path, &up).location("misp_guard on;");
    conf.port = Some(port);
    conf.server = "server_name misp.local;".into();
    let n = Nginx::start("named-dest", conf);

    let pull_as = |id: &str, host: &str| {
        Req::new("GET", PULL_PATH).header("X-Test-Id", id).header("Host", host)
    };
    for host in ["misp.local", allowlisted.as_str(), "client.local"] {
        let id = format!("nd-red-{host}");
        up.set(&id, Reply::json(blocked_event()));
        let from = n.log_len();
        let r = send(&n, &pull_as(&id, host));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "Host: {host}");
        assert!(n.log_since(from).contains(TAG_LOG), "Host: {host}");
        let id = format!("nd-ok-{host}");
        up.set(&id, Reply::json(allowed_event()));
        assert_eq!(send(&n, &pull_as(&id, host)).body, allowed_event(), "Host: {host}");
    }
    n.stop();
}

#[test]
fn chunked_and_empty_request_bodies_are_judged() {
    let up = Upstream::start();
    let n = Nginx::start("chunked", Conf::new(rules(), &up));
    for proto in [Proto::H1, Proto::H2] {
        let id = format!("chunked-ok-{proto}");
        let r = send(
            &n,
            &push(&id, &allowed_event()).header("Transfer-Encoding", "chunked").proto(proto),
        );
        assert_eq!(r.status, 200, "{proto}");
        assert_eq!(up.received(&id)[0].body, allowed_event());
        let id = format!("chunked-red-{proto}");
        let from = n.log_len();
        let r = send(
            &n,
            &push(&id, &blocked_event()).header("Transfer-Encoding", "chunked").proto(proto),
        );
        assert_eq!(r.status, 403, "{proto}");
        assert!(up.received(&id).is_empty());
        assert!(n.log_since(from).contains(TAG_LOG));
    }
    // No body at all where an event is expected: refused, never forwarded.
    let from = n.log_len();
    let r = send(&n, &Req::new("POST", PUSH_PATH).wiring("empty", Some(PUSH_SRC), PUSH_DST));
    assert_eq!(r.status, 403);
    assert!(up.received("empty").is_empty());
    assert!(n.log_since(from).contains("request blocked: [POST]/events/add/metadata:1"));
    n.stop();
}

#[test]
fn unbuffered_proxy_responses_are_held_too() {
    let up = Upstream::start();
    let n = Nginx::start("unbuffered", Conf::new(rules(), &up).more("proxy_buffering off;"));
    let body = big_event(1 << 20, true);
    up.set("unbuf-red", Reply::json(body));
    let r = send(&n, &pull("unbuf-red"));
    assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]));
    let body = big_event(1 << 20, false);
    up.set("unbuf-ok", Reply::json(body.clone()));
    let r = send(&n, &pull("unbuf-ok"));
    assert_eq!(r.status, 200);
    assert!(r.body == body);
    n.stop();
}

// --- memory -----------------------------------------------------------------------------

/// The module in one nginx process under valgrind's memcheck: every path through it once
/// (allowed and blocked pushes and pulls over HTTP/1.1 and HTTP/2, gzip and br both ways,
/// request-level refusals, temp-file spills, bodies over the bound, client abort, upstream
/// reset), then a graceful exit with no memory error and nothing of the module's left.
#[test]
fn memcheck_finds_no_error_and_no_module_memory_left_at_exit() {
    let up = Upstream::start();
    let report = common::scratch("memcheck-report").join("valgrind.txt");
    let mut conf = Conf::new(rules(), &up).more("misp_guard_max_body_size 2m;");
    conf.memcheck = Some(report);
    let n = Nginx::start("memcheck", conf);
    let (ok, red) = (allowed_event(), blocked_event());
    let forbidden = |r: &common::Resp| (r.status, r.body.as_slice()) == (403, &b"Forbidden"[..]);

    for proto in [Proto::H1, Proto::H2] {
        let id = |k: &str| format!("mc-{proto}-{k}");
        assert_eq!(send(&n, &push(&id("push-ok"), &ok).proto(proto)).status, 200);
        assert!(forbidden(&send(&n, &push(&id("push-red"), &red).proto(proto))));
        let mut req = push(&id("push-gz"), &ok).proto(proto).header("Content-Encoding", "gzip");
        req.body = Some(gzip(&ok));
        assert_eq!(send(&n, &req).status, 200);
        let mut req = push(&id("push-br"), &red).proto(proto).header("Content-Encoding", "br");
        req.body = Some(brotli(&red));
        assert!(forbidden(&send(&n, &req)));

        up.set(&id("pull-ok"), Reply::json(ok.clone()));
        assert_eq!(send(&n, &pull(&id("pull-ok")).proto(proto)).body, ok);
        up.set(&id("pull-red"), Reply::json(red.clone()));
        assert!(forbidden(&send(&n, &pull(&id("pull-red")).proto(proto))));
        up.set(&id("pull-br"), Reply::json(brotli(&ok)).header("Content-Encoding", "br"));
        assert_eq!(send(&n, &pull(&id("pull-br")).proto(proto)).status, 200);
        let r =
            send(&n, &Req::new("GET", "/admin/users").wiring(&id("ep"), Some(PULL_SRC), PULL_DST));
        assert!(forbidden(&r));
    }

    // Temp files and the size bound, both ways.
    let (big, huge) = (big_event(1 << 20, false), big_event(3 << 20, false));
    assert_eq!(send(&n, &push("mc-big", &big)).status, 200);
    assert!(forbidden(&send(&n, &push("mc-huge", &huge))));
    up.set("mc-pull-huge", Reply::json(huge));
    assert!(forbidden(&send(&n, &pull("mc-pull-huge"))));

    // A client abort mid-body and an upstream reset mid-response.
    let mut s = TcpStream::connect(("127.0.0.1", n.plain_port)).unwrap();
    s.write_all(raw_head("mc-abort", big.len()).as_bytes()).unwrap();
    s.write_all(&big[..big.len() / 2]).unwrap();
    drop(s);
    let mut reply = Reply::json(ok.clone());
    reply.cut_after = Some(ok.len() / 2);
    up.set("mc-reset", reply);
    assert_ne!(send(&n, &pull("mc-reset")).status, 200);
    std::thread::sleep(Duration::from_millis(500));
    assert!(up.received("mc-abort").is_empty());

    let text = n.stop_memcheck();
    assert!(text.contains("ERROR SUMMARY: 0 errors"), "{text}");
}

// --- MISP's own sync calls --------------------------------------------------------------

const SYNC_EVENT: &str = "385283a1-b5e0-4e10-a532-dce11c365a56";
const SYNC_U1: &str = "9c0e3e20-b1ea-4473-81d2-845c4399c36d";
const SYNC_U2: &str = "6f847552-aaab-4378-aa5f-369c416822d1";
/// `RestResponseComponent::describe('EventReports', 'add')`, as PHP encodes it.
const DESCRIBE: &str = r#"{"name":"\/event_reports\/add API description","description":"POST a report in JSON format to create a report for the provided event","mandatory_fields":["name"],"optional_fields":["distribution","content"],"url":"\/event_reports\/add"}"#;

/// A call of instance_2_2 (20.0.0.2) to instance_2_1, as MISP sends it: JSON bodies
/// over 1 KiB brotli-compressed at quality 1 (`ServerSyncTool::post`).
fn misp_call(id: &str, method: &str, path: &str, body: Option<&[u8]>) -> Req {
    let r = Req::new(method, path).wiring(id, Some(PUSH_SRC), PUSH_DST);
    match body {
        None => r,
        Some(b) if b.len() <= 1024 => r.header("Content-Type", "application/json").body(b),
        Some(b) => {
            let mut out = Vec::new();
            {
                let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
                w.write_all(b).expect("br");
            }
            r.header("Content-Type", "application/json").header("Content-Encoding", "br").body(out)
        }
    }
}

fn notes_with(tag: &str) -> String {
    format!(
        r#"[{{"Note":{{"uuid":"{SYNC_U1}","note":"a","distribution":"1","Tag":[{{"name":"tlp:green"}}]}}}},{{"Note":{{"uuid":"{SYNC_U2}","note":"b","distribution":"1","Tag":[{{"name":"{tag}"}}]}}}}]"#
    )
}

/// An event push whose attachment is 8 MiB of zeros after a 512-byte header, base64:
/// over 3 900:1 at brotli quality 1.
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
        r#"{{"Event":{{"uuid":"{SYNC_EVENT}","info":"sparse attachment","distribution":"1","Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"uuid":"{SYNC_U1}","type":"attachment","category":"Payload delivery","distribution":"5","value":"disk.img","data":"{data}"}}],"Object":[]}}}}"#
    )
    .into_bytes()
}

#[test]
fn misp_sync_calls_pass_in_their_shape_and_are_judged() {
    let up = Upstream::start();
    let n = Nginx::start("sync-calls", Conf::new(rules(), &up));
    let filter = format!("/sightings/filterSightingUuidsForPush/{SYNC_EVENT}");
    let chunk = format!("/analyst_data/index/Note/uuid[]:{SYNC_U1}/uuid[]:{SYNC_U2}.json");
    let uuids = format!(r#"["{SYNC_U1}","{SYNC_U2}"]"#);
    let allowed = allowed_event();
    let sparse = sparse_attachment_push();
    up.set("filter-ok", Reply::json(format!(r#"["{SYNC_U1}"]"#)));
    up.set("filter-event", Reply::json(allowed.clone()));
    up.set("probe-ok", Reply::json(DESCRIBE));
    up.set("probe-report", Reply::json(r#"{"EventReport":{"name":"r","content":"c"}}"#));
    up.set("chunk-ok", Reply::json(notes_with("tlp:green")));
    up.set("chunk-red", Reply::json(notes_with("tlp:red")));
    let proposals_path = format!("/events/pushProposals/{SYNC_EVENT}");
    let proposal = |t: &str| {
        format!(r#"[{{"type":"{t}","category":"Network activity","uuid":"{SYNC_U1}","event_uuid":"{SYNC_EVENT}","value":"1.2.3.4","to_ids":true,"old_id":"0"}}]"#)
            .into_bytes()
    };
    let (proposal_ok, proposal_bad) = (proposal("ip-dst"), proposal("passport-number"));
    let ok: [(&str, &str, &str, Option<&[u8]>); 6] = [
        ("filter-ok", "POST", &filter, Some(uuids.as_bytes())),
        ("probe-ok", "GET", "/eventReports/add", None),
        ("chunk-ok", "GET", &chunk, None),
        ("edit-ok", "POST", "/events/edit/7/metadata:1", Some(&allowed)),
        ("sparse-ok", "POST", PUSH_PATH, Some(&sparse)),
        ("proposals-ok", "POST", &proposals_path, Some(&proposal_ok)),
    ];
    for (id, m, p, b) in ok {
        let r = send(&n, &misp_call(id, m, p, b));
        assert_eq!(r.status, 200, "{id}");
        assert_eq!(up.received(id).len(), 1, "{id}");
    }
    let blocked: [(&str, &str, &str, Option<&[u8]>, &str); 6] = [
        ("filter-push-event", "POST", &filter, Some(&allowed), "is not an array of UUID strings"),
        ("filter-event", "POST", &filter, Some(uuids.as_bytes()), "is not an array of UUID"),
        ("probe-report", "GET", "/eventReports/add", None, "/EventReport is not a key"),
        ("chunk-red", "GET", &chunk, None, "attribute with a blocked tag: tlp:red"),
        ("edit-red", "POST", "/events/edit/7/metadata:1", Some(&blocked_event()), TAG_LOG),
        (
            "proposal-type",
            "POST",
            &proposals_path,
            Some(&proposal_bad),
            "blocked type: passport-number",
        ),
    ];
    for (id, m, p, b, log) in blocked {
        let from = n.log_len();
        let r = send(&n, &misp_call(id, m, p, b));
        assert_eq!((r.status, r.body.as_slice()), (403, &b"Forbidden"[..]), "{id}");
        assert!(n.log_since(from).contains(log), "{id}: {}", n.log_since(from));
    }
    // a push body is refused before it reaches the upstream
    assert!(up.received("filter-push-event").is_empty());
    assert!(up.received("edit-red").is_empty());
    n.stop();

    // `"endpoints": "misp-guard"`: misp-guard's exact list, the four calls refused
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(rules()).expect("rules")).expect("json");
    v["endpoints"] = Value::String("misp-guard".into());
    let dir = common::scratch("sync-calls-strict-rules");
    let up = Upstream::start();
    let n = Nginx::start("sync-calls-strict", Conf::new(write_rules(&dir, &v), &up));
    for (id, m, p, b) in [
        ("s-filter", "POST", filter.as_str(), Some(uuids.as_bytes())),
        ("s-probe", "GET", "/eventReports/add", None),
        ("s-chunk", "GET", chunk.as_str(), None),
        ("s-edit", "POST", "/events/edit/7/metadata:1", Some(allowed.as_slice())),
        ("s-proposals", "POST", proposals_path.as_str(), Some(proposal_ok.as_slice())),
    ] {
        let from = n.log_len();
        let r = send(&n, &misp_call(id, m, p, b));
        assert_eq!(r.status, 403, "{id}");
        assert!(n.log_since(from).contains("endpoint not allowed"), "{id}");
        assert!(up.received(id).is_empty(), "{id}");
    }
    let r = send(
        &n,
        &misp_call(
            "s-uuid-edit",
            "POST",
            &format!("/events/edit/{SYNC_EVENT}/metadata:1"),
            Some(&allowed),
        ),
    );
    assert_eq!(r.status, 200);
    n.stop();
}
