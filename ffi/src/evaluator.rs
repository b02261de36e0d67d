//! `misp_guard_evaluator`: inspects one body — `feed` chunks, then `finish`.
//!
//! Lives on the heap (`_new`/`_free`) or in caller memory (`_size`/`_align`/`_init`/
//! `_deinit`). Either way it holds a reference on its policy, the core [`Guard`] (fixed
//! size; allocates only a Content-Encoding decoder's window), and, once finished, the
//! verdict and its rendered message, which the borrowed strings of
//! `misp_guard_body_verdict` point into.

use core::ffi::{c_char, c_void};
use core::mem::{align_of, size_of};
use core::panic::AssertUnwindSafe;
use std::panic::catch_unwind;
use std::sync::Arc;

use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::RefusalLines;
use misp_guard_core::{Block, Guard, Inspection, Policy, Progress, Side, Verdict};

use crate::policy::misp_guard_policy;
use crate::text::{rendered_len, Cut};
use crate::{
    misp_guard_header, misp_guard_inspection, misp_guard_result, misp_guard_side, misp_guard_str,
    misp_guard_verdict, side_to_c, with_headers,
};

/// Bytes kept for a rendered block message (longer messages are cut with `…`).
const MESSAGE_CAP: usize = 1024;

/// Inspects one body. Not thread-safe: use it from one thread at a time (it may move
/// between threads). Opaque.
pub struct misp_guard_evaluator {
    _private: [u8; 0],
}

/// What `misp_guard_evaluator_feed` found so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_progress {
    /// Nothing decided yet: feed more, then finish.
    Continue = 0,
    /// The verdict will be a block whatever follows. The caller may stop feeding and
    /// call finish (the reported reason may then differ from the one a full body gives).
    Blocked = 1,
}

/// The verdict on a body, written by `misp_guard_evaluator_finish`.
///
/// The strings are borrowed from the evaluator: valid until it is freed, deinit'ed or
/// reset. Empty (never NULL) when allowed or when not applicable.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct misp_guard_body_verdict {
    /// Allow (forward unchanged) or block (refuse with 403).
    pub verdict: misp_guard_verdict,
    /// A `misp_guard_reason` when blocked, 0 when allowed.
    pub reason: u16,
    /// Which message was judged.
    pub side: misp_guard_side,
    /// The reason's stable snake_case name, e.g. `"event_blocked_tag"`.
    pub reason_code: misp_guard_str,
    /// The rule that matched: the instance name, or the legacy `block_rules[].id`.
    pub rule_id: misp_guard_str,
    /// misp-guard's wording, e.g. `event has blocked tag: tlp:red` (escaped, one line;
    /// without the `request blocked: [METHOD]PATH - ` prefix, see
    /// `misp_guard_evaluator_log_line`).
    pub message: misp_guard_str,
    /// The offending value as found (unescaped; may contain any character).
    pub detail: misp_guard_str,
    /// JSON pointer (RFC 6901) of the offending element; empty for the whole body.
    pub pointer: misp_guard_str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Feeding,
    Finished,
    /// The core panicked mid-call: only reset/free are allowed.
    Poisoned,
}

/// What the handle points to.
struct State {
    /// Holds its own reference count on `policy`.
    guard: Guard<'static>,
    policy: Arc<Policy>,
    side: Side,
    phase: Phase,
    block: Option<Block>,
    message: [u8; MESSAGE_CAP],
    message_len: usize,
    /// Allocated by `_new` (else placed by `_init` in caller memory).
    heap: bool,
}

impl State {
    /// # Safety
    /// `headers` and their bytes must be readable for the call (see `with_headers`).
    unsafe fn new(
        policy: Arc<Policy>,
        insp: Inspection,
        headers: *const misp_guard_header,
        headers_len: usize,
        heap: bool,
    ) -> Result<State, misp_guard_result> {
        // SAFETY: forwarded from this function's contract.
        let guard = unsafe { with_headers(headers, headers_len, |h| guard_for(&policy, insp, h)) }?;
        Ok(State {
            guard,
            policy,
            side: insp.side,
            phase: Phase::Feeding,
            block: None,
            message: [0; MESSAGE_CAP],
            message_len: 0,
            heap,
        })
    }

    fn message(&self) -> &str {
        // `Cut` only stops at character boundaries, so this is always UTF-8.
        core::str::from_utf8(&self.message[..self.message_len]).unwrap_or("")
    }

