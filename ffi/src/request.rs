//! The request-level decision: allowlist, instances, compartments, ports, endpoints.

use core::ffi::c_char;

use misp_guard_core::Allowlisted;
use misp_guard_core::RefusalLines;
use misp_guard_core::{Block, RequestInfo, RequestVerdict};

use crate::policy::misp_guard_policy;
use crate::text::Cut;
use crate::{
    misp_guard_header, misp_guard_inspection, misp_guard_result, misp_guard_str,
    misp_guard_verdict, with_headers,
};

/// Capacity in bytes (with the terminating NUL) of the log lines in a
/// `misp_guard_request_decision`; longer lines are cut and end with `…`.
pub const MISP_GUARD_LINE_CAP: usize = 1024;

/// Why a request passed through the allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_allowlisted {
    /// It did not (normal sync traffic).
    None = 0,
    /// Its URL is in `allowlist.urls`.
    Url = 1,
    /// Its host is in `allowlist.domains`.
    Domain = 2,
}

/// The request-level decision, written by `misp_guard_check_request`. Self-contained
/// plain data (no pointers into other objects except the static `reason_code`).
#[repr(C)]
pub struct misp_guard_request_decision {
    /// `MISP_GUARD_VERDICT_BLOCK`: refuse now (403), nothing reaches the upstream.
    pub verdict: misp_guard_verdict,
    /// A `misp_guard_reason` when blocked, 0 when allowed.
    pub reason: u16,
    /// The reason's stable snake_case name (`"endpoint_not_allowed"`), empty when
    /// allowed. Static: valid forever.
    pub reason_code: misp_guard_str,
    /// Whether the request passed through the allowlist (then nothing is inspected).
    pub allowlisted: misp_guard_allowlisted,
    /// Inspect the request body (with `request`) before forwarding it.
    pub inspect_request: bool,
    /// The request body inspection (zeroes unless `inspect_request`).
    pub request: misp_guard_inspection,
    /// Hold the upstream response body back and inspect it (with `response`).
    pub inspect_response: bool,
    /// The response body inspection (zeroes unless `inspect_response`).
    pub response: misp_guard_inspection,
    /// Log `preamble` (error level) before `log_line`.
    pub has_preamble: bool,
    /// `rejecting non allowed request to PATH` when `has_preamble`, else empty.
    /// NUL-terminated.
    pub preamble: [c_char; MISP_GUARD_LINE_CAP],
    /// NUL-terminated. Blocked: `request blocked: [METHOD]PATH - MESSAGE`, to log at
    /// error level. Allowlisted: `url … was allowed by the allowlist` (or `domain …`),
    /// to log at info level. Otherwise empty. Traffic is escaped: one line, always.
    pub log_line: [c_char; MISP_GUARD_LINE_CAP],
}

