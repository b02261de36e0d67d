//! Every raw nginx-sys call for bodies, in one place: reading the request body, the
//! request-body / header / body filter chains, and the refusal from the access phase
//! (the request context is `ctx.rs`, the responses this module builds `reply.rs`). Modelled on nginx's own C filters (mirror, xslt, image):
//! the next filter of each chain is saved in `postconfiguration`.
//!
//! * **Request body** (push): `ngx_http_read_client_request_body` with our request-body
//!   filter in the chain, so every chunk is fed to the [`Guard`] as it arrives, in memory,
//!   before nginx's save filter keeps it (in memory or in temp files). When the body was
//!   already read before us, it is fed from `r->request_body` (memory or temp file). Only
//!   when the verdict is `Allow` do the phases go on to `proxy_pass`.
//! * **Response** (pull): the header filter holds the upstream headers back; the body
//!   filter copies and feeds every upstream byte (bounded by `misp_guard_max_body_size`),
//!   marking nginx's buffers consumed; at the last buffer it either sends the original
//!   headers and bytes unchanged, or replaces the response by `403 Forbidden`. Nothing
//!   goes downstream before the verdict; an upstream that fails first closes the request
//!   with nothing sent.
//!
//! Callbacks never panic across `extern "C"` (see [`crate::no_panic`]); failures fail
//! closed (403 policy, 500 internal).
//!
//! [`Guard`]: misp_guard_core::Guard

use std::mem;

use misp_guard_core::Header;
use misp_guard_core::Verdict;
use ngx::ffi::{
    ngx_buf_t, ngx_chain_t, ngx_http_clean_header, ngx_http_core_run_phases,
    ngx_http_discard_request_body, ngx_http_finalize_request, ngx_http_output_body_filter_pt,
    ngx_http_output_header_filter_pt, ngx_http_read_client_request_body,
    ngx_http_request_body_filter_pt, ngx_http_request_t, ngx_http_top_body_filter,
    ngx_http_top_header_filter, ngx_http_top_request_body_filter, ngx_int_t, ngx_read_file,
    NGX_DONE, NGX_ERROR, NGX_HTTP_HEAD, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_SPECIAL_RESPONSE,
    NGX_OK,
};
use ngx::http::Request;

use crate::ctx::{ctx_mut, log_line};
use crate::decide::{BodyCheck, ReqState, RespState, Stage};
use crate::reply::{add_request_id, last_chain, raw, send, set_forbidden_headers, FORBIDDEN};

const OK: ngx_int_t = NGX_OK as ngx_int_t;
const ERROR: ngx_int_t = NGX_ERROR as ngx_int_t;
const DONE: ngx_int_t = NGX_DONE as ngx_int_t;
const INTERNAL: ngx_int_t = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;

/// Chunk size when reading buffers that live in (temp) files.
const FILE_CHUNK: usize = 64 * 1024;

static mut NEXT_HEADER_FILTER: ngx_http_output_header_filter_pt = None;
static mut NEXT_BODY_FILTER: ngx_http_output_body_filter_pt = None;
static mut NEXT_REQUEST_BODY_FILTER: ngx_http_request_body_filter_pt = None;

/// Puts our filters at the top of the three chains (called from `postconfiguration`).
pub(crate) fn install(_cf: &mut ngx::ffi::ngx_conf_t) {
    // SAFETY: configuration runs single-threaded; this is how every nginx filter module
    // links itself in (save the current top, become the top).
    unsafe {
        NEXT_HEADER_FILTER = ngx_http_top_header_filter;
        ngx_http_top_header_filter = Some(header_filter);
        NEXT_BODY_FILTER = ngx_http_top_body_filter;
        ngx_http_top_body_filter = Some(body_filter);
        NEXT_REQUEST_BODY_FILTER = ngx_http_top_request_body_filter;
        ngx_http_top_request_body_filter = Some(request_body_filter);
    }
}

fn next_header(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: set once in `install` (configuration time) to the previous top filter,
    // which nginx always provides (the chain ends in ngx_http_header_filter).
    match unsafe { NEXT_HEADER_FILTER } {
        // SAFETY: `r` is the live request this filter was called for.
        Some(f) => unsafe { f(r) },
        None => ERROR,
    }
}

