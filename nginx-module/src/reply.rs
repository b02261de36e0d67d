//! The responses this module emits itself: `403 Forbidden` (with the request's id) and
//! a `200` text body (the status location), built in the request pool.

use std::mem;
use std::ptr;

use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_http_output_filter, ngx_http_request_t,
    ngx_http_send_header, ngx_int_t, ngx_list_push, ngx_pcalloc, ngx_pnalloc, ngx_str_t,
    ngx_table_elt_t, NGX_ERROR, NGX_HTTP_FORBIDDEN, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_OK,
    NGX_OK,
};
use ngx::http::{HttpModuleMainConf, Request};

use crate::Module;

const OK: ngx_int_t = NGX_OK as ngx_int_t;
const ERROR: ngx_int_t = NGX_ERROR as ngx_int_t;
const INTERNAL: ngx_int_t = NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;

/// The refusal body.
pub(crate) const FORBIDDEN: &[u8] = b"Forbidden";

/// The request pointer for calls that mutate the request: derived from `&mut` (never
/// from `&Request`: writing through a pointer derived from a shared reference is undefined
/// behaviour, and optimised builds do drop such writes).
pub(crate) fn raw(req: &mut Request) -> *mut ngx_http_request_t {
    req.into()
}

/// Sets the status and headers of the `403 Forbidden` refusal.
pub(crate) fn set_forbidden_headers(r: *mut ngx_http_request_t) {
    const TEXT_PLAIN: &[u8] = b"text/plain";
    // SAFETY: `r` is live; the content type points at static bytes nginx only reads.
    unsafe {
        let h = &mut (*r).headers_out;
        h.status = NGX_HTTP_FORBIDDEN as usize;
        h.content_type = ngx_str_t { len: TEXT_PLAIN.len(), data: TEXT_PLAIN.as_ptr() as *mut u8 };
        h.content_type_len = TEXT_PLAIN.len();
        h.content_type_lowcase = ptr::null_mut();
        h.content_length_n = FORBIDDEN.len() as i64;
    }
}

/// The refusal's header naming the request (`$request_id`, the id in the error.log
/// line), so that the refused peer can quote it.
const REQUEST_ID_HEADER: &[u8] = b"X-Request-ID";

/// Adds `X-Request-ID: $request_id` to the response headers (best effort: a failed
/// allocation only loses the header, the refusal stands).
pub(crate) fn add_request_id(req: &mut Request) {
    let Some(cv) = Module::main_conf(req).map(|m| m.request_id) else { return };
    // SAFETY: NULL or a complex value compiled into the configuration pool.
    let Some(cv) = (unsafe { cv.as_ref() }) else { return };
    let Some(id) = req.get_complex_value(cv) else { return };
    // `id` lives in the request pool (as long as the headers).
    let value = ngx_str_t { len: id.as_bytes().len(), data: id.as_bytes().as_ptr() as *mut u8 };
    let r = raw(req);
    // SAFETY: `r` is live; `headers_out.headers` is its initialised list of response
    // headers; `ngx_list_push` returns NULL on allocation failure. The element is zeroed
    // first (so `next`, present from nginx 1.23.0 on, is NULL whatever the version), and
    // the key points at static bytes nginx only reads.
    unsafe {
        let h = ngx_list_push(&mut (*r).headers_out.headers) as *mut ngx_table_elt_t;
        if h.is_null() {
            return;
        }
        ptr::write_bytes(h, 0, 1);
        (*h).hash = 1;
        (*h).key =
            ngx_str_t { len: REQUEST_ID_HEADER.len(), data: REQUEST_ID_HEADER.as_ptr() as *mut u8 };
        (*h).value = value;
    }
}

/// Answers `200` with `body` (copied into the request pool) for a content handler;
/// returns the rc for nginx to finalize the request with.
pub(crate) fn send_text(req: &mut Request, content_type: &'static [u8], body: &[u8]) -> ngx_int_t {
    let r = raw(req);
    let pool = req.pool().as_ptr();
    // SAFETY: allocation from the live request pool (NULL on failure, checked).
    let data = unsafe { ngx_pnalloc(pool, body.len().max(1)) } as *mut u8;
    if data.is_null() {
        return INTERNAL;
    }
    // SAFETY: `data` has room for `body.len()` bytes; the slice lives as long as the
    // request's pool, which outlives every write of the response.
    let copy: &'static [u8] = unsafe {
        ptr::copy_nonoverlapping(body.as_ptr(), data, body.len());
        std::slice::from_raw_parts(data, body.len())
    };
    // SAFETY: `r` is live; the content type points at static bytes nginx only reads.
    unsafe {
        let h = &mut (*r).headers_out;
        h.status = NGX_HTTP_OK as usize;
        h.content_type =
            ngx_str_t { len: content_type.len(), data: content_type.as_ptr() as *mut u8 };
        h.content_type_len = content_type.len();
        h.content_type_lowcase = ptr::null_mut();
        h.content_length_n = body.len() as i64;
    }
    send(req, copy)
}

/// Sends the response headers already set on `req`, then `body` as the whole body,
/// through the whole filter chain; returns the rc to finalize the request with.
pub(crate) fn send(req: &mut Request, body: &'static [u8]) -> ngx_int_t {
    let r = raw(req);
    // SAFETY: `r` is live and its response headers are set.
    let rc = unsafe { ngx_http_send_header(r) };
    if rc == ERROR || rc > OK || req.header_only() {
        return rc;
    }
    match last_chain(req, body) {
        // SAFETY: `r` is live and `cl` a valid chain from its pool.
        Some(cl) => unsafe { ngx_http_output_filter(r, cl) },
        None => ERROR,
    }
}

/// A one-buffer chain holding `data` (read-only memory), marked last.
pub(crate) fn last_chain(req: &Request, data: &'static [u8]) -> Option<*mut ngx_chain_t> {
    let pool = req.pool().as_ptr();
    // SAFETY: allocations from the live request pool; a zeroed ngx_buf_t is an empty
    // buffer (ngx_calloc_buf), then pointed at `data` which outlives the request.
    unsafe {
        let b = ngx_pcalloc(pool, mem::size_of::<ngx_buf_t>()) as *mut ngx_buf_t;
        if b.is_null() {
            return None;
        }
        if !data.is_empty() {
            let start = data.as_ptr() as *mut u8;
            (*b).start = start;
            (*b).pos = start;
            (*b).last = start.add(data.len());
            (*b).end = (*b).last;
            (*b).set_memory(1);
        }
        (*b).set_last_buf(1);
        (*b).set_last_in_chain(1);
        let cl = ngx_alloc_chain_link(pool);
        if cl.is_null() {
            return None;
        }
        (*cl).buf = b;
        (*cl).next = ptr::null_mut();
        Some(cl)
    }
}
