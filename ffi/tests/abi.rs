//! The C ABI called from Rust: no allocation per request on the caller-memory path,
//! chunking never changes a verdict, NULLs are refused everywhere.

#![allow(clippy::std_instead_of_core)] // test code: std paths read more plainly here
use core::ffi::c_char;
use core::ptr;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use misp_guard::*;

/// Counts allocations made by the thread that asked for it (the test harness's own
/// threads allocate concurrently).
struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator unchanged; the counter has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(p, layout) }
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(p, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (r, ALLOCS.load(Ordering::Relaxed) - before)
}

fn corpus() -> PathBuf {
    match std::env::var_os("MISP_GUARD_CONFORMANCE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn s(v: &str) -> misp_guard_str {
    misp_guard_str { data: v.as_ptr().cast::<c_char>(), len: v.len() }
}

fn as_str(v: misp_guard_str) -> String {
    // SAFETY: the library hands out UTF-8 strings valid while the evaluator lives;
    // they are copied at once.
    let b = unsafe { std::slice::from_raw_parts(v.data.cast::<u8>(), v.len) };
    String::from_utf8(b.to_vec()).unwrap()
}

struct Policy(*const misp_guard_policy);

impl Policy {
    fn load(folder: &str) -> Policy {
        let json = std::fs::read(corpus().join(folder).join("config.json")).unwrap();
        let mut p = ptr::null();
        // SAFETY: valid buffers for the call.
        let rc =
            unsafe { misp_guard_policy_new(json.as_ptr(), json.len(), &mut p, ptr::null_mut(), 0) };
        assert_eq!(rc, misp_guard_result::Ok);
        Policy(p)
    }
}

impl Drop for Policy {
    fn drop(&mut self) {
        // SAFETY: from `misp_guard_policy_new`, freed once.
        unsafe { misp_guard_policy_free(self.0) }
    }
}

/// A push of `body` to `/events/add` from instance 20.0.0.2: the request decision.
fn push_decision(p: &Policy) -> misp_guard_request_decision {
    let mut d = MaybeUninit::<misp_guard_request_decision>::uninit();
    // SAFETY: valid strings and output for the call.
    let rc = unsafe {
        misp_guard_check_request(
            p.0,
            s("POST"),
            s("/events/add/metadata:1"),
            s("https"),
            s("20.0.0.2"),
            s("instance1-comp2.com"),
            443,
            ptr::null(),
            0,
            d.as_mut_ptr(),
        )
    };
    assert_eq!(rc, misp_guard_result::Ok);
    // SAFETY: written on OK.
    let d = unsafe { d.assume_init() };
    assert_eq!(d.verdict, misp_guard_verdict::Allow);
    assert!(d.inspect_request);
    d
}

/// What a verdict says, copied out.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    verdict: misp_guard_verdict,
    reason: u16,
    code: String,
    rule: String,
    message: String,
    pointer: String,
}

/// Runs `body` split at `splits` through an evaluator placed in `buf`.
fn judge_in(
    p: &Policy,
    insp: &misp_guard_inspection,
    buf: &mut [u64],
    body: &[u8],
    splits: &[usize],
) -> Seen {
    let mut ev = ptr::null_mut();
    // SAFETY: `buf` is aligned for u64 (checked against the required alignment by the
    // callee) and large enough (checked too); other pointers are valid.
    let rc = unsafe {
        misp_guard_evaluator_init(
            buf.as_mut_ptr().cast(),
            std::mem::size_of_val(buf),
            p.0,
            insp,
            ptr::null(),
            0,
            &mut ev,
        )
    };
    assert_eq!(rc, misp_guard_result::Ok);
    let mut from = 0;
    for &to in splits.iter().chain(Some(&body.len())) {
        let chunk = &body[from..to];
        // SAFETY: a live evaluator and a valid chunk.
        let rc =
            unsafe { misp_guard_evaluator_feed(ev, chunk.as_ptr(), chunk.len(), ptr::null_mut()) };
        assert_eq!(rc, misp_guard_result::Ok);
        from = to;
    }
    let mut v = MaybeUninit::uninit();
    // SAFETY: a live evaluator and a valid output.
    assert_eq!(unsafe { misp_guard_evaluator_finish(ev, v.as_mut_ptr()) }, misp_guard_result::Ok);
    // SAFETY: written on OK.
    let v = unsafe { v.assume_init() };
    let seen = Seen {
        verdict: v.verdict,
        reason: v.reason,
        code: as_str(v.reason_code),
        rule: as_str(v.rule_id),
        message: as_str(v.message),
        pointer: as_str(v.pointer),
    };
    // SAFETY: initialised by `_init`, released once.
    unsafe { misp_guard_evaluator_deinit(ev) };
    seen
}