fn next_body(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: as in `next_header`; the chain ends in ngx_http_write_filter.
    match unsafe { NEXT_BODY_FILTER } {
        // SAFETY: `r` is live; `chain` is NULL or a valid chain.
        Some(f) => unsafe { f(r, chain) },
        None => ERROR,
    }
}

fn next_request_body(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: as in `next_header`; the chain ends in ngx_http_request_body_save_filter.
    match unsafe { NEXT_REQUEST_BODY_FILTER } {
        // SAFETY: `r` is live; `chain` is NULL or a valid chain.
        Some(f) => unsafe { f(r, chain) },
        None => ERROR,
    }
}

// --- request body -----------------------------------------------------------------------

/// `true` when nobody has started reading the body yet (so our request-body filter
/// will see every byte).
pub(crate) fn body_unread(req: &Request) -> bool {
    let r = req.as_ref();
    r.request_body.is_null() && r.discard_body() == 0
}

/// Starts reading the whole body; the phases resume in [`body_done`].
pub(crate) fn read_body(req: &mut Request) -> ngx_int_t {
    let r = raw(req);
    // SAFETY: `r` is the live main request in its access phase (the mirror module's
    // pattern): nginx keeps a reference while reading, released by NGX_DONE below.
    let rc = unsafe { ngx_http_read_client_request_body(r, Some(body_done)) };
    if rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
        return rc;
    }
    // SAFETY: as above; drops the reference taken by ngx_http_read_client_request_body.
    unsafe { ngx_http_finalize_request(r, DONE) };
    DONE
}

/// Feeds request body chunks as they arrive (before nginx stores them).
unsafe extern "C" fn request_body_filter(
    r: *mut ngx_http_request_t,
    chain: *mut ngx_chain_t,
) -> ngx_int_t {
    crate::no_panic(INTERNAL, || {
        // SAFETY: nginx calls request body filters with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        if let Some(ctx) = ctx_mut(req) {
            if let ReqState::Reading { check, via_filter: true } = &mut ctx.request {
                for_each_buf(chain, |b| feed_buf(check, b, None));
            }
        }
        next_request_body(r, chain)
    })
}

/// Called by nginx once the whole request body has been read.
unsafe extern "C" fn body_done(r: *mut ngx_http_request_t) {
    crate::no_panic((), || {
        // SAFETY: nginx calls the body post handler with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        let refused = match decide_request(req) {
            Some(refused) => refused,
            None => {
                // SAFETY: `r` is live; finalizing with an error is always allowed here.
                unsafe { ngx_http_finalize_request(r, INTERNAL) };
                return;
            }
        };
        if refused {
            let rc = send_refusal(req);
            // SAFETY: `r` is live; this completes the request with our response.
            unsafe { ngx_http_finalize_request(r, rc) };
            return;
        }
        // SAFETY: `r` is live. Keep the body for the proxy (and for a re-inspection
        // after an internal redirect), then resume the phases (our handler declines).
        unsafe {
            (*r).set_preserve_body(1);
            (*r).write_event_handler = Some(ngx_http_core_run_phases);
            ngx_http_core_run_phases(r);
        }
    })
}

/// Ends the request body inspection: `Some(refused)`, or `None` on an internal error.
fn decide_request(req: &Request) -> Option<bool> {
    let ctx = ctx_mut(req)?;
    let ReqState::Reading { mut check, via_filter } =
        mem::replace(&mut ctx.request, ReqState::Idle)
    else {
        return None;
    };
    if !via_filter {
        feed_stored_body(req, &mut check);
    }
    let verdict = check.finish();
    ctx.outcome.count(&check);
    match verdict {
        Verdict::Allow => {
            ctx.request = ReqState::Allowed;
            if matches!(ctx.response, RespState::Idle) {
                // Nothing more to judge: the push is allowed.
                ctx.outcome.allow(Stage::RequestBody, check.ruleset(&ctx.policy));
            }
            Some(false)
        }
        Verdict::Block(block) => {
            let report = ctx.report;
            ctx.request = if report { ReqState::Allowed } else { ReqState::Refused };
            log_block(req, ctx.log_level, ctx.block_lines(&block));
            ctx.outcome.block(Stage::RequestBody, &block, &ctx.policy, report);
            Some(!report)
        }
    }
}