    /// The borrowed view of the finished verdict.
    fn verdict(&self) -> misp_guard_body_verdict {
        match &self.block {
            None => misp_guard_body_verdict {
                verdict: misp_guard_verdict::Allow,
                reason: 0,
                side: side_to_c(self.side),
                reason_code: misp_guard_str::empty(),
                rule_id: misp_guard_str::empty(),
                message: misp_guard_str::empty(),
                detail: misp_guard_str::empty(),
                pointer: misp_guard_str::empty(),
            },
            Some(b) => misp_guard_body_verdict {
                verdict: misp_guard_verdict::Block,
                reason: b.reason as u16,
                side: side_to_c(b.side),
                reason_code: misp_guard_str::borrow(b.reason.code()),
                rule_id: misp_guard_str::borrow(b.rule_id(&self.policy).unwrap_or("")),
                message: misp_guard_str::borrow(self.message()),
                detail: misp_guard_str::borrow(b.detail()),
                pointer: misp_guard_str::borrow(b.pointer()),
            },
        }
    }
}

/// Builds the guard for a body; it shares the policy (one more reference count).
fn guard_for(policy: &Arc<Policy>, insp: Inspection, headers: &[Header<'_>]) -> Guard<'static> {
    Guard::for_body(Arc::clone(policy), insp, headers, Limits::default())
}

/// The state behind a handle.
///
/// # Safety
/// `p` is NULL or a live evaluator from `_new`/`_init`, not used by another thread.
unsafe fn state<'a>(p: *mut misp_guard_evaluator) -> Option<&'a mut State> {
    // SAFETY: per the contract the handle points to an initialised `State`.
    unsafe { p.cast::<State>().as_mut() }
}

/// The state of a new evaluator (`_new`, `_init`): its own reference on `policy`, the
/// inspection checked against that policy, and the guard for `headers`. `heap`: as for
/// [`State::new`].
///
/// # Safety
/// `policy` is a live policy; `headers` points to `headers_len` headers readable for
/// their lengths.
unsafe fn new_state(
    policy: &misp_guard_policy,
    inspection: misp_guard_inspection,
    headers: *const misp_guard_header,
    headers_len: usize,
    heap: bool,
) -> Result<State, misp_guard_result> {
    // SAFETY: a live handle per the caller's contract.
    let arc = unsafe { misp_guard_policy::to_arc(policy) };
    let insp = inspection.to_core(&arc)?;
    // SAFETY: headers readable per the caller's contract.
    unsafe { State::new(arc, insp, headers, headers_len, heap) }
}

/// Creates an evaluator on the heap for one body.
///
/// # Parameters
/// - `policy`: the policy that produced `inspection`.
/// - `inspection`: `decision.request` or `decision.response` from
///   `misp_guard_check_request` (when `inspect_request`/`inspect_response` is set).
/// - `headers`, `headers_len`: that message's headers (may be NULL when `headers_len`
///   is 0): `Content-Encoding` (gzip, deflate, br decoded within bounds; anything else
///   blocks), `Content-Type` (a charset other than UTF-8 blocks) and, for responses,
///   `X-UserOrgUUID`. A body of more than 256 MiB as sent is refused
///   (`body_too_large`), as is one that decodes to more.
/// - `evaluator_out`: receives the evaluator.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER`, `_INVALID_INSPECTION` (not from this
/// policy, or altered) or `_PANIC`.
///
/// # Memory and lifetimes
/// Allocates the evaluator, plus a decoder window when the body is Content-Encoded.
/// Release it with `misp_guard_evaluator_free`. It holds its own reference on
/// `policy`. `headers` are not retained after the call.
///
/// # Thread safety
/// The evaluator must be used by one thread at a time.
///
/// # Safety
/// `policy` is a live policy; `inspection` points to a readable inspection; `headers`
/// to `headers_len` headers readable for their lengths; `evaluator_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_new(
    policy: *const misp_guard_policy,
    inspection: *const misp_guard_inspection,
    headers: *const misp_guard_header,
    headers_len: usize,
    evaluator_out: *mut *mut misp_guard_evaluator,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        let policy = try_ref!(policy);
        let inspection = *try_ref!(inspection);
        let out = try_out!(evaluator_out);
        // SAFETY: `policy` live and `headers` readable per the contract.
        let st = match unsafe { new_state(policy, inspection, headers, headers_len, true) } {
            Ok(s) => s,
            Err(e) => return e,
        };
        let raw = Box::into_raw(Box::new(st)).cast::<misp_guard_evaluator>();
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { out.write(raw) };
        misp_guard_result::Ok
    })
}

