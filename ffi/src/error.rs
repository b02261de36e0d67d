//! The one result code every fallible entry point returns.

use core::ffi::c_char;

/// What a call did. Numbers are part of the ABI and never change; a retired value is
/// commented out, never reused.
///
/// Anything but `MISP_GUARD_RESULT_OK` from a call on the request path means "could not
/// decide": fail closed (refuse the message).
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_result {
    /// Success; outputs were written.
    Ok = 0,
    /// A required pointer was NULL (or a NULL buffer came with a non-zero length).
    NullParameter = 1,
    /// A string argument was not UTF-8.
    InvalidUtf8 = 2,
    /// The configuration could not be loaded (message in the caller's error buffer).
    ConfigError = 3,
    /// A caller buffer is too small (the needed size is reported where documented).
    BufferTooSmall = 4,
    /// The library panicked; the object involved must only be freed (or reset).
    Panic = 5,
    /// A caller buffer is not aligned to `misp_guard_evaluator_align()`.
    Misaligned = 6,
    /// An inspection that does not belong to this policy or was altered.
    InvalidInspection = 7,
    /// The call does not fit the evaluator's state (`feed` after `finish`, a log line
    /// before `finish` or for an allowed body).
    InvalidState = 8,
}

impl misp_guard_result {
    /// Static description, NUL-terminated.
    fn text(self) -> &'static core::ffi::CStr {
        use misp_guard_result::*;
        match self {
            Ok => c"ok",
            NullParameter => c"a required pointer argument was NULL",
            InvalidUtf8 => c"a string argument was not valid UTF-8",
            ConfigError => c"the configuration could not be loaded",
            BufferTooSmall => c"the caller's buffer is too small",
            Panic => c"internal error (panic caught at the C boundary)",
            Misaligned => c"the caller's buffer is not suitably aligned",
            InvalidInspection => c"the inspection does not belong to this policy",
            InvalidState => c"call not allowed in the evaluator's current state",
        }
    }
}

c_enum_from_u32!(misp_guard_result {
    Ok,
    NullParameter,
    InvalidUtf8,
    ConfigError,
    BufferTooSmall,
    Panic,
    Misaligned,
    InvalidInspection,
    InvalidState,
});

/// A short English description of a result code.
///
/// # Parameters
/// - `result`: a `misp_guard_result` value (any number is accepted).
///
/// # Returns
/// A static, NUL-terminated string; `"unknown result"` for a number that is not a
/// `misp_guard_result`. Never NULL.
///
/// # Memory and lifetimes
/// The string is static: never free it.
///
/// # Thread safety
/// May be called from any thread.
#[no_mangle]
pub extern "C" fn misp_guard_result_text(result: u32) -> *const c_char {
    ffi_panic_boundary!(c"unknown result".as_ptr(), {
        match misp_guard_result::from_u32(result) {
            Some(r) => r.text().as_ptr(),
            None => c"unknown result".as_ptr(),
        }
    })
}
