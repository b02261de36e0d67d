//! A request's context: this module's per-request state ([`RequestCtx`]) in the
//! request's context slot, found again after an internal redirect, and the decision
//! lines logged on the request. Used by the access phase and the filters alike (one
//! way: neither of them is used from here).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ptr;

use ngx::ffi::{ngx_http_request_t, ngx_uint_t};
use ngx::http::{HttpModule, HttpModuleMainConf, Request};
use ngx::ngx_log_error;

use crate::decide::RequestCtx;
use crate::metrics::Metrics;
use crate::Module;

/// This module's context of a request, if any.
///
/// Callers hold at most one such reference at a time (nginx is single-threaded per
/// worker, and no callback here re-enters another while it holds one).
#[allow(clippy::mut_from_ref)]
pub(crate) fn ctx_mut(req: &Request) -> Option<&mut RequestCtx> {
    let module = Module::module();
    // SAFETY: `r->ctx` has one slot per http module; ours is NULL or the `Attached`
    // that `attach_ctx` allocated from this request's pool. The slot array is request
    // memory apart from the request structure.
    unsafe {
        let slot = req.as_ref().ctx.add(module.ctx_index);
        if (*slot).is_null() {
            // nginx clears `r->ctx` on internal redirects (`error_page`, `try_files …
            // @named`, `X-Accel-Redirect`): the decision made before still holds
            let key = req.as_ref() as *const ngx_http_request_t as usize;
            let found = Module::main_conf(req)
                .and_then(|m| m.contexts.try_borrow().ok()?.get(&key).copied());
            *slot = found.unwrap_or(0) as *mut _;
        }
        (*slot as *mut Attached).as_mut().map(|a| &mut a.ctx)
    }
}

/// A request's context, registered in its cycle's `MainConf::contexts` while it lives.
struct Attached {
    ctx: RequestCtx,
    request: usize,
    registry: *const RefCell<HashMap<usize, usize>>,
    /// The shared counters (NULL: none), told of the outcome when the request ends.
    metrics: *const Metrics,
}

impl Drop for Attached {
    fn drop(&mut self) {
        // SAFETY: NULL or the counters in this cycle's shared zone, mapped until the
        // worker exits.
        if let Some(m) = unsafe { self.metrics.as_ref() } {
            m.record(&self.ctx.outcome);
        }
        // SAFETY: the registry is in the http main configuration of the request's cycle,
        // which outlives every request of that cycle.
        if let Some(reg) = unsafe { self.registry.as_ref() } {
            if let Ok(mut m) = reg.try_borrow_mut() {
                m.remove(&self.request);
            }
        }
    }
}

/// Allocates the context from the request pool (dropped with it) and attaches it.
#[allow(clippy::mut_from_ref)]
pub(crate) fn attach_ctx(req: &Request, ctx: RequestCtx) -> Option<&mut RequestCtx> {
    let request = req.as_ref() as *const ngx_http_request_t as usize;
    let mcf = Module::main_conf(req)?;
    let registry: *const RefCell<HashMap<usize, usize>> = &mcf.contexts;
    let metrics = crate::metrics::of_zone(mcf.metrics).map_or(ptr::null(), |m| m as *const _);
    let p = req.pool().allocate(Attached { ctx, request, registry, metrics });
    if p.is_null() {
        return None;
    }
    mcf.contexts.try_borrow_mut().ok()?.insert(request, p as usize);
    req.set_module_ctx(p.cast(), Module::module());
    // SAFETY: `p` was just allocated and initialised, and lives as long as the request.
    Some(unsafe { &mut (*p).ctx })
}

/// Logs one decision line at `level`, with the request id (nginx adds client, server,
/// request and host).
pub(crate) fn log_line(req: &Request, level: u32, line: &str) {
    let rid = Module::main_conf(req)
        .map(|m| m.request_id)
        // SAFETY: NULL or a complex value compiled into the configuration pool.
        .and_then(|cv| unsafe { cv.as_ref() })
        .and_then(|cv| req.get_complex_value(cv))
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    ngx_log_error!(level as ngx_uint_t, req.log(), "{line} (request_id: {rid})");
}
