//! Issue 11, "no bound fails open", through the C ABI: the rows of the CLI's bound
//! tests (`cli/tests/bounds/rows.rs`, shared by path) judged with
//! `misp_guard_check_request` + `misp_guard_evaluator_*`, and every configuration bound
//! through `misp_guard_policy_new`. Each body is judged whole (`_new`) and in 4 KiB chunks
//! (`_init`, caller memory).

#![allow(clippy::std_instead_of_core)] // test code: std paths read more plainly here

#[path = "../../cli/tests/bounds/rows.rs"]
mod rows;

use core::ffi::{c_char, CStr};
use core::ptr;
use std::mem::MaybeUninit;
use std::path::PathBuf;

use misp_guard::*;
use rows::{Row, Seen};

fn corpus() -> PathBuf {
    match std::env::var_os("MISP_GUARD_CONFORMANCE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn s(v: &str) -> misp_guard_str {
    misp_guard_str { data: v.as_ptr().cast::<c_char>(), len: v.len() }
}

fn as_str(v: misp_guard_str) -> String {
    if v.len == 0 {
        return String::new();
    }
    // SAFETY: the library hands out UTF-8 strings valid while the evaluator lives;
    // they are copied at once.
    let b = unsafe { std::slice::from_raw_parts(v.data.cast::<u8>(), v.len) };
    String::from_utf8(b.to_vec()).expect("UTF-8 from the library")
}

fn header<'a>(name: &'a str, value: &'a [u8]) -> misp_guard_header {
    misp_guard_header {
        name: name.as_ptr(),
        name_len: name.len(),
        value: value.as_ptr(),
        value_len: value.len(),
    }
}

/// A loaded policy, freed on drop.
struct Policy(*const misp_guard_policy);

impl Policy {
    /// Loads `json`, or returns the error message.
    fn new(json: &[u8]) -> Result<Policy, String> {
        let mut p = ptr::null();
        let mut err = [0 as c_char; 512];
        // SAFETY: valid buffers for the call.
        let rc = unsafe {
            misp_guard_policy_new(json.as_ptr(), json.len(), &mut p, err.as_mut_ptr(), err.len())
        };
        if rc == misp_guard_result::Ok {
            assert!(!p.is_null());
            return Ok(Policy(p));
        }
        assert_eq!(rc, misp_guard_result::ConfigError);
        // SAFETY: the library writes a NUL-terminated message into `err`.
        Err(unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy().into_owned())
    }

    fn current() -> Policy {
        Policy::new(&std::fs::read(corpus().join("current/config.json")).unwrap()).unwrap()
    }
}

impl Drop for Policy {
    fn drop(&mut self) {
        // SAFETY: from `misp_guard_policy_new`, freed once.
        unsafe { misp_guard_policy_free(self.0) }
    }
}

/// The request decision for `method path` from `src` to `host:443`; must be allowed
/// with an inspected body.
fn plan(
    p: &Policy,
    method: &str,
    path: &str,
    src: &str,
    host: &str,
    response: bool,
) -> misp_guard_inspection {
    let mut d = MaybeUninit::<misp_guard_request_decision>::uninit();
    // SAFETY: valid strings and output for the call.
    let rc = unsafe {
        misp_guard_check_request(
            p.0,
            s(method),
            s(path),
            s("https"),
            s(src),
            s(host),
            443,
            ptr::null(),
            0,
            d.as_mut_ptr(),
        )
    };
    assert_eq!(rc, misp_guard_result::Ok);
    // SAFETY: written on OK.
    let d = unsafe { d.assume_init() };
    assert_eq!(d.verdict, misp_guard_verdict::Allow, "{method} {path} from {src} to {host}");
    if response {
        assert!(d.inspect_response);
        d.response
    } else {
        assert!(d.inspect_request);
        d.request
    }
}

/// Judges `body` with an evaluator from `misp_guard_evaluator_new`, fed in `chunk`-byte
/// pieces.
fn judge(
    p: &Policy,
    insp: &misp_guard_inspection,
    headers: &[misp_guard_header],
    body: &[u8],
    chunk: usize,
) -> Seen {
    let mut ev = ptr::null_mut();
    // SAFETY: a live policy, an inspection from it, readable headers.
    let rc =
        unsafe { misp_guard_evaluator_new(p.0, insp, headers.as_ptr(), headers.len(), &mut ev) };
    assert_eq!(rc, misp_guard_result::Ok);
    for c in body.chunks(chunk.max(1)) {
        // SAFETY: a live evaluator and a valid chunk.
        let rc = unsafe { misp_guard_evaluator_feed(ev, c.as_ptr(), c.len(), ptr::null_mut()) };
        assert_eq!(rc, misp_guard_result::Ok);
    }
    let mut v = MaybeUninit::uninit();
    // SAFETY: a live evaluator and a valid output.
    assert_eq!(unsafe { misp_guard_evaluator_finish(ev, v.as_mut_ptr()) }, misp_guard_result::Ok);
    // SAFETY: written on OK.
    let v = unsafe { v.assume_init() };
    let seen = Seen {
        reason: match v.verdict {
            misp_guard_verdict::Allow => None,
            _ => Some(as_str(v.reason_code)),
        },
        message: as_str(v.message),
        pointer: as_str(v.pointer),
    };
    // SAFETY: from `_new`, freed once.
    unsafe { misp_guard_evaluator_free(ev) };
    seen
}

