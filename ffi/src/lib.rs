//! C ABI for misp-guard's decision path. The header is `include/misp_guard.h`,
//! generated from this crate by cbindgen (`ffi/cbindgen.toml`, see `tests/header.rs`).
//!
//! ```text
//! misp_guard_policy_new ──► misp_guard_check_request ──► (block: 403)
//!                                   │ inspection(s)
//!                                   ▼
//!            misp_guard_evaluator_new / _init ─► _feed … ─► _finish ─► verdict
//! ```
//!
//! Conventions (after rustls-ffi):
//! * Opaque handles: `misp_guard_policy` (immutable, shared across threads, reference
//!   counted) and `misp_guard_evaluator` (one body, one thread at a time).
//! * Every entry point catches panics ([`misp_guard_result::Panic`]) and NULL-checks
//!   its pointers ([`misp_guard_result::NullParameter`]); see `macros.rs`.
//! * Inputs come before outputs; a buffer is followed by its length; outputs are
//!   written only on success.
//! * No global mutable state; no allocation per request except a Content-Encoding
//!   decoder's window and `misp_guard_evaluator_new` itself (use `_init` to avoid it).
//!
//! All `unsafe` of the project's C surface lives in this crate, each block with a
//! `// SAFETY:` note; the core is `deny(unsafe_code)`, allowed in one module only (its
//! SIMD scanners, `core/src/json/simd.rs`).
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]

#[macro_use]
mod macros;
mod text;

// In the order of a request's life (cbindgen writes the header in this order).
mod error;
// 1. load the configuration
mod policy;
// 2. decide on the request
mod request;
// 3. inspect the bodies it asks for
mod evaluator;

use core::ffi::c_char;

use misp_guard_core::MinimalSearch;
use misp_guard_core::{BodyKind, Inspection, Policy, RuleSetId, Side};

pub use error::{misp_guard_result, misp_guard_result_text};
pub use evaluator::{
    misp_guard_body_verdict, misp_guard_evaluator, misp_guard_evaluator_align,
    misp_guard_evaluator_deinit, misp_guard_evaluator_feed, misp_guard_evaluator_finish,
    misp_guard_evaluator_free, misp_guard_evaluator_init, misp_guard_evaluator_log_line,
    misp_guard_evaluator_new, misp_guard_evaluator_reset, misp_guard_evaluator_size,
    misp_guard_progress,
};
pub use policy::{misp_guard_policy, misp_guard_policy_free, misp_guard_policy_new};
pub use request::{
    misp_guard_allowlisted, misp_guard_check_request, misp_guard_request_decision,
    MISP_GUARD_LINE_CAP,
};

/// A borrowed UTF-8 string: `len` bytes at `data`, **not** NUL-terminated (print it
/// with `"%.*s", (int)s.len, s.data`). As an input, `data` may be NULL only when `len`
/// is 0. As an output, `data` is never NULL, and the function that produced it says
/// how long it stays valid.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct misp_guard_str {
    /// First byte.
    pub data: *const c_char,
    /// Length in bytes.
    pub len: usize,
}

impl misp_guard_str {
    /// Borrows `s`; the caller keeps `s` alive as long as the result is used.
    pub(crate) fn borrow(s: &str) -> Self {
        misp_guard_str { data: s.as_ptr().cast(), len: s.len() }
    }

    /// The empty string (static).
    pub(crate) fn empty() -> Self {
        Self::borrow("")
    }
}

/// One HTTP header as bytes (no UTF-8 requirement). `name`/`value` may be NULL only
/// when their length is 0. Names are compared case-insensitively.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct misp_guard_header {
    /// Header name.
    pub name: *const u8,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// Header value.
    pub value: *const u8,
    /// Length of `value` in bytes.
    pub value_len: usize,
}

/// The decision on a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_verdict {
    /// Forward it unchanged.
    Allow = 0,
    /// Refuse it: answer `403` with body `Forbidden` (Content-Type `text/plain`) and
    /// log the block's log line at error level.
    Block = 1,
}

/// Which message a body belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_side {
    /// The request body (push); inspect it before forwarding the request.
    Request = 0,
    /// The upstream response body (pull); hold it back until it is judged.
    Response = 1,
}