/// Bytes of caller memory an evaluator needs (for `misp_guard_evaluator_init`).
///
/// # Returns
/// `sizeof` the evaluator state for this build of the library. Ask at run time: it
/// changes between versions.
///
/// # Thread safety
/// May be called from any thread.
#[no_mangle]
pub extern "C" fn misp_guard_evaluator_size() -> usize {
    size_of::<State>()
}

/// Alignment in bytes that caller memory for `misp_guard_evaluator_init` must have.
///
/// # Returns
/// A power of two (at most 16 on common targets: `malloc` and `_Alignas(16)` suit).
///
/// # Thread safety
/// May be called from any thread.
#[no_mangle]
pub extern "C" fn misp_guard_evaluator_align() -> usize {
    align_of::<State>()
}

/// Creates an evaluator in caller-provided memory: no allocation (unless the body is
/// Content-Encoded: a decoder allocates its window). Same contract as
/// `misp_guard_evaluator_new` otherwise.
///
/// # Parameters
/// - `buf`, `buf_len`: at least `misp_guard_evaluator_size()` bytes, aligned to
///   `misp_guard_evaluator_align()`.
/// - `policy`, `inspection`, `headers`, `headers_len`: as for `misp_guard_evaluator_new`.
/// - `evaluator_out`: receives the evaluator (it is `buf`).
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER`, `_BUFFER_TOO_SMALL`, `_MISALIGNED`,
/// `_INVALID_INSPECTION` or `_PANIC`. On failure `buf` holds nothing to release.
///
/// # Memory and lifetimes
/// On success release it with `misp_guard_evaluator_deinit` before reusing or freeing
/// `buf` (or reuse it with `misp_guard_evaluator_reset`). The evaluator must not be
/// moved or copied (`memcpy`) while initialised: borrowed strings point into it.
///
/// # Thread safety
/// As for `misp_guard_evaluator_new`.
///
/// # Safety
/// `buf` points to `buf_len` writable bytes not otherwise in use until deinit; other
/// pointers as for `misp_guard_evaluator_new`.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_init(
    buf: *mut c_void,
    buf_len: usize,
    policy: *const misp_guard_policy,
    inspection: *const misp_guard_inspection,
    headers: *const misp_guard_header,
    headers_len: usize,
    evaluator_out: *mut *mut misp_guard_evaluator,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        let buf = try_out!(buf);
        let policy = try_ref!(policy);
        let inspection = *try_ref!(inspection);
        let out = try_out!(evaluator_out);
        if buf_len < size_of::<State>() {
            return misp_guard_result::BufferTooSmall;
        }
        if (buf as usize) % align_of::<State>() != 0 {
            return misp_guard_result::Misaligned;
        }
        // SAFETY: `policy` live and `headers` readable per the contract.
        let st = match unsafe { new_state(policy, inspection, headers, headers_len, false) } {
            Ok(s) => s,
            Err(e) => return e,
        };
        let place = buf.cast::<State>();
        // SAFETY: `place` is non-NULL, aligned and has room for a `State` (checked
        // above), and is writable and unused per the contract; `write` does not drop
        // the previous (uninitialised) contents.
        unsafe { place.write(st) };
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { out.write(place.cast()) };
        misp_guard_result::Ok
    })
}

/// Reuses an evaluator for a new body (no allocation for identity bodies): as if it
/// were freed and created again with the same policy.
///
/// # Parameters
/// - `evaluator`: from `_new` or `_init` (any state, also after `_PANIC`).
/// - `inspection`, `headers`, `headers_len`: as for `misp_guard_evaluator_new`; the
///   inspection must come from the evaluator's policy.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER`, `_INVALID_INSPECTION` (the evaluator is
/// unchanged) or `_PANIC` (then only free/deinit it).
///
/// # Memory and lifetimes
/// Strings borrowed from the previous verdict become invalid.
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is live; other pointers as for `misp_guard_evaluator_new`.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_reset(
    evaluator: *mut misp_guard_evaluator,
    inspection: *const misp_guard_inspection,
    headers: *const misp_guard_header,
    headers_len: usize,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        // SAFETY: live and unshared per the contract.
        let Some(st) = (unsafe { state(evaluator) }) else {
            return misp_guard_result::NullParameter;
        };
        let inspection = *try_ref!(inspection);
        let insp = match inspection.to_core(&st.policy) {
            Ok(i) => i,
            Err(e) => return e,
        };
        st.phase = Phase::Poisoned; // until the new guard is in place
        let (policy, guard) = (&st.policy, &mut st.guard);
        // reset in place (a new guard is ~10 KiB to build and move), once every header
        // has been read
        let reset = |h: &[Header<'_>]| guard.reset(Arc::clone(policy), insp, h, Limits::default());
        // SAFETY: headers readable per the contract.
        if let Err(e) = unsafe { with_headers(headers, headers_len, reset) } {
            return e;
        }
        st.side = insp.side;
        st.block = None;
        st.message_len = 0;
        st.phase = Phase::Feeding;
        misp_guard_result::Ok
    })
}