/// Judges `body` like [`judge`] with an evaluator placed in caller memory by
/// `misp_guard_evaluator_init`.
fn judge_in_place(
    p: &Policy,
    insp: &misp_guard_inspection,
    headers: &[misp_guard_header],
    body: &[u8],
    chunk: usize,
) -> Seen {
    assert!(misp_guard_evaluator_align() <= std::mem::align_of::<u64>());
    let mut buf = vec![0u64; misp_guard_evaluator_size() / 8 + 1];
    let mut ev = ptr::null_mut();
    // SAFETY: `buf` is aligned and large enough (both checked by the callee too); the
    // other pointers are valid for the call.
    let rc = unsafe {
        misp_guard_evaluator_init(
            buf.as_mut_ptr().cast(),
            std::mem::size_of_val(&buf[..]),
            p.0,
            insp,
            headers.as_ptr(),
            headers.len(),
            &mut ev,
        )
    };
    assert_eq!(rc, misp_guard_result::Ok);
    for c in body.chunks(chunk.max(1)) {
        // SAFETY: a live evaluator and a valid chunk.
        let rc = unsafe { misp_guard_evaluator_feed(ev, c.as_ptr(), c.len(), ptr::null_mut()) };
        assert_eq!(rc, misp_guard_result::Ok);
    }
    let mut v = MaybeUninit::uninit();
    // SAFETY: a live evaluator and a valid output.
    assert_eq!(unsafe { misp_guard_evaluator_finish(ev, v.as_mut_ptr()) }, misp_guard_result::Ok);
    // SAFETY: written on OK.
    let v = unsafe { v.assume_init() };
    let seen = Seen {
        reason: match v.verdict {
            misp_guard_verdict::Allow => None,
            _ => Some(as_str(v.reason_code)),
        },
        message: as_str(v.message),
        pointer: as_str(v.pointer),
    };
    // SAFETY: initialised by `_init`, released once, before `buf` goes.
    unsafe { misp_guard_evaluator_deinit(ev) };
    seen
}

/// Judges a row against `p`, whole and in 4 KiB chunks (the verdicts must agree; the
/// 256 MiB rows whole only).
fn judge_row(p: &Policy, row: &Row) -> Seen {
    let (method, path, host) = row.to.request();
    let pull = row.to == rows::To::Pull;
    let insp = plan(p, method, path, rows::SRC_IP, host, pull);
    let mut hdrs = vec![];
    if let Some(enc) = row.encoding {
        hdrs.push(header("Content-Encoding", enc.as_bytes()));
    }
    if let Some(org) = &row.user_org {
        hdrs.push(header("X-UserOrgUUID", org));
    }
    let whole = judge(p, &insp, &hdrs, &row.body, row.body.len());
    if !row.name.starts_with("max_decoded") && !row.name.starts_with("max_body") {
        // caller memory (`_init`) and 4 KiB chunks: the same verdict
        let chunked = judge_in_place(p, &insp, &hdrs, &row.body, 4096);
        assert_eq!(whole, chunked, "{}: chunking or placement changed the verdict", row.name);
    }
    whole
}

fn check(rows: Vec<Row>) {
    let p = Policy::current();
    rows::check_rows(&rows, |row| judge_row(&p, row));
}

#[test]
fn bounds_json_depth() {
    check(rows::json_depth());
}

#[test]
fn bounds_json_keys() {
    check(rows::json_keys());
}

#[test]
fn bounds_json_numbers() {
    check(rows::json_numbers());
}

#[test]
fn bounds_rule_frames() {
    check(rows::rule_frames());
}

#[test]
fn bounds_rule_columns() {
    check(rows::rule_columns());
}

#[test]
fn bounds_rule_cluster() {
    check(rows::rule_cluster());
}

#[test]
fn bounds_rule_user_org() {
    check(rows::rule_user_org());
}

#[test]
fn bounds_all_orgs_underflow() {
    check(rows::all_orgs_underflow());
}

#[test]
fn bounds_user_org_unicode_space() {
    check(rows::user_org_unicode_space());
}

#[test]
fn bounds_decode() {
    check(rows::decode_light());
}

#[test]
#[ignore = "heavy: 256 MiB per row, run in release (scripts/fuzz-smoke.sh)"]
fn bounds_decode_max_decoded() {
    check(rows::decode_heavy());
}

#[test]
#[ignore = "heavy: 256 MiB per row, run in release (scripts/fuzz-smoke.sh)"]
fn bounds_body_max_body() {
    for step in 0..3 {
        check(vec![rows::body_heavy(step)]);
    }
}

#[test]
fn bounds_messages_cut_text_only() {
    let p = Policy::current();
    for (row, full) in rows::messages() {
        let seen = judge_row(&p, &row);
        assert_eq!(seen.reason.as_deref(), row.want, "{}: {}", row.name, seen.message);
        let shown = if row.name.starts_with("POINTER_CAP") {
            seen.pointer.clone()
        } else {
            seen.message.strip_prefix("event has blocked tag: ").expect("tag message").to_owned()
        };
        rows::assert_cut(&row.name, &shown, &full, 160);
    }
}

#[test]
fn bounds_config_policy_new() {
    let mut bad = vec![];
    for r in rows::config_rows() {
        match (Policy::new(&r.json), r.error) {
            (Ok(p), None) => {
                if let Some((ip, host, body, want)) = &r.probe {
                    let insp = plan(&p, "POST", "/events/add/metadata:1", ip, host, false);
                    let seen = judge(&p, &insp, &[], body, body.len());
                    if seen.reason.as_deref() != Some(*want) {
                        bad.push(format!("{}: probe want {want}, got {:?}", r.name, seen.reason));
                    }
                }
            }
            (Err(e), None) => bad.push(format!("{}: refused: {e}", r.name)),
            (Ok(_), Some(e)) => bad.push(format!("{}: loaded, want error {e:?}", r.name)),
            (Err(got), Some(e)) if !got.contains(e) => {
                bad.push(format!("{}: want error {e:?}, got {got:?}", r.name))
            }
            (Err(_), Some(_)) => {}
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
