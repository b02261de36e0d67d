//! `misp_guard_policy`: a loaded configuration, reference counted and read-only.

use core::ffi::c_char;
use std::sync::Arc;

use misp_guard_core::Policy;

use crate::misp_guard_result;
use crate::text::Cut;

/// A compiled misp-guard configuration (either config format). Immutable: share one
/// pointer between any number of threads and evaluators.
pub struct misp_guard_policy {
    _private: [u8; 0],
}

impl misp_guard_policy {
    /// Borrows the policy behind a handle.
    ///
    /// # Safety
    /// `p` is non-NULL and came from `misp_guard_policy_new` and has not been freed.
    pub(crate) unsafe fn as_policy(p: &misp_guard_policy) -> &Policy {
        // SAFETY: the handle is the pointer of an `Arc<Policy>` (`into_raw`), alive per
        // the caller's contract.
        unsafe { &*(p as *const misp_guard_policy).cast::<Policy>() }
    }

    /// A new strong reference to the policy behind a handle.
    ///
    /// # Safety
    /// As for [`misp_guard_policy::as_policy`].
    pub(crate) unsafe fn to_arc(p: &misp_guard_policy) -> Arc<Policy> {
        let raw = (p as *const misp_guard_policy).cast::<Policy>();
        // SAFETY: `raw` came from `Arc::into_raw` and its count is at least one (the
        // caller's reference); the increment is matched by the `from_raw` below.
        unsafe {
            Arc::increment_strong_count(raw);
            Arc::from_raw(raw)
        }
    }
}

/// Loads a configuration (either misp-guard format) from JSON bytes.
///
/// # Parameters
/// - `json`, `json_len`: the configuration file's contents (UTF-8 JSON). `json` may be
///   NULL only when `json_len` is 0.
/// - `policy_out`: receives the new policy on success.
/// - `err_buf`, `err_len`: a buffer for an error message (may be NULL when `err_len`
///   is 0). On `MISP_GUARD_RESULT_CONFIG_ERROR` it receives a NUL-terminated
///   `LINE:COL: message (at PATH)` (1-based; cut with `…` to fit).
///
/// # Returns
/// `MISP_GUARD_RESULT_OK`, `_NULL_PARAMETER` (`policy_out` NULL, or a NULL buffer
/// with a length), `_CONFIG_ERROR` or `_PANIC`.
///
/// # Memory and lifetimes
/// On success `*policy_out` owns a policy: release it with `misp_guard_policy_free`.
/// `json` is not retained after the call. Evaluators keep their own reference, so the
/// policy may be freed while evaluators made from it are still in use.
///
/// # Thread safety
/// May be called from any thread. The resulting policy is immutable and may be used
/// from any number of threads at once.
///
/// # Safety
/// `json` must point to `json_len` readable bytes; `err_buf` to `err_len` writable
/// bytes; `policy_out` to a writable pointer.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_policy_new(
    json: *const u8,
    json_len: usize,
    policy_out: *mut *const misp_guard_policy,
    err_buf: *mut c_char,
    err_len: usize,
) -> misp_guard_result {
    ffi_panic_boundary!(misp_guard_result::Panic, {
        let json = try_slice!(json, json_len);
        let out = try_out!(policy_out);
        if err_buf.is_null() && err_len != 0 {
            return misp_guard_result::NullParameter;
        }
        match Policy::from_json_slice(json) {
            Ok(p) => {
                let raw = Arc::into_raw(Arc::new(p)).cast::<misp_guard_policy>();
                // SAFETY: `out` is non-NULL and writable per the contract.
                unsafe { out.write(raw) };
                misp_guard_result::Ok
            }
            Err(e) => {
                if err_len != 0 {
                    // SAFETY: non-NULL (checked above) and `err_len` writable bytes.
                    let buf = unsafe { core::slice::from_raw_parts_mut(err_buf.cast(), err_len) };
                    Cut::render(buf, format_args!("{e}"));
                }
                misp_guard_result::ConfigError
            }
        }
    })
}

/// Releases the caller's reference to a policy.
///
/// # Parameters
/// - `policy`: from `misp_guard_policy_new`, or NULL (then nothing happens).
///
/// # Memory and lifetimes
/// Call it exactly once per successful `misp_guard_policy_new`; never use `policy`
/// afterwards. The memory is released when the last evaluator created from it is
/// freed too.
///
/// # Thread safety
/// May be called from any thread, once no other thread uses this pointer.
///
/// # Safety
/// `policy` is NULL or a live pointer from `misp_guard_policy_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn misp_guard_policy_free(policy: *const misp_guard_policy) {
    ffi_panic_boundary!((), {
        if policy.is_null() {
            return;
        }
        // SAFETY: from `Arc::into_raw` (`misp_guard_policy_new`), released once.
        drop(unsafe { Arc::from_raw(policy.cast::<Policy>()) });
    })
}