/// Feeds the next chunk of the body (as received: still Content-Encoded).
///
/// # Parameters
/// - `evaluator`: a live evaluator, not finished.
/// - `chunk`, `chunk_len`: the bytes (may be NULL when `chunk_len` is 0). Any split of
///   the body gives the same verdict.
/// - `progress_out`: optional (may be NULL): receives `MISP_GUARD_PROGRESS_BLOCKED`
///   once the verdict is certain to be a block.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER`, `_INVALID_STATE` (already finished) or
/// `_PANIC` (the evaluator is unusable until reset: refuse the message).
///
/// # Memory and lifetimes
/// `chunk` is not retained. No allocation for identity bodies.
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is live; `chunk` points to `chunk_len` readable bytes; `progress_out`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_feed(
    evaluator: *mut misp_guard_evaluator,
    chunk: *const u8,
    chunk_len: usize,
    progress_out: *mut misp_guard_progress,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        // SAFETY: live and unshared per the contract.
        let Some(st) = (unsafe { state(evaluator) }) else {
            return misp_guard_result::NullParameter;
        };
        let chunk = try_slice!(chunk, chunk_len);
        match st.phase {
            Phase::Feeding => {}
            Phase::Finished => return misp_guard_result::InvalidState,
            Phase::Poisoned => return misp_guard_result::Panic,
        }
        let guard = &mut st.guard;
        let Ok(p) = catch_unwind(AssertUnwindSafe(|| guard.feed(chunk))) else {
            st.phase = Phase::Poisoned;
            return misp_guard_result::Panic;
        };
        if !progress_out.is_null() {
            let p = match p {
                Progress::Continue => misp_guard_progress::Continue,
                Progress::Blocked => misp_guard_progress::Blocked,
            };
            // SAFETY: non-NULL and writable per the contract.
            unsafe { progress_out.write(p) };
        }
        misp_guard_result::Ok
    })
}

/// Ends the body and gives the verdict. Calling it again returns the same verdict.
///
/// # Parameters
/// - `evaluator`: a live evaluator.
/// - `verdict_out`: receives the verdict.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER` or `_PANIC` (refuse the message).
///
/// # Memory and lifetimes
/// The strings in `*verdict_out` are borrowed from the evaluator: valid until it is
/// freed, deinit'ed or reset.
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is live; `verdict_out` is writable.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_finish(
    evaluator: *mut misp_guard_evaluator,
    verdict_out: *mut misp_guard_body_verdict,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        // SAFETY: live and unshared per the contract.
        let Some(st) = (unsafe { state(evaluator) }) else {
            return misp_guard_result::NullParameter;
        };
        let out = try_out!(verdict_out);
        match st.phase {
            Phase::Feeding => {
                let guard = &mut st.guard;
                let Ok(v) = catch_unwind(AssertUnwindSafe(|| guard.finish())) else {
                    st.phase = Phase::Poisoned;
                    return misp_guard_result::Panic;
                };
                if let Verdict::Block(b) = v {
                    let msg = b.message(&st.policy);
                    st.message_len = Cut::render(&mut st.message, format_args!("{msg}"));
                    st.block = Some(b);
                }
                st.phase = Phase::Finished;
            }
            Phase::Finished => {}
            Phase::Poisoned => return misp_guard_result::Panic,
        }
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { out.write(st.verdict()) };
        misp_guard_result::Ok
    })
}