/// What a body is, hence how it is read (the `kind` of a `misp_guard_inspection`).
/// 0 is never a valid kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum misp_guard_body_kind {
    /// `{"Event": {…}}`.
    Event = 1,
    /// `[{"ShadowAttribute": {…}}, …]`.
    ShadowAttributeIndex = 2,
    /// `[{"GalaxyCluster": {…}}, …]`.
    GalaxyClusterList = 3,
    /// `{"GalaxyCluster": {…}}`.
    GalaxyCluster = 4,
    /// `{"Note"|"Opinion"|"Relationship": {…}}`.
    AnalystData = 5,
    /// `[{"Note"|"Opinion"|"Relationship": {…}}, …]`.
    AnalystDataList = 6,
    /// `/events/index` results.
    EventsIndex = 7,
    /// `/galaxy_clusters/restSearch` results.
    GalaxyClusterSearch = 8,
    /// Sightings.
    Sightings = 9,
    /// `POST /events/index` search parameters (`minimal: 1, published: 1` required).
    MinimalSearchEventsIndex = 10,
    /// The same, legacy-format wording (`/events/index external`).
    MinimalSearchEventsIndexExternal = 11,
    /// `POST /galaxy_clusters/restSearch` search parameters.
    MinimalSearchGalaxyClusters = 12,
    /// A JSON array of UUID strings only (`/sightings/filterSightingUuidsForPush`).
    UuidList = 13,
    /// MISP's API description of an action (`GET /eventReports/add`).
    ApiDescription = 14,
    /// `[{…}, …]` of bare shadow attributes (`/events/pushProposals/UUID`).
    ProposalList = 15,
    /// `{"Event": {…}}` pushed to `/events/add` (a new event: every element captured).
    EventAdd = 16,
}

/// `misp_guard_body_kind` ⇄ `BodyKind`, one line a kind (its number: in the enum).
/// Both matches are exhaustive: a kind missing on either side does not compile.
macro_rules! body_kinds {
    ($($c:ident <=> [$($core:tt)+]),+ $(,)?) => {
        c_enum_from_u32!(misp_guard_body_kind { $($c),+ });

        impl misp_guard_body_kind {
            fn from_core(k: BodyKind) -> Self {
                match k {
                    $($($core)+ => misp_guard_body_kind::$c,)+
                }
            }

            fn to_core(self) -> BodyKind {
                match self {
                    $(misp_guard_body_kind::$c => $($core)+,)+
                }
            }
        }
    };
}

body_kinds! {
    Event <=> [BodyKind::Event],
    ShadowAttributeIndex <=> [BodyKind::ShadowAttributeIndex],
    GalaxyClusterList <=> [BodyKind::GalaxyClusterList],
    GalaxyCluster <=> [BodyKind::GalaxyCluster],
    AnalystData <=> [BodyKind::AnalystData],
    AnalystDataList <=> [BodyKind::AnalystDataList],
    EventsIndex <=> [BodyKind::EventsIndex],
    GalaxyClusterSearch <=> [BodyKind::GalaxyClusterSearch],
    Sightings <=> [BodyKind::Sightings],
    MinimalSearchEventsIndex <=> [BodyKind::MinimalSearch(MinimalSearch::EventsIndex)],
    MinimalSearchEventsIndexExternal <=> [BodyKind::MinimalSearch(MinimalSearch::EventsIndexExternal)],
    MinimalSearchGalaxyClusters <=> [BodyKind::MinimalSearch(MinimalSearch::GalaxyClusters)],
    UuidList <=> [BodyKind::UuidList],
    ApiDescription <=> [BodyKind::ApiDescription],
    ProposalList <=> [BodyKind::ProposalList],
    EventAdd <=> [BodyKind::EventAdd],
}

c_enum_from_u32!(misp_guard_side { Request, Response });

/// A body to inspect, as returned by `misp_guard_check_request`. Treat it as opaque:
/// pass it back unchanged to `misp_guard_evaluator_new`/`_init`/`_reset` together with
/// the policy that produced it. Plain data: copy it freely, nothing to free.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct misp_guard_inspection {
    /// A `misp_guard_body_kind`.
    pub kind: u32,
    /// A `misp_guard_side`.
    pub side: u32,
    /// First rule set to apply.
    pub first: u16,
    /// Number of rule sets to apply.
    pub count: u16,
    /// 1: check the response's `X-UserOrgUUID` against sharing groups.
    pub user_org_check: u8,
}

impl misp_guard_inspection {
    /// Zeroes (no inspection).
    pub(crate) fn none() -> Self {
        misp_guard_inspection { kind: 0, side: 0, first: 0, count: 0, user_org_check: 0 }
    }

    pub(crate) fn from_core(i: &Inspection) -> Self {
        misp_guard_inspection {
            kind: misp_guard_body_kind::from_core(i.kind) as u32,
            side: side_to_c(i.side) as u32,
            first: i.first.0,
            count: i.count,
            user_org_check: u8::from(i.user_org_check),
        }
    }