fn push_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = corpus().join("current/fixtures");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("test_event_"))
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() > 20, "event fixtures not found in {}", dir.display());
    out
}

fn slab() -> Vec<u64> {
    assert!(misp_guard_evaluator_align() <= std::mem::align_of::<u64>() * 2);
    vec![0u64; misp_guard_evaluator_size() / 8 + 2]
}

/// A `u64` slab is 8-aligned; if the evaluator wants 16, hand out an aligned window.
fn aligned(buf: &mut [u64]) -> &mut [u64] {
    let align = misp_guard_evaluator_align();
    let skip = (align - (buf.as_ptr() as usize % align)) % align / 8;
    &mut buf[skip..]
}

/// The whole per-request path through the C ABI with caller memory: request
/// decision, evaluator init, feed in 100-byte chunks, finish, log line, reset,
/// deinit. Only FFI calls, so any allocation is the library's.
fn raw_run(p: &Policy, buf: &mut [u64], body: &[u8]) -> (misp_guard_verdict, u16) {
    let mut d = MaybeUninit::<misp_guard_request_decision>::uninit();
    let mut ev = ptr::null_mut();
    let mut v = MaybeUninit::<misp_guard_body_verdict>::uninit();
    let mut line = [0 as c_char; 1024];
    let mut written = 0;
    // SAFETY: valid buffers and handles throughout; outputs read only after OK;
    // the evaluator is deinit'ed once.
    unsafe {
        let rc = misp_guard_check_request(
            p.0,
            s("POST"),
            s("/events/add/metadata:1"),
            s("https"),
            s("20.0.0.2"),
            s("instance1-comp2.com"),
            443,
            ptr::null(),
            0,
            d.as_mut_ptr(),
        );
        assert_eq!(rc, misp_guard_result::Ok);
        let d = d.assume_init_ref();
        let rc = misp_guard_evaluator_init(
            buf.as_mut_ptr().cast(),
            std::mem::size_of_val(buf),
            p.0,
            &d.request,
            ptr::null(),
            0,
            &mut ev,
        );
        assert_eq!(rc, misp_guard_result::Ok);
        for c in body.chunks(100) {
            let rc = misp_guard_evaluator_feed(ev, c.as_ptr(), c.len(), ptr::null_mut());
            assert_eq!(rc, misp_guard_result::Ok);
        }
        assert_eq!(misp_guard_evaluator_finish(ev, v.as_mut_ptr()), misp_guard_result::Ok);
        let v = v.assume_init_ref();
        if v.verdict == misp_guard_verdict::Block {
            let rc = misp_guard_evaluator_log_line(
                ev,
                s("POST"),
                s("/events/add/metadata:1"),
                line.as_mut_ptr(),
                line.len(),
                &mut written,
            );
            assert_eq!(rc, misp_guard_result::Ok);
        }
        let out = (v.verdict, v.reason);
        assert_eq!(
            misp_guard_evaluator_reset(ev, &d.request, ptr::null(), 0),
            misp_guard_result::Ok
        );
        misp_guard_evaluator_deinit(ev);
        out
    }
}

#[test]
fn caller_memory_path_does_not_allocate() {
    let p = Policy::load("current");
    let mut buf = slab();
    let buf = aligned(&mut buf);
    let mut blocked = 0;
    for (name, body) in push_fixtures() {
        let ((verdict, reason), n) = allocations(|| raw_run(&p, buf, &body));
        assert_eq!(n, 0, "{name}: allocations on the caller-memory path");
        if verdict == misp_guard_verdict::Block {
            assert_ne!(reason, 0, "{name}");
            blocked += 1;
        }
    }
    assert!(blocked > 10, "the event fixtures should mostly be refused ({blocked})");
}

#[test]
fn splitting_never_changes_the_verdict() {
    let p = Policy::load("current");
    let mut buf = slab();
    let buf = aligned(&mut buf);
    let d = push_decision(&p);
    for (name, body) in push_fixtures().into_iter().take(12) {
        let whole = judge_in(&p, &d.request, buf, &body, &[]);
        for at in (0..=body.len()).step_by(1 + body.len() / 64) {
            assert_eq!(judge_in(&p, &d.request, buf, &body, &[at]), whole, "{name} split at {at}");
        }
        let bytes: Vec<usize> = (1..body.len()).collect();
        assert_eq!(judge_in(&p, &d.request, buf, &body, &bytes), whole, "{name} byte by byte");
    }
}

