//! The request policy on arbitrary method, path, addresses and headers.
//!
//! Input: fields separated by `\n`: method, path, then `name: value` header lines;
//! byte 0 (before the method) picks the policy and the (source, destination, port)
//! route among those that reach each other, so that most inputs get past the
//! address checks to the endpoint and path checks.
//!
//! Properties: no panic; an allowed request that did not pass through the allowlist
//! * names an endpoint of the list with the same method,
//! * has a canonical path: no `%`, no `\`, no `#`, only printable ASCII, and its path
//!   part (before `?`) has no empty segment (`//`) and no dot segment (`/../`, `/./`),
//! * carries no method-override header,
//! * gets an inspection for every body-carrying push/pull endpoint of the current format;
//! and a block renders as one log line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use misp_guard_core::{Endpoint, Header};
use misp_guard_core::{LogLine, PreambleLine};
use misp_guard_core::{Format, RequestInfo, RequestVerdict};
use misp_guard_fuzz::{policies, routes};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut lines = text.split('\n');
    let method = lines.next().unwrap_or("");
    let path = lines.next().unwrap_or("");
    let hdr_lines: Vec<(&str, &str)> =
        lines.map(|l| l.split_once(':').unwrap_or((l, ""))).collect();
    let headers: Vec<Header> = hdr_lines
        .iter()
        .map(|(n, v)| Header { name: n.as_bytes(), value: v.trim_start().as_bytes() })
        .collect();

    let ps = policies();
    let policy = &ps[(sel & 3) as usize % ps.len()];
    let rs = routes(policy);
    let (src, dst, port) = rs[(sel >> 2) as usize % rs.len()];
    let (src, dst, port) =
        if sel & 0x80 != 0 { ("198.51.100.7", dst, port) } else { (src, dst, port) };
    let req =
        RequestInfo { method, path, scheme: "https", src_ip: src, dst_host: dst, dst_port: port };

    match policy.check_request(&req, &headers) {
        RequestVerdict::Block(b) => {
            let line = LogLine { method, path, block: &b, policy }.to_string();
            assert!(!line.contains('\n') && !line.contains('\r'), "log line split: {line:?}");
            if b.has_preamble() {
                let pre = PreambleLine { path }.to_string();
                assert!(!pre.contains('\n') && !pre.contains('\r'), "preamble split: {pre:?}");
            }
        }
        RequestVerdict::Allow(plan) => {
            if let Some(l) = plan.allow_line(&req) {
                let l = l.to_string();
                assert!(!l.contains('\n') && !l.contains('\r'), "allow line split: {l:?}");
                return;
            }
            let ep = Endpoint::find(method, path)
                .unwrap_or_else(|| panic!("allowed {method:?} {path:?} matches no endpoint"));
            assert_eq!(ep.method, method);
            let p = path.split('?').next().unwrap_or("");
            assert!(path.starts_with('/'), "{path:?}");
            assert!(!path.contains('%'), "percent-escape allowed: {path:?}");
            assert!(!path.contains('\\') && !path.contains('#'), "{path:?}");
            assert!(path.bytes().all(|b| (0x21..0x7f).contains(&b)), "{path:?}");
            let body = p.strip_suffix('/').unwrap_or(p);
            assert!(!body.contains("//"), "empty segment allowed: {path:?}");
            for seg in p.split('/') {
                assert!(seg != "." && seg != "..", "dot segment allowed: {path:?}");
            }
            for h in &headers {
                let n = h.name.to_ascii_lowercase();
                assert!(
                    !matches!(
                        n.as_slice(),
                        b"x-http-method-override" | b"x-http-method" | b"x-method-override"
                    ),
                    "method override header allowed: {path:?}"
                );
            }
            if policy.format() == Format::Current {
                let body_endpoint = [
                    "/events/add",
                    "/events/edit/",
                    "/galaxies/pushCluster",
                    "/analyst_data/pushAnalystData",
                    "/sightings/bulkSaveSightings/",
                    "/events/index",
                    "/galaxy_clusters/restSearch",
                ]
                .iter()
                .any(|pre| method == "POST" && path.starts_with(pre));
                if body_endpoint {
                    assert!(plan.request.is_some(), "push without request inspection: {path:?}");
                }
                if method == "GET" && path.starts_with("/events/view/") {
                    assert!(plan.response.is_some(), "pull without response inspection: {path:?}");
                }
            }
        }
    }
});
