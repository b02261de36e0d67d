//! The C ABI, driven as a C caller would (through the `extern "C"` functions).
//!
//! Input: byte 0 picks the route and the endpoint (see `misp_guard_fuzz`), byte 1 the
//! chunk size class and the `X-UserOrgUUID` value; the rest is the body.
//!
//! Properties:
//! * no entry point reports `Panic`; `misp_guard_policy_new` on the body (as a config)
//!   returns `Ok` or `ConfigError`, and its error text is NUL-terminated in the buffer;
//! * the request decision equals `Policy::check_request`'s;
//! * a body judged through `misp_guard_evaluator_init` (caller memory) / `_feed` in
//!   chunks / `_finish` gets the core's verdict (same reason, detail and pointer), and
//!   again after `_reset`;
//! * `_log_line` reports the length it needs, refuses a short buffer with
//!   `BufferTooSmall`, and writes a NUL-terminated line without CR/LF otherwise.
#![no_main]

use core::ffi::c_char;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use misp_guard::*;
use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::{Guard, Policy, RequestInfo, RequestVerdict, Verdict};
use misp_guard_fuzz::{chunks, endpoint_paths, routes, OWN_CURRENT, USER_ORGS};

struct Handle(*const misp_guard_policy);
// SAFETY: the policy handle is immutable and documented as shareable across threads.
unsafe impl Send for Handle {}
// SAFETY: as above.
unsafe impl Sync for Handle {}

fn handle() -> &'static (Handle, Policy) {
    static H: OnceLock<(Handle, Policy)> = OnceLock::new();
    H.get_or_init(|| {
        let mut p: *const misp_guard_policy = std::ptr::null();
        let cfg = OWN_CURRENT.as_bytes();
        // SAFETY: valid buffer and out pointer; no error buffer.
        let r = unsafe {
            misp_guard_policy_new(cfg.as_ptr(), cfg.len(), &mut p, std::ptr::null_mut(), 0)
        };
        assert_eq!(r, misp_guard_result::Ok);
        (Handle(p), Policy::from_json_slice(cfg).unwrap())
    })
}

fn s(v: &str) -> misp_guard_str {
    misp_guard_str { data: v.as_ptr().cast(), len: v.len() }
}