/// Decides on a request from its method, path, addresses and headers (misp-guard's
/// request hook), and says which bodies must then be inspected.
///
/// # Parameters
/// - `policy`: the configuration.
/// - `method`: the method as sent (case-sensitive), e.g. `POST`.
/// - `path`: path with query, exactly as sent (not normalised).
/// - `scheme`: `https` or `http`.
/// - `src_ip`: the connection's source address.
/// - `dst_host`: the destination host the client addressed (Host header).
/// - `dst_port`: the destination port.
/// - `headers`, `headers_len`: the request headers (may be NULL when `headers_len` is
///   0). Up to 64 headers are handled without allocating.
/// - `decision_out`: receives the decision.
///
/// # Returns
/// `MISP_GUARD_RESULT_OK` (then read `decision_out->verdict`), `_NULL_PARAMETER`,
/// `_INVALID_UTF8` (a string argument is not UTF-8: refuse the request) or `_PANIC`.
/// On any result but OK, `*decision_out` is not written: fail closed.
///
/// # Memory and lifetimes
/// Nothing is retained after the call; the decision is plain data owned by the caller.
///
/// # Thread safety
/// May be called from any number of threads at once with the same policy.
///
/// # Safety
/// Each `misp_guard_str` must point to `len` readable bytes; `headers` to
/// `headers_len` headers whose pointers are readable for their lengths;
/// `decision_out` to writable memory for one `misp_guard_request_decision`.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_check_request(
    policy: *const misp_guard_policy,
    method: misp_guard_str,
    path: misp_guard_str,
    scheme: misp_guard_str,
    src_ip: misp_guard_str,
    dst_host: misp_guard_str,
    dst_port: u16,
    headers: *const misp_guard_header,
    headers_len: usize,
    decision_out: *mut misp_guard_request_decision,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        let policy = try_ref!(policy);
        // SAFETY: a live handle per the contract.
        let policy = unsafe { misp_guard_policy::as_policy(policy) };
        let req = RequestInfo {
            method: try_str!(method),
            path: try_str!(path),
            scheme: try_str!(scheme),
            src_ip: try_str!(src_ip),
            dst_host: try_str!(dst_host),
            dst_port,
        };
        let out = try_out!(decision_out);
        // SAFETY: `headers` and their bytes are readable per the contract.
        let verdict = match unsafe {
            with_headers(headers, headers_len, |h| policy.check_request(&req, h))
        } {
            Ok(v) => v,
            Err(e) => return e,
        };
        let mut d = misp_guard_request_decision {
            verdict: misp_guard_verdict::Allow,
            reason: 0,
            reason_code: misp_guard_str::empty(),
            allowlisted: misp_guard_allowlisted::None,
            inspect_request: false,
            request: misp_guard_inspection::none(),
            inspect_response: false,
            response: misp_guard_inspection::none(),
            has_preamble: false,
            preamble: [0; MISP_GUARD_LINE_CAP],
            log_line: [0; MISP_GUARD_LINE_CAP],
        };
        match verdict {
            RequestVerdict::Block(block) => fill_block(&mut d, &req, &block, policy),
            RequestVerdict::Allow(plan) => {
                if let Some(i) = plan.request {
                    d.inspect_request = true;
                    d.request = misp_guard_inspection::from_core(&i);
                }
                if let Some(i) = plan.response {
                    d.inspect_response = true;
                    d.response = misp_guard_inspection::from_core(&i);
                }
                d.allowlisted = match plan.allowlisted {
                    None => misp_guard_allowlisted::None,
                    Some(Allowlisted::Url) => misp_guard_allowlisted::Url,
                    Some(Allowlisted::Domain) => misp_guard_allowlisted::Domain,
                };
                if let Some(line) = plan.allow_line(&req) {
                    Cut::render(bytes(&mut d.log_line), format_args!("{line}"));
                }
            }
        }
        // SAFETY: `out` is non-NULL and writable per the contract; `write` does not
        // read or drop what was there (possibly uninitialised).
        unsafe { out.write(d) };
        misp_guard_result::Ok
    })
}

fn fill_block(
    d: &mut misp_guard_request_decision,
    req: &RequestInfo<'_>,
    block: &Block,
    policy: &misp_guard_core::Policy,
) {
    d.verdict = misp_guard_verdict::Block;
    d.reason = block.reason as u16;
    d.reason_code = misp_guard_str::borrow(block.reason.code());
    let lines = RefusalLines::new(req.method, req.path, block, policy);
    if let Some(pre) = lines.preamble {
        d.has_preamble = true;
        Cut::render(bytes(&mut d.preamble), format_args!("{pre}"));
    }
    Cut::render(bytes(&mut d.log_line), format_args!("{}", lines.line));
}

/// The `char` array as bytes (`c_char` is `i8` or `u8` depending on the target).
fn bytes(a: &mut [c_char; MISP_GUARD_LINE_CAP]) -> &mut [u8] {
    let len = a.len();
    // SAFETY: `c_char` and `u8` have the same size and alignment, every bit pattern is
    // valid for both, and the borrow of `a` is carried over.
    unsafe { core::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<u8>(), len) }
}
