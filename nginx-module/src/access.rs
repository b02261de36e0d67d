//! The access-phase handler: the request-level decision, then (per the plan) the
//! request body read and the response inspection armed.
//!
//! The handler runs again after the body was read (nginx re-runs the phases); the
//! per-request context then says what was decided.

use std::borrow::Cow;
use std::rc::Rc;
use std::time::Instant;

use misp_guard_core::Header;
use misp_guard_core::{Block, Reason, RequestInfo, RequestVerdict, Side};
use ngx::core::NgxStr;
use ngx::ffi::{
    ngx_http_request_t, ngx_int_t, ngx_str_t, NGX_AGAIN, NGX_DECLINED,
    NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_LOG_ERR, NGX_LOG_INFO,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Request};
use ngx::ngx_log_error;

use crate::ctx::{attach_ctx, ctx_mut, log_line};
use crate::decide::{Outcome, ReqState, RequestCtx, RespState, Stage};
use crate::{dest, filters, Module};

const DECLINED: ngx_int_t = NGX_DECLINED as ngx_int_t;
const AGAIN: ngx_int_t = NGX_AGAIN as ngx_int_t;
const INTERNAL: ngx_int_t = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;

/// The access-phase handler (registered in `postconfiguration`).
pub(crate) extern "C" fn access_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    crate::no_panic(INTERNAL, || {
        // SAFETY: nginx calls phase handlers with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        access(req)
    })
}