    /// Back to the core type, checked against `policy` (the struct crossed the
    /// boundary and may have been altered).
    pub(crate) fn to_core(self, policy: &Policy) -> Result<Inspection, misp_guard_result> {
        let bad = misp_guard_result::InvalidInspection;
        let kind = misp_guard_body_kind::from_u32(self.kind).ok_or(bad)?.to_core();
        let side = match misp_guard_side::from_u32(self.side).ok_or(bad)? {
            misp_guard_side::Request => Side::Request,
            misp_guard_side::Response => Side::Response,
        };
        let end = usize::from(self.first) + usize::from(self.count);
        if end > policy.ruleset_count() || self.user_org_check > 1 {
            return Err(bad);
        }
        Ok(Inspection {
            kind,
            side,
            first: RuleSetId(self.first),
            count: self.count,
            user_org_check: self.user_org_check == 1,
        })
    }
}

pub(crate) fn side_to_c(s: Side) -> misp_guard_side {
    match s {
        Side::Request => misp_guard_side::Request,
        Side::Response => misp_guard_side::Response,
    }
}

/// Most headers converted without allocating; more fall back to a heap copy.
const INLINE_HEADERS: usize = 64;

/// `&[T]` from `(ptr, len)`; `None` for a NULL pointer with a non-zero length.
///
/// # Safety
/// A non-NULL `p` must point to `n` initialised `T`s that stay valid and unchanged for
/// `'a`.
pub(crate) unsafe fn slice_from<'a, T>(p: *const T, n: usize) -> Option<&'a [T]> {
    if n == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        // SAFETY: non-NULL, and the caller guarantees `n` valid elements for `'a`.
        Some(unsafe { core::slice::from_raw_parts(p, n) })
    }
}

/// Runs `f` with `headers` as core headers (NULL rules as for `slice_from`).
///
/// # Safety
/// `headers` must satisfy `slice_from` for `len` elements, and each header's
/// name/value pointers must satisfy it for their lengths, for the duration of the call.
pub(crate) unsafe fn with_headers<R>(
    headers: *const misp_guard_header,
    len: usize,
    f: impl FnOnce(&[misp_guard_core::Header<'_>]) -> R,
) -> Result<R, misp_guard_result> {
    use misp_guard_core::Header;
    let null = misp_guard_result::NullParameter;
    let one = |h: &misp_guard_header| -> Result<Header<'_>, misp_guard_result> {
        // SAFETY: forwarded from this function's contract on each header.
        let name = unsafe { slice_from(h.name, h.name_len) }.ok_or(null)?;
        // SAFETY: as above.
        let value = unsafe { slice_from(h.value, h.value_len) }.ok_or(null)?;
        Ok(Header { name, value })
    };
    // SAFETY: forwarded from this function's contract on `headers`.
    let raw = unsafe { slice_from(headers, len) }.ok_or(null)?;
    if raw.len() <= INLINE_HEADERS {
        let mut arr = [Header { name: b"", value: b"" }; INLINE_HEADERS];
        for (dst, h) in arr.iter_mut().zip(raw) {
            *dst = one(h)?;
        }
        Ok(f(&arr[..raw.len()]))
    } else {
        let v = raw.iter().map(one).collect::<Result<Vec<_>, _>>()?;
        Ok(f(&v))
    }
}

/// The library version, e.g. `"0.1.0"`.
///
/// # Returns
/// A static, NUL-terminated string. Never NULL.
///
/// # Memory and lifetimes
/// Static: never free it.
///
/// # Thread safety
/// May be called from any thread.
#[no_mangle]
pub extern "C" fn misp_guard_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod enum_tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_others_are_refused() {
        let kinds: Vec<u32> =
            (0..64).filter(|&n| misp_guard_body_kind::from_u32(n).is_some()).collect();
        assert_eq!(kinds, (1..=16).collect::<Vec<_>>());
        for n in kinds {
            let k = misp_guard_body_kind::from_u32(n).unwrap();
            assert_eq!(k as u32, n);
            assert_eq!(misp_guard_body_kind::from_core(k.to_core()), k);
        }
        let results: Vec<u32> =
            (0..64).filter(|&n| misp_guard_result::from_u32(n).is_some()).collect();
        assert_eq!(results, (0..=8).collect::<Vec<_>>());
        for n in results {
            assert_eq!(misp_guard_result::from_u32(n).unwrap() as u32, n);
        }
        assert_eq!(misp_guard_side::from_u32(0), Some(misp_guard_side::Request));
        assert_eq!(misp_guard_side::from_u32(1), Some(misp_guard_side::Response));
        assert_eq!(misp_guard_side::from_u32(2), None);
    }
}
