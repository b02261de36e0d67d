//! `ngx_http_misp_guard_module`: misp-guard's decisions, enforced inside nginx.
//!
//! Thin glue over `misp-guard-core`; no rule logic lives here. The data flow:
//!
//! ```text
//! access phase (access.rs)      request line + headers → Policy::check_request → Plan
//!   └ plan.request  (filters.rs) request body filter → Guard::feed … → finish → 403 | proxy
//! header filter   (filters.rs)  plan.response: hold the upstream headers back
//! body filter     (filters.rs)  Guard::feed every upstream byte (held, bounded) → release | 403
//! ```
//!
//! * `conf.rs`: directives, parsed and compiled at configuration time (`nginx -t` fails on
//!   a bad rules file with the core's `FILE:LINE:COL: message`).
//! * `access.rs`: the access-phase handler.
//! * `filters.rs`: every raw nginx-sys call for bodies (reading the request body, the
//!   request-body, header and body filter chains), each `unsafe` block with its
//!   `// SAFETY:` note.
//! * `ctx.rs`: the per-request context slot and the decision lines logged on a request
//!   (used by `access.rs` and `filters.rs`, never the other way round).
//! * `reply.rs`: the responses this module builds (`403 Forbidden`, the status text).
//! * `decide.rs`: safe bookkeeping around `Guard` (bounds, verdicts, log wording).
//! * `dest.rs`: parsing of `misp_guard_destination` values.
//! * `vars.rs`: the `$misp_guard_*` variables (the decision, for `log_format`).
//! * `metrics.rs`: decision counters in a shared zone, and `misp_guard_status;`.
//!
//! Every `extern "C"` entry point runs its body inside [`no_panic`], so a bug becomes an
//! error status (fail closed) instead of aborting the worker.
#![deny(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

mod access;
mod conf;
mod ctx;
mod decide;
mod dest;
mod filters;
mod metrics;
mod reply;
mod vars;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::addr_of;

use ngx::ffi::{
    ngx_array_push, ngx_conf_t, ngx_http_handler_pt, ngx_http_module_t,
    ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_int_t, ngx_module_t, NGX_HTTP_MODULE,
};
use ngx::http::{self, HttpModuleMainConf, NgxHttpCoreModule};

/// The module type (the `HttpModule` trait supplies create/merge of the configurations).
pub(crate) struct Module;

impl http::HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the module static is only mutated by nginx while loading the
        // configuration, in the same thread, never concurrently with this read.
        unsafe { &*addr_of!(ngx_http_misp_guard_module) }
    }

    unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        no_panic(ngx::ffi::NGX_ERROR as ngx_int_t, || match vars::add(cf) {
            Ok(()) => ngx::ffi::NGX_OK as ngx_int_t,
            Err(()) => ngx::ffi::NGX_ERROR as ngx_int_t,
        })
    }

    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        no_panic(ngx::ffi::NGX_ERROR as ngx_int_t, || {
            // SAFETY: nginx calls postconfiguration with a valid `cf` for the http block.
            let cf = unsafe { &mut *cf };
            if register_access_handler(cf).is_err() {
                return ngx::ffi::NGX_ERROR as ngx_int_t;
            }
            if conf::init_defaults(cf).is_err() {
                return ngx::ffi::NGX_ERROR as ngx_int_t;
            }
            let Ok(zone) = metrics::add_zone(cf) else { return ngx::ffi::NGX_ERROR as ngx_int_t };
            match Module::main_conf_mut(cf) {
                Some(mcf) => mcf.metrics = zone,
                None => return ngx::ffi::NGX_ERROR as ngx_int_t,
            }
            filters::install(cf);
            ngx::ffi::NGX_OK as ngx_int_t
        })
    }
}

/// Pushes the access-phase handler, as the `ngx-0.5.1` tag's `examples/curl.rs` does.
/// (ngx main replaces this with `http::add_phase_handler::<H>(cf)`; keep it in one place.)
fn register_access_handler(cf: &mut ngx_conf_t) -> Result<(), ()> {
    let cmcf = NgxHttpCoreModule::main_conf_mut(cf).ok_or(())?;
    // SAFETY: `handlers` is an nginx array of `ngx_http_handler_pt`, valid during
    // configuration; `ngx_array_push` returns NULL on allocation failure, checked below.
    let h = unsafe {
        ngx_array_push(&mut cmcf.phases[ngx_http_phases_NGX_HTTP_ACCESS_PHASE as usize].handlers)
    } as *mut ngx_http_handler_pt;
    if h.is_null() {
        return Err(());
    }
    // SAFETY: `h` points at a fresh, properly aligned slot of the array.
    unsafe { *h = Some(access::access_handler) };
    Ok(())
}

/// Runs `f`, turning a panic into `on_panic` (a panic must never cross `extern "C"`).
pub(crate) fn no_panic<T>(on_panic: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(on_panic)
}

static NGX_HTTP_MISP_GUARD_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(<Module as http::HttpModule>::preconfiguration),
    postconfiguration: Some(<Module as http::HttpModule>::postconfiguration),
    create_main_conf: Some(<Module as http::HttpModule>::create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(<Module as http::HttpModule>::create_loc_conf),
    merge_loc_conf: Some(conf::merge_loc_conf),
};

// The `ngx_modules` table a cargo-built cdylib needs for `load_module`.
#[cfg(feature = "export-modules")]
ngx::ngx_modules!(ngx_http_misp_guard_module);

/// The nginx module (same name in `config` and `load_module`).
#[used]
#[allow(non_upper_case_globals)]
#[cfg_attr(not(feature = "export-modules"), no_mangle)]
pub static mut ngx_http_misp_guard_module: ngx_module_t = ngx_module_t {
    ctx: addr_of!(NGX_HTTP_MISP_GUARD_MODULE_CTX) as _,
    // The array's address is its first command's; nginx reads it at configuration time.
    commands: addr_of!(conf::COMMANDS) as *mut ngx::ffi::ngx_command_t,
    type_: NGX_HTTP_MODULE as _,
    ..ngx_module_t::default()
};