/// Feeds a body that was read before our handler ran, from `r->request_body`.
fn feed_stored_body(req: &Request, check: &mut BodyCheck) {
    let rb = req.as_ref().request_body;
    if rb.is_null() {
        // Discarded (or never read): nothing to judge, so no way to allow it.
        check.fail("request body unavailable");
        return;
    }
    // SAFETY: `rb` is the request's body structure; `bufs` is its (possibly NULL) chain.
    let bufs = unsafe { (*rb).bufs };
    for_each_buf(bufs, |b| feed_buf(check, b, None));
}

// --- response -------------------------------------------------------------------------

unsafe extern "C" fn header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    crate::no_panic(ERROR, || {
        // SAFETY: nginx calls header filters with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        if !req.is_main() {
            return next_header(r);
        }
        let Some(ctx) = ctx_mut(req) else { return next_header(r) };
        let RespState::Pending(inspection) = ctx.response else { return next_header(r) };
        let rr = req.as_ref();
        // HEAD carries no body (misp-guard passes it), nor do `204 No Content` and `304
        // Not Modified` (nginx's proxy reads none after them: MISP answers its own
        // cached index search, `If-None-Match`, with a bare 304); an error page nginx
        // generated itself (`err_status`, no upstream response) carries nothing from
        // the upstream.
        // A page from an upstream is judged whatever its status: `error_page … @backup`
        // keeps `err_status` while another MISP answers.
        // SAFETY: `upstream` is NULL or the request's live upstream.
        let from_upstream =
            unsafe { rr.upstream.as_ref() }.is_some_and(|u| u.headers_in.status_n != 0);
        let no_body = rr.method == NGX_HTTP_HEAD as usize
            || rr.header_only() != 0
            || matches!(rr.headers_out.status, 204 | 304);
        if no_body || (rr.err_status != 0 && !from_upstream) {
            ctx.response = RespState::Done(Vec::new());
            if no_body {
                ctx.outcome.allow(Stage::ResponseBody, "");
            }
            return next_header(r);
        }
        let check = ctx.check(inspection, &response_headers(req));
        if ctx.report {
            ctx.response = RespState::Streaming(check);
            return next_header(r);
        }
        let expected = usize::try_from(rr.headers_out.content_length_n).unwrap_or(0);
        let held = Vec::with_capacity(expected.min(ctx.limits.max_body as usize).min(16 << 20));
        ctx.response = RespState::Holding { check, held };
        // Held back: sent (or replaced) by the body filter once the verdict is known.
        OK
    })
}

/// The upstream response headers the guard reads.
fn response_headers(req: &Request) -> Vec<Header<'_>> {
    let mut v: Vec<Header<'_>> = req
        .headers_out_iterator()
        .filter(|(k, _)| {
            let k = k.as_bytes();
            k.eq_ignore_ascii_case(b"content-encoding") || k.eq_ignore_ascii_case(b"x-userorguuid")
        })
        .map(|(k, v)| Header { name: k.as_bytes(), value: v.as_bytes() })
        .collect();
    let ct = req.as_ref().headers_out.content_type;
    if ct.len > 0 {
        // SAFETY: `content_type` points at `len` bytes owned by the request.
        let value = unsafe { std::slice::from_raw_parts(ct.data, ct.len) };
        v.push(Header { name: b"Content-Type", value });
    }
    v
}