fn access(req: &mut Request) -> ngx_int_t {
    if !req.is_main() {
        return DECLINED;
    }
    let Some(lcf) = Module::location_conf(req) else { return DECLINED };
    if !lcf.enabled() {
        return DECLINED;
    }
    if let Some(ctx) = ctx_mut(req) {
        // Back after the body was read (or a write event while reading).
        return match ctx.request {
            ReqState::Reading { .. } => AGAIN,
            ReqState::Refused => filters::refuse_and_finalize(req),
            ReqState::Idle | ReqState::Allowed => DECLINED,
        };
    }
    let Some(mcf) = Module::main_conf(req) else { return INTERNAL };
    let Some(policy) = mcf.policy.clone() else {
        ngx_log_error!(
            NGX_LOG_ERR,
            req.log(),
            "misp_guard is on but no misp_guard_config is set: refusing"
        );
        return INTERNAL;
    };
    let report = lcf.report();

    let method = lossy(request_str(req, |r| r.method_name));
    let path = lossy(request_str(req, |r| r.unparsed_uri));
    let src = lossy(connection_addr(req));
    let cv = if !lcf.destination.is_null() {
        lcf.destination
    } else {
        // SAFETY: compiled into the configuration pool in postconfiguration (or NULL).
        let name = unsafe { mcf.server_name.as_ref() }.and_then(|cv| req.get_complex_value(cv));
        if name.is_some_and(|n| dest::server_name_is_plain(&lossy(n.as_bytes()))) {
            mcf.named_destination
        } else {
            mcf.host_destination
        }
    };
    // SAFETY: `cv` is NULL or a complex value compiled into the configuration pool.
    let dst_raw = unsafe { cv.as_ref() }.and_then(|cv| req.get_complex_value(cv));
    let dst_text = dst_raw.map(|v| lossy(v.as_bytes()));
    let headers_in: Vec<Header<'_>> = req
        .headers_in_iterator()
        .map(|(k, v)| Header { name: k.as_bytes(), value: v.as_bytes() })
        .collect();

    let parsed = dst_text.as_ref().map(|t| dest::parse(t));
    let scheme = match parsed {
        Some(Ok(d)) if d.scheme.is_some() => d.scheme.unwrap_or("https"),
        _ if is_tls(req) => "https",
        _ => "http",
    };
    let early_block = |reason: Reason, detail: &str| {
        RequestVerdict::Block(Block::new(reason, Side::Request).with_detail(detail))
    };
    let mut info = RequestInfo {
        method: &method,
        path: &path,
        scheme,
        src_ip: &src,
        dst_host: "",
        dst_port: 0,
    };
    // Bytes that are not UTF-8 cannot be judged: refuse (fail closed).
    let started = Instant::now();
    let verdict = if matches!(method, Cow::Owned(_)) || matches!(path, Cow::Owned(_)) {
        early_block(Reason::NonCanonicalPath, &path)
    } else {
        match (&dst_text, parsed) {
            (Some(t), _) if matches!(t, Cow::Owned(_)) => {
                early_block(Reason::DestinationUnknown, t)
            }
            (Some(_), Some(Ok(d))) => {
                info.dst_host = d.host;
                info.dst_port = d.port.unwrap_or_else(|| dest::default_port(scheme));
                policy.check_request(&info, &headers_in)
            }
            (Some(t), Some(Err(dest::DestError::BadPort))) => {
                early_block(Reason::PortNotAllowed, t)
            }
            (t, _) => early_block(Reason::DestinationUnknown, t.as_deref().unwrap_or("")),
        }
    };
    let allow_line = match &verdict {
        RequestVerdict::Allow(plan) => plan.allow_line(&info).map(|l| l.to_string()),
        RequestVerdict::Block(_) => None,
    };
    let mut ctx = RequestCtx {
        policy,
        report,
        log_level: lcf.refusal_level(),
        method: method.into_owned(),
        path: path.into_owned(),
        limits: lcf.limits(),
        request: ReqState::Idle,
        response: RespState::Idle,
        outcome: Outcome::default(),
        spares: Rc::clone(&mcf.spares),
    };
    ctx.outcome.time = started.elapsed();

    let plan = match verdict {
        RequestVerdict::Block(block) => {
            let (pre, line) = ctx.block_lines(&block);
            let level = ctx.log_level;
            if let Some(pre) = pre {
                log_line(req, level, &pre);
            }
            log_line(req, level, &line);
            ctx.outcome.block(Stage::Request, &block, &ctx.policy, report);
            if !report {
                ctx.request = ReqState::Refused;
            }
            // Kept for the variables (a failed allocation only loses them).
            let _ = attach_ctx(req, ctx);
            if report {
                return DECLINED;
            }
            return filters::refuse_and_finalize(req);
        }
        RequestVerdict::Allow(plan) => plan,
    };
    if let Some(line) = allow_line {
        log_line(req, NGX_LOG_INFO, &line);
    }
    if plan.request.is_none() && plan.response.is_none() {
        ctx.outcome.allow(Stage::Request, "");
        let _ = attach_ctx(req, ctx);
        return DECLINED;
    }
    ctx.response = plan.response.map_or(RespState::Idle, RespState::Pending);
    let request_check = plan.request.map(|insp| ctx.check(insp, &headers_in));
    drop(headers_in);
    let Some(ctx) = attach_ctx(req, ctx) else { return INTERNAL };
    match request_check {
        Some(check) => {
            ctx.request = ReqState::Reading { check, via_filter: filters::body_unread(req) };
            filters::read_body(req)
        }
        None => DECLINED,
    }
}

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Bytes of one of the request's nginx strings.
fn request_str(req: &Request, field: impl Fn(&ngx_http_request_t) -> ngx_str_t) -> &[u8] {
    let s = field(req.as_ref());
    // SAFETY: the request's strings point into request memory (or are empty) and live as
    // long as the request.
    unsafe { NgxStr::from_ngx_str(s) }.as_bytes()
}

/// `$remote_addr` (after realip, which rewrites the connection's address).
fn connection_addr(req: &Request) -> &[u8] {
    // SAFETY: a request always has a live connection; `addr_text` is set on accept.
    unsafe { NgxStr::from_ngx_str((*req.connection()).addr_text) }.as_bytes()
}

/// `true` when the client connection is TLS (`$scheme` = https).
fn is_tls(req: &Request) -> bool {
    #[cfg(ngx_feature = "ssl")]
    {
        // SAFETY: a request always has a live connection.
        !unsafe { (*req.connection()).ssl }.is_null()
    }
    #[cfg(not(ngx_feature = "ssl"))]
    {
        let _ = req;
        false
    }
}