/// Renders misp-guard's log line for a blocked body:
/// `request blocked: [METHOD]PATH - MESSAGE` (traffic escaped, one line).
///
/// # Parameters
/// - `evaluator`: finished with a block.
/// - `method`, `path`: the request's method and path with query, as sent.
/// - `buf`, `buf_len`: receives the NUL-terminated line (may be NULL when `buf_len`
///   is 0, to ask for the size).
/// - `written_out`: receives the line's length in bytes, without the NUL — also on
///   `_BUFFER_TOO_SMALL`, so the caller can retry with `*written_out + 1` bytes.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER`, `_INVALID_UTF8`, `_INVALID_STATE` (not
/// finished, or allowed), `_BUFFER_TOO_SMALL` or `_PANIC`.
///
/// # Memory and lifetimes
/// Nothing is retained; no allocation.
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is live; `method`/`path` readable for their lengths; `buf` writable
/// for `buf_len` bytes; `written_out` writable.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_log_line(
    evaluator: *mut misp_guard_evaluator,
    method: misp_guard_str,
    path: misp_guard_str,
    buf: *mut c_char,
    buf_len: usize,
    written_out: *mut usize,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        // SAFETY: live and unshared per the contract.
        let Some(st) = (unsafe { state(evaluator) }) else {
            return misp_guard_result::NullParameter;
        };
        let method = try_str!(method);
        let path = try_str!(path);
        let written = try_out!(written_out);
        if buf.is_null() && buf_len != 0 {
            return misp_guard_result::NullParameter;
        }
        let (Phase::Finished, Some(block)) = (st.phase, &st.block) else {
            return misp_guard_result::InvalidState;
        };
        // a body's refusal has no preamble (endpoint refusals are request-level)
        let line = RefusalLines::new(method, path, block, &st.policy).line;
        let need = rendered_len(format_args!("{line}"));
        // SAFETY: `written` is non-NULL and writable per the contract.
        unsafe { written.write(need) };
        if need >= buf_len {
            return misp_guard_result::BufferTooSmall;
        }
        // SAFETY: non-NULL (buf_len > need >= 0) and writable for `buf_len` bytes.
        let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), buf_len) };
        Cut::render(out, format_args!("{line}"));
        misp_guard_result::Ok
    })
}

/// Releases an evaluator's resources (its decoder, its policy reference) and, for one
/// from `misp_guard_evaluator_new`, its memory.
///
/// # Parameters
/// - `evaluator`: from `misp_guard_evaluator_new`, or NULL (then nothing happens).
///
/// # Memory and lifetimes
/// Call it exactly once; never use `evaluator` or strings borrowed from it afterwards.
/// (Given an evaluator from `_init`, it acts as `misp_guard_evaluator_deinit`.)
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is NULL or live and not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_free(evaluator: *mut misp_guard_evaluator) {
    // SAFETY: forwarded from this function's contract.
    ffi_panic_boundary!((), { unsafe { release(evaluator) } })
}

/// Releases an evaluator placed by `misp_guard_evaluator_init`; its memory is the
/// caller's again afterwards.
///
/// # Parameters
/// - `evaluator`: from `misp_guard_evaluator_init`, or NULL (then nothing happens).
///
/// # Memory and lifetimes
/// Call it exactly once per successful init; never use `evaluator` or strings borrowed
/// from it afterwards. (Given an evaluator from `_new`, it acts as
/// `misp_guard_evaluator_free`.)
///
/// # Thread safety
/// Not thread-safe (one thread at a time per evaluator).
///
/// # Safety
/// `evaluator` is NULL or live and not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_evaluator_deinit(evaluator: *mut misp_guard_evaluator) {
    // SAFETY: forwarded from this function's contract.
    ffi_panic_boundary!((), { unsafe { release(evaluator) } })
}

/// # Safety
/// `evaluator` is NULL or a live evaluator that is not used afterwards.
unsafe fn release(evaluator: *mut misp_guard_evaluator) {
    let p = evaluator.cast::<State>();
    // SAFETY: live per the contract.
    let Some(st) = (unsafe { p.as_ref() }) else {
        return;
    };
    if st.heap {
        // SAFETY: `heap` states come from `Box::into_raw` in `_new`; released once.
        drop(unsafe { Box::from_raw(p) });
    } else {
        // SAFETY: an initialised `State` written by `_init`, dropped once; the memory
        // stays the caller's.
        unsafe { core::ptr::drop_in_place(p) };
    }
}
