//! The `$misp_guard_*` variables: the decision on a request, for `log_format` (with
//! `escape=json`, an audit log) and headers.
//!
//! | variable | value |
//! | --- | --- |
//! | `$misp_guard_decision` | `allow`, `block`, `would_block` (report mode); not found: no decision |
//! | `$misp_guard_reason` | the refusal's stable reason code (`event_blocked_tag`, …) |
//! | `$misp_guard_message` | misp-guard's wording of the refusal |
//! | `$misp_guard_rule` | rule id (legacy format) or instance whose rules decided |
//! | `$misp_guard_pointer` | JSON pointer of the offending element (empty: the whole body) |
//! | `$misp_guard_stage` | `request`, `request_body`, `response_body` |
//! | `$misp_guard_bytes` | body bytes inspected (as sent), both directions; `0` if none |
//! | `$misp_guard_time` | time spent evaluating, in seconds (`0.000123`); `0.000000` if none |
//!
//! Values are read from the request's context when the variable is evaluated (never
//! cached), so an access log sees the final decision.

use std::ptr;

use ngx::ffi::{
    ngx_conf_t, ngx_http_add_variable, ngx_http_request_t, ngx_int_t, ngx_pnalloc, ngx_str_t,
    ngx_variable_value_t, NGX_ERROR, NGX_HTTP_VAR_NOCACHEABLE, NGX_OK,
};
use ngx::http::Request;

use crate::decide::Outcome;

const OK: ngx_int_t = NGX_OK as ngx_int_t;
const ERROR: ngx_int_t = NGX_ERROR as ngx_int_t;

/// One variable: its name (without `$`) and how its value is read.
struct Var {
    name: &'static str,
    value: fn(Option<&Outcome>) -> Option<String>,
}

/// The refusal's fields exist only once something was refused.
fn refused(o: Option<&Outcome>) -> Option<&Outcome> {
    o.filter(|o| o.reason.is_some())
}

static VARS: [Var; 8] = [
    Var { name: "misp_guard_decision", value: |o| o?.decision.map(|(d, _)| d.as_str().to_owned()) },
    Var { name: "misp_guard_reason", value: |o| refused(o)?.reason.map(str::to_owned) },
    Var { name: "misp_guard_message", value: |o| Some(refused(o)?.message.clone()) },
    Var {
        name: "misp_guard_rule",
        value: |o| o.filter(|o| o.decision.is_some()).map(|o| o.rule.clone()),
    },
    Var { name: "misp_guard_pointer", value: |o| Some(refused(o)?.pointer.clone()) },
    Var { name: "misp_guard_stage", value: |o| o?.decision.map(|(_, s)| s.as_str().to_owned()) },
    Var { name: "misp_guard_bytes", value: |o| Some(o.map_or(0, |o| o.bytes).to_string()) },
    Var {
        name: "misp_guard_time",
        value: |o| {
            let t = o.map(|o| o.time).unwrap_or_default();
            Some(format!("{}.{:06}", t.as_secs(), t.subsec_micros()))
        },
    },
];

/// Adds the variables (preconfiguration: before any `log_format` refers to them).
pub(crate) fn add(cf: *mut ngx_conf_t) -> Result<(), ()> {
    for (i, var) in VARS.iter().enumerate() {
        let mut name = ngx_str_t { len: var.name.len(), data: var.name.as_ptr() as *mut u8 };
        // SAFETY: `cf` is the configuration being parsed; nginx copies the name into
        // the configuration pool and returns NULL on failure.
        let v = unsafe { ngx_http_add_variable(cf, &mut name, NGX_HTTP_VAR_NOCACHEABLE as _) };
        // SAFETY: NULL or the variable nginx just added, owned by the configuration.
        let Some(v) = (unsafe { v.as_mut() }) else { return Err(()) };
        v.get_handler = Some(get);
        v.data = i;
    }
    Ok(())
}

/// The get handler of every variable (`data`: its index in `VARS`).
unsafe extern "C" fn get(
    r: *mut ngx_http_request_t,
    v: *mut ngx_variable_value_t,
    data: usize,
) -> ngx_int_t {
    crate::no_panic(ERROR, || {
        // SAFETY: nginx calls get handlers with a valid request and value; the
        // decision belongs to the main request (subrequests share it).
        let (req, v) = unsafe { (Request::from_ngx_http_request((*r).main), &mut *v) };
        let Some(var) = VARS.get(data) else { return ERROR };
        let value = (var.value)(crate::ctx::ctx_mut(req).map(|c| &c.outcome));
        let Some(value) = value else {
            v.set_valid(0);
            v.set_not_found(1);
            return OK;
        };
        let len = value.len().min((1 << 28) - 1);
        let p = if len == 0 {
            b"".as_ptr() as *mut u8
        } else {
            // SAFETY: allocation from the live request pool, freed with the request.
            let p = unsafe { ngx_pnalloc(req.as_ref().pool, len) } as *mut u8;
            if p.is_null() {
                return ERROR;
            }
            // SAFETY: `p` has room for `len` bytes; `value` has at least `len`.
            unsafe { ptr::copy_nonoverlapping(value.as_ptr(), p, len) };
            p
        };
        v.data = p;
        v.set_len(len as u32);
        v.set_valid(1);
        v.set_no_cacheable(1);
        v.set_not_found(0);
        OK
    })
}