unsafe extern "C" fn body_filter(r: *mut ngx_http_request_t, chain: *mut ngx_chain_t) -> ngx_int_t {
    crate::no_panic(ERROR, || {
        // SAFETY: nginx calls body filters with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        if !req.is_main() {
            return next_body(r, chain);
        }
        let Some(ctx) = ctx_mut(req) else { return next_body(r, chain) };
        let action = match &mut ctx.response {
            RespState::Holding { check, held } => {
                let mut last = false;
                for_each_buf(chain, |b| {
                    feed_buf(check, b, Some(&mut *held));
                    if !check.keeps_bytes() && held.capacity() > 0 {
                        *held = Vec::new();
                    }
                    consume(b);
                    // SAFETY: `b` is a valid buffer of the chain.
                    last |= unsafe { (*b).last_buf() } != 0;
                });
                if !last {
                    return OK;
                }
                let verdict = check.finish();
                let held = mem::take(held);
                let check = match mem::replace(&mut ctx.response, RespState::Done(Vec::new())) {
                    RespState::Holding { check, .. } => check,
                    _ => return ERROR,
                };
                ctx.outcome.count(&check);
                match verdict {
                    Verdict::Allow => {
                        ctx.response = RespState::Done(held);
                        ctx.outcome.allow(Stage::ResponseBody, check.ruleset(&ctx.policy));
                        Action::Release
                    }
                    Verdict::Block(block) => {
                        log_block(req, ctx.log_level, ctx.block_lines(&block));
                        ctx.outcome.block(Stage::ResponseBody, &block, &ctx.policy, false);
                        Action::Replace
                    }
                }
            }
            RespState::Streaming(check) => {
                let mut last = false;
                for_each_buf(chain, |b| {
                    feed_buf(check, b, None);
                    // SAFETY: `b` is a valid buffer of the chain.
                    last |= unsafe { (*b).last_buf() } != 0;
                });
                if last {
                    let verdict = check.finish();
                    let RespState::Streaming(check) =
                        mem::replace(&mut ctx.response, RespState::Done(Vec::new()))
                    else {
                        return ERROR;
                    };
                    ctx.outcome.count(&check);
                    match verdict {
                        Verdict::Allow => {
                            ctx.outcome.allow(Stage::ResponseBody, check.ruleset(&ctx.policy))
                        }
                        Verdict::Block(block) => {
                            log_block(req, ctx.log_level, ctx.block_lines(&block));
                            ctx.outcome.block(Stage::ResponseBody, &block, &ctx.policy, true);
                        }
                    }
                }
                Action::Pass
            }
            _ => Action::Pass,
        };
        match action {
            Action::Pass => next_body(r, chain),
            Action::Release => release(req),
            Action::Replace => replace_response(req),
        }
    })
}

/// What the body filter does once its bookkeeping is done.
enum Action {
    /// Hand the chain on unchanged.
    Pass,
    /// Send the held response.
    Release,
    /// Send `403 Forbidden` instead.
    Replace,
}

fn log_block(req: &Request, level: u32, (pre, line): (Option<String>, String)) {
    if let Some(pre) = pre {
        log_line(req, level, &pre);
    }
    log_line(req, level, &line);
}

/// Sends the held headers and bytes, unchanged.
fn release(req: &mut Request) -> ngx_int_t {
    let r = raw(req);
    let rc = next_header(r);
    if rc == ERROR || rc > OK || req.header_only() {
        return rc;
    }
    let data: &[u8] = match ctx_mut(req).map(|c| &c.response) {
        Some(RespState::Done(held)) => held,
        _ => &[],
    };
    // SAFETY: `data` lives in the request context until the request's pool is destroyed,
    // after the last byte was written, and is never modified again.
    let data: &'static [u8] = unsafe { mem::transmute::<&[u8], &'static [u8]>(data) };
    match last_chain(req, data) {
        Some(cl) => next_body(r, cl),
        None => ERROR,
    }
}

/// Replaces the held upstream response by `403 Forbidden`.
fn replace_response(req: &mut Request) -> ngx_int_t {
    let r = raw(req);
    // SAFETY: `r` is live; nothing has been sent downstream yet (headers were held).
    unsafe { ngx_http_clean_header(r) };
    set_forbidden_headers(r);
    add_request_id(req);
    let rc = next_header(r);
    if rc == ERROR || rc > OK || req.header_only() {
        return rc;
    }
    match last_chain(req, FORBIDDEN) {
        Some(cl) => next_body(r, cl),
        None => ERROR,
    }
}

