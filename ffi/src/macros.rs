//! The tiny helpers every entry point is built from: a panic boundary and NULL checks.
//!
//! Each macro `return`s from the enclosing closure, so they are used inside
//! [`ffi_panic_boundary!`], whose closure is the body of the exported function.

/// Runs `$body` (a block evaluating to the function's return value) and turns a panic
/// into `$on_panic`, so no unwind ever crosses the C boundary.
macro_rules! ffi_panic_boundary {
    ($on_panic:expr, $body:block) => {
        match ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $on_panic,
        }
    };
}

/// `&T` from a `*const T`, or `return NullParameter`.
macro_rules! try_ref {
    ($ptr:expr) => {{
        let p = $ptr;
        // SAFETY: the caller's contract (see the function's `# Safety`) is that a
        // non-NULL pointer points to a live, properly aligned value for the call.
        match unsafe { p.as_ref() } {
            Some(r) => r,
            None => return $crate::misp_guard_result::NullParameter,
        }
    }};
}

/// The raw pointer of a required output parameter, or `return NullParameter`.
/// Outputs are written with `ptr::write`, never read (they may be uninitialised).
macro_rules! try_out {
    ($ptr:expr) => {{
        let p = $ptr;
        if p.is_null() {
            return $crate::misp_guard_result::NullParameter;
        }
        p
    }};
}

/// `&[T]` from `(ptr, len)`: NULL is accepted only with `len == 0`.
macro_rules! try_slice {
    ($ptr:expr, $len:expr) => {{
        // SAFETY: the caller's contract (see the function's `# Safety`) is that a
        // non-NULL pointer points to `len` initialised elements, valid for the call.
        match unsafe { $crate::slice_from($ptr, $len) } {
            Some(s) => s,
            None => return $crate::misp_guard_result::NullParameter,
        }
    }};
}

/// `&str` from a `misp_guard_str`: NULL only with `len == 0`, must be UTF-8.
macro_rules! try_str {
    ($s:expr) => {{
        let s: $crate::misp_guard_str = $s;
        let bytes: &[u8] = try_slice!(s.data.cast::<u8>(), s.len);
        match ::core::str::from_utf8(bytes) {
            Ok(v) => v,
            Err(_) => return $crate::misp_guard_result::InvalidUtf8,
        }
    }};
}

/// `from_u32` for a fieldless `#[repr(u32)]` C enum, from its variant names: the
/// numbers stay written once, in the enum (where cbindgen reads them; it does not
/// expand macros, so the enum itself cannot be generated). Every variant must be
/// listed: a missing or unknown one does not compile.
macro_rules! c_enum_from_u32 {
    ($ty:ident { $($v:ident),+ $(,)? }) => {
        impl $ty {
            /// The variant numbered `v`, if there is one.
            pub(crate) fn from_u32(v: u32) -> Option<Self> {
                $(if v == $ty::$v as u32 {
                    return Some($ty::$v);
                })+
                None
            }
        }

        const _: () = {
            // exhaustiveness: a variant added to the enum but not here fails to compile
            #[allow(dead_code)]
            fn listed(v: $ty) {
                match v {
                    $($ty::$v)|+ => {}
                }
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use crate::misp_guard_result;

    fn guarded(panic: bool, p: *const u8) -> misp_guard_result {
        ffi_panic_boundary!(misp_guard_result::Panic, {
            let _ = try_ref!(p);
            assert!(!panic, "boom (expected by the test)");
            misp_guard_result::Ok
        })
    }

    #[test]
    fn a_panic_becomes_a_result_code() {
        let x = 1u8;
        assert_eq!(guarded(true, &x), misp_guard_result::Panic);
        assert_eq!(guarded(false, &x), misp_guard_result::Ok);
    }

    #[test]
    fn null_is_refused_before_the_body_runs() {
        assert_eq!(guarded(true, core::ptr::null()), misp_guard_result::NullParameter);
    }
}