#[test]
fn null_pointers_are_refused_everywhere() {
    let p = Policy::load("current");
    let d = push_decision(&p);
    let null = misp_guard_result::NullParameter;
    let mut out = ptr::null_mut();
    let mut written = 0;
    // SAFETY: every call gets a NULL where a pointer is required, which the contract
    // allows the library to reject; other arguments are valid.
    unsafe {
        assert_eq!(
            misp_guard_policy_new(ptr::null(), 1, &mut ptr::null(), ptr::null_mut(), 0),
            null
        );
        assert_eq!(
            misp_guard_evaluator_new(ptr::null(), &d.request, ptr::null(), 0, &mut out),
            null
        );
        assert_eq!(
            misp_guard_evaluator_new(p.0, &d.request, ptr::null(), 0, ptr::null_mut()),
            null
        );
        assert_eq!(
            misp_guard_evaluator_init(
                ptr::null_mut(),
                1 << 20,
                p.0,
                &d.request,
                ptr::null(),
                0,
                &mut out
            ),
            null
        );
        assert_eq!(misp_guard_evaluator_reset(ptr::null_mut(), &d.request, ptr::null(), 0), null);
        assert_eq!(
            misp_guard_evaluator_feed(ptr::null_mut(), b"x".as_ptr(), 1, ptr::null_mut()),
            null
        );
        assert_eq!(misp_guard_evaluator_finish(ptr::null_mut(), ptr::null_mut()), null);
        assert_eq!(
            misp_guard_evaluator_log_line(
                ptr::null_mut(),
                s("GET"),
                s("/"),
                ptr::null_mut(),
                0,
                &mut written
            ),
            null
        );
        misp_guard_evaluator_free(ptr::null_mut());
        misp_guard_evaluator_deinit(ptr::null_mut());
        misp_guard_policy_free(ptr::null());
        // A NULL header inside the array.
        let h =
            misp_guard_header { name: ptr::null(), name_len: 4, value: ptr::null(), value_len: 0 };
        assert_eq!(misp_guard_evaluator_new(p.0, &d.request, &h, 1, &mut out), null);
    }
    assert!(out.is_null(), "no output on failure");
}

#[test]
fn inspections_from_nowhere_are_refused() {
    let p = Policy::load("current");
    let d = push_decision(&p);
    let mut out = ptr::null_mut();
    for bad in [
        misp_guard_inspection { kind: 99, ..d.request },
        misp_guard_inspection { side: 7, ..d.request },
        misp_guard_inspection { first: u16::MAX, ..d.request },
        misp_guard_inspection { user_org_check: 2, ..d.request },
    ] {
        // SAFETY: valid pointers; the inspection is the thing under test.
        let rc = unsafe { misp_guard_evaluator_new(p.0, &bad, ptr::null(), 0, &mut out) };
        assert_eq!(rc, misp_guard_result::InvalidInspection, "{bad:?}");
    }
}

/// Positive control for the counter: `_new` allocates the evaluator, and a gzip body
/// allocates its decoder window even in caller memory.
#[test]
fn the_counter_sees_library_allocations() {
    let p = Policy::load("current");
    let d = push_decision(&p);
    let mut buf = slab();
    let buf = aligned(&mut buf);
    let gzip = misp_guard_header {
        name: b"Content-Encoding".as_ptr(),
        name_len: 16,
        value: b"gzip".as_ptr(),
        value_len: 4,
    };
    for (headers, heap) in [(&[][..], true), (&[gzip][..], false)] {
        let ((), n) = allocations(|| {
            let mut ev = ptr::null_mut();
            // SAFETY: valid pointers; released once.
            unsafe {
                let rc = if heap {
                    misp_guard_evaluator_new(
                        p.0,
                        &d.request,
                        headers.as_ptr(),
                        headers.len(),
                        &mut ev,
                    )
                } else {
                    misp_guard_evaluator_init(
                        buf.as_mut_ptr().cast(),
                        std::mem::size_of_val(buf),
                        p.0,
                        &d.request,
                        headers.as_ptr(),
                        headers.len(),
                        &mut ev,
                    )
                };
                assert_eq!(rc, misp_guard_result::Ok);
                misp_guard_evaluator_free(ev);
            }
        });
        assert!(n > 0, "heap={heap}: the allocation counter saw nothing");
    }
}