// --- refusals from the access phase -------------------------------------------------------

/// Answers `403 Forbidden` through the whole filter chain and finalizes the request;
/// returns NGX_DONE for the phase handler.
pub(crate) fn refuse_and_finalize(req: &mut Request) -> ngx_int_t {
    let rc = send_refusal(req);
    // SAFETY: `r` is the live request; after this call it must not be touched (it may be
    // freed), and the caller only returns NGX_DONE.
    unsafe { ngx_http_finalize_request(raw(req), rc) };
    DONE
}

fn send_refusal(req: &mut Request) -> ngx_int_t {
    let r = raw(req);
    if let Some(ctx) = ctx_mut(req) {
        // Our own 403 must not be held back by our header filter.
        ctx.response = RespState::Done(Vec::new());
    }
    // SAFETY: `r` is live; a no-op when the body was read, else nginx drains it.
    if unsafe { ngx_http_discard_request_body(r) } != OK {
        // SAFETY: `r` is live.
        unsafe { (*r).set_keepalive(0) };
    }
    set_forbidden_headers(r);
    add_request_id(req);
    send(req, FORBIDDEN)
}

// --- buffers --------------------------------------------------------------------------

fn for_each_buf(mut cl: *mut ngx_chain_t, mut f: impl FnMut(*mut ngx_buf_t)) {
    while !cl.is_null() {
        // SAFETY: `cl` is a link of a valid nginx chain (NULL-terminated).
        let (b, next) = unsafe { ((*cl).buf, (*cl).next) };
        if !b.is_null() {
            f(b);
        }
        cl = next;
    }
}

/// Feeds a buffer's bytes (in memory, or read from its file) to `check`, and appends
/// them to `keep` while the check still wants bytes.
fn feed_buf(check: &mut BodyCheck, b: *mut ngx_buf_t, mut keep: Option<&mut Vec<u8>>) {
    if !check.wants_bytes() {
        return;
    }
    // SAFETY: `b` is a valid buffer; in-memory buffers own pos..last.
    let (in_memory, in_file) =
        unsafe { ((*b).temporary() | (*b).memory() | (*b).mmap() != 0, (*b).in_file() != 0) };
    if in_memory {
        // SAFETY: as above.
        let bytes = unsafe {
            let len = (*b).last.offset_from((*b).pos).max(0) as usize;
            if len == 0 {
                return;
            }
            std::slice::from_raw_parts((*b).pos, len)
        };
        if check.feed(bytes) && check.keeps_bytes() {
            if let Some(k) = keep.as_deref_mut() {
                k.extend_from_slice(bytes);
            }
        }
    } else if in_file {
        // SAFETY: file buffers carry a valid `file` and the byte range file_pos..file_last.
        let (file, mut pos, end) = unsafe { ((*b).file, (*b).file_pos, (*b).file_last) };
        if file.is_null() {
            check.fail("file buffer without a file");
            return;
        }
        let mut chunk = vec![0u8; FILE_CHUNK];
        while pos < end {
            let want = ((end - pos) as usize).min(FILE_CHUNK);
            // SAFETY: `chunk` has room for `want` bytes; nginx reads at `pos` (pread).
            let n = unsafe { ngx_read_file(file, chunk.as_mut_ptr(), want, pos) };
            if n <= 0 {
                check.fail("cannot read body from its temp file");
                return;
            }
            let bytes = &chunk[..n as usize];
            pos += n as i64;
            if !check.feed(bytes) {
                return;
            }
            if let Some(k) = keep.as_deref_mut().filter(|_| check.keeps_bytes()) {
                k.extend_from_slice(bytes);
            }
        }
    }
}

/// Marks a buffer fully consumed, so its producer (the upstream) may reuse it.
fn consume(b: *mut ngx_buf_t) {
    // SAFETY: `b` is a valid buffer; moving pos/file_pos to the end is how nginx
    // filters consume a buffer (ngx_buf_size becomes 0).
    unsafe {
        (*b).pos = (*b).last;
        if (*b).in_file() != 0 {
            (*b).file_pos = (*b).file_last;
        }
    }
}