fn text(v: misp_guard_str) -> String {
    if v.len == 0 {
        return String::new();
    }
    // SAFETY: the ABI returns `len` readable bytes that live as long as the evaluator.
    let b = unsafe { std::slice::from_raw_parts(v.data.cast::<u8>(), v.len) };
    String::from_utf8(b.to_vec()).expect("ABI strings are UTF-8")
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (sel, ctl, body) = (data[0], data[1], &data[2..]);
    let (h, policy) = handle();

    // the body as a configuration
    let mut p: *const misp_guard_policy = std::ptr::null();
    let mut err = [0x55 as c_char; 96];
    // SAFETY: valid buffers.
    let r = unsafe {
        misp_guard_policy_new(body.as_ptr(), body.len(), &mut p, err.as_mut_ptr(), err.len())
    };
    match r {
        misp_guard_result::Ok => unsafe { misp_guard_policy_free(p) },
        misp_guard_result::ConfigError => assert!(err.contains(&0), "error text not terminated"),
        other => panic!("policy_new: {other:?}"),
    }

    let rs = routes(policy);
    let (src, dst, port) = rs[(sel & 1) as usize % rs.len()];
    let eps = endpoint_paths();
    let (method, path) = &eps[(sel >> 1) as usize % eps.len()];
    let user_org = USER_ORGS[((ctl >> 2) & 3) as usize];
    let hv = [("Content-Type", "application/json"), ("X-UserOrgUUID", user_org)];
    let c_headers: Vec<misp_guard_header> = hv
        .iter()
        .map(|(n, v)| misp_guard_header {
            name: n.as_ptr(),
            name_len: n.len(),
            value: v.as_ptr(),
            value_len: v.len(),
        })
        .collect();
    let core_headers: Vec<Header> =
        hv.iter().map(|(n, v)| Header { name: n.as_bytes(), value: v.as_bytes() }).collect();

    // SAFETY: zeroed is a valid bit pattern for the decision (plain data, NULL strings
    // are overwritten on success).
    let mut d: misp_guard_request_decision = unsafe { std::mem::zeroed() };
    // SAFETY: valid policy, strings, headers and out pointer.
    let r = unsafe {
        misp_guard_check_request(
            h.0,
            s(method),
            s(path),
            s("https"),
            s(src),
            s(dst),
            port,
            c_headers.as_ptr(),
            c_headers.len(),
            &mut d,
        )
    };
    assert_eq!(r, misp_guard_result::Ok);
    let req =
        RequestInfo { method, path, scheme: "https", src_ip: src, dst_host: dst, dst_port: port };
    let plan = match policy.check_request(&req, &core_headers) {
        RequestVerdict::Block(b) => {
            assert_eq!(d.verdict, misp_guard_verdict::Block);
            assert_eq!(d.reason, b.reason as u16);
            return;
        }
        RequestVerdict::Allow(plan) => plan,
    };
    assert_eq!(d.verdict, misp_guard_verdict::Allow);
    let pairs = [
        (d.inspect_request, d.request, plan.request),
        (d.inspect_response, d.response, plan.response),
    ];
    for (on, c_insp, core_insp) in pairs {
        assert_eq!(on, core_insp.is_some());
        let Some(core_insp) = core_insp else { continue };

        // the core's verdict
        let mut g = Guard::for_body(policy, core_insp, &core_headers, Limits::default());
        g.feed(body);
        let want = g.finish();

        // the ABI's, in caller memory
        let size = misp_guard_evaluator_size();
        let mut mem = vec![0u128; size / 16 + 1];
        let mut ev: *mut misp_guard_evaluator = std::ptr::null_mut();
        // SAFETY: buffer of `size` bytes, 16-aligned; valid policy/inspection/headers.
        let r = unsafe {
            misp_guard_evaluator_init(
                mem.as_mut_ptr().cast(),
                mem.len() * 16,
                h.0,
                &c_insp,
                c_headers.as_ptr(),
                c_headers.len(),
                &mut ev,
            )
        };
        assert_eq!(r, misp_guard_result::Ok);
        for round in 0..2 {
            if round == 1 {
                // SAFETY: live evaluator.
                let r = unsafe {
                    misp_guard_evaluator_reset(ev, &c_insp, c_headers.as_ptr(), c_headers.len())
                };
                assert_eq!(r, misp_guard_result::Ok);
            }
            let max = [1usize, 7, 64, 4096][(ctl.wrapping_add(round) & 3) as usize];
            for ch in chunks(body, max, data.len() as u64 + round as u64) {
                let mut prog = misp_guard_progress::Continue;
                // SAFETY: live evaluator, readable chunk.
                let r = unsafe { misp_guard_evaluator_feed(ev, ch.as_ptr(), ch.len(), &mut prog) };
                assert_eq!(r, misp_guard_result::Ok);
            }
            // SAFETY: zeroed plain data, overwritten on success.
            let mut v: misp_guard_body_verdict = unsafe { std::mem::zeroed() };
            // SAFETY: live evaluator, valid out pointer.
            let r = unsafe { misp_guard_evaluator_finish(ev, &mut v) };
            assert_eq!(r, misp_guard_result::Ok);
            match &want {
                Verdict::Allow => assert_eq!(v.verdict, misp_guard_verdict::Allow),
                Verdict::Block(b) => {
                    assert_eq!(v.verdict, misp_guard_verdict::Block);
                    assert_eq!(v.reason, b.reason as u16, "reason");
                    assert_eq!(text(v.detail), b.detail(), "detail");
                    assert_eq!(text(v.pointer), b.pointer(), "pointer");
                    assert_eq!(text(v.reason_code), b.reason.code());
                    // log line: length first, then a short and a fitting buffer
                    let mut need = 0usize;
                    // SAFETY: no buffer (len 0), valid out pointer.
                    let r = unsafe {
                        misp_guard_evaluator_log_line(
                            ev,
                            s(method),
                            s(path),
                            std::ptr::null_mut(),
                            0,
                            &mut need,
                        )
                    };
                    assert_eq!(r, misp_guard_result::BufferTooSmall);
                    let mut buf = vec![0x55 as c_char; need + 1];
                    // SAFETY: `need + 1` writable bytes.
                    let r = unsafe {
                        misp_guard_evaluator_log_line(
                            ev,
                            s(method),
                            s(path),
                            buf.as_mut_ptr(),
                            buf.len(),
                            &mut need,
                        )
                    };
                    assert_eq!(r, misp_guard_result::Ok);
                    assert_eq!(buf[need], 0, "log line not terminated");
                    let line: Vec<u8> = buf[..need].iter().map(|&c| c as u8).collect();
                    assert!(!line.contains(&b'\n') && !line.contains(&b'\r'), "{line:?}");
                    if need > 0 {
                        let mut short = vec![0 as c_char; need];
                        // SAFETY: `need` writable bytes.
                        let r = unsafe {
                            misp_guard_evaluator_log_line(
                                ev,
                                s(method),
                                s(path),
                                short.as_mut_ptr(),
                                short.len(),
                                &mut need,
                            )
                        };
                        assert_eq!(r, misp_guard_result::BufferTooSmall);
                    }
                }
            }
        }
        // SAFETY: live evaluator from _init; not used afterwards.
        unsafe { misp_guard_evaluator_deinit(ev) };
    }
});