/// The request decision for `method path` from instance 20.0.0.2 to instance_2_1.
fn decision(p: &Policy, method: &str, path: &str) -> misp_guard_request_decision {
    let mut d = MaybeUninit::<misp_guard_request_decision>::uninit();
    // SAFETY: valid strings and output for the call.
    let rc = unsafe {
        misp_guard_check_request(
            p.0,
            s(method),
            s(path),
            s("https"),
            s("20.0.0.2"),
            s("instance1-comp2.com"),
            443,
            ptr::null(),
            0,
            d.as_mut_ptr(),
        )
    };
    assert_eq!(rc, misp_guard_result::Ok);
    // SAFETY: written on OK.
    unsafe { d.assume_init() }
}

/// MISP's own sync calls misp-guard's list lacks cross the C ABI with their body kinds,
/// and their bodies are judged through it.
#[test]
fn misp_sync_calls_are_planned_and_judged() {
    let p = Policy::load("current");
    let mut buf = slab();
    let buf = aligned(&mut buf);
    const U: &str = "385283a1-b5e0-4e10-a532-dce11c365a56";

    let d = decision(&p, "POST", &format!("/sightings/filterSightingUuidsForPush/{U}"));
    assert_eq!(d.verdict, misp_guard_verdict::Allow);
    assert!(d.inspect_request && d.inspect_response);
    assert_eq!(d.request.kind, misp_guard_body_kind::UuidList as u32);
    assert_eq!(d.response.kind, misp_guard_body_kind::UuidList as u32);
    let list = format!(r#"["{U}"]"#);
    let ok = judge_in(&p, &d.request, buf, list.as_bytes(), &[3, 20]);
    assert_eq!(ok.verdict, misp_guard_verdict::Allow, "{ok:?}");
    let event = br#"{"Event":{"info":"x"}}"#;
    let no = judge_in(&p, &d.response, buf, event, &[1]);
    assert_eq!((no.verdict, no.code.as_str()), (misp_guard_verdict::Block, "wrong_type"));

    let d = decision(&p, "GET", "/eventReports/add");
    assert!(!d.inspect_request && d.inspect_response);
    assert_eq!(d.response.kind, misp_guard_body_kind::ApiDescription as u32);
    let describe = br#"{"name":"/event_reports/add API description","description":"POST a report","mandatory_fields":["name"],"optional_fields":["distribution","content"],"url":"/event_reports/add"}"#;
    let ok = judge_in(&p, &d.response, buf, describe, &[7, 50]);
    assert_eq!(ok.verdict, misp_guard_verdict::Allow, "{ok:?}");
    let report = br#"{"EventReport":{"name":"r","content":"c","distribution":"0"}}"#;
    let no = judge_in(&p, &d.response, buf, report, &[]);
    assert_eq!((no.code.as_str(), no.pointer.as_str()), ("wrong_type", "/EventReport"));

    let d = decision(&p, "POST", "/events/edit/7/metadata:1");
    assert_eq!(d.request.kind, misp_guard_body_kind::Event as u32);
    let blocked = std::fs::read(corpus().join("current/fixtures/test_event_blocked_tags.json"));
    let no = judge_in(&p, &d.request, buf, &blocked.unwrap(), &[100]);
    assert_eq!(no.code, "event_blocked_tag");

    let chunk = format!("/analyst_data/index/Note/uuid[]:{U}/uuid[]:{U}.json");
    let d = decision(&p, "GET", &chunk);
    assert_eq!(d.response.kind, misp_guard_body_kind::AnalystDataList as u32);
    let note = br#"[{"Note":{"note":"a","distribution":"1","Tag":[{"name":"tlp:red"}]}}]"#;
    let no = judge_in(&p, &d.response, buf, note, &[9]);
    assert_eq!(no.code, "attribute_blocked_tag");

    let d = decision(&p, "POST", &format!("/events/pushProposals/{U}"));
    assert_eq!(d.request.kind, misp_guard_body_kind::ProposalList as u32);
    let sa = br#"[{"type":"passport-number","category":"Network activity","value":"x"}]"#;
    let no = judge_in(&p, &d.request, buf, sa, &[5]);
    assert_eq!((no.code.as_str(), no.pointer.as_str()), ("attribute_blocked_type", "/0/type"));

    // a shape MISP does not send is refused at the request
    let d = decision(&p, "POST", "/events/edit/7");
    assert_eq!(
        (d.verdict, as_str(d.reason_code).as_str()),
        (misp_guard_verdict::Block, "endpoint_not_allowed")
    );
}
