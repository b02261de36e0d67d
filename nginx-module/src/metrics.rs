//! Counters of decisions, shared by the workers (a shared memory zone kept across
//! reloads), and the `misp_guard_status;` location that exposes them in Prometheus'
//! text format.
//!
//! Every guarded request is counted once, when it ends (its context is dropped with the
//! request pool): its decision, its reason code (refusals), its rule set (the instance of
//! the current format, or the legacy rule id), the body bytes inspected, whether decoding
//! refused it, and one evaluation time per body judged. The zone holds plain atomics;
//! labels (reason codes, rule set names) sit in fixed slots claimed on first use, so the
//! counters of an instance survive a reload that renumbers the rules.

use std::ffi::c_void;
use std::fmt::Write as _;
use std::mem::size_of;
use std::ptr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::*};
use std::time::Duration;

use misp_guard_core::Reason;
use ngx::ffi::{
    ngx_conf_t, ngx_http_discard_request_body, ngx_http_request_t, ngx_int_t,
    ngx_shared_memory_add, ngx_shm_zone_t, ngx_slab_calloc, ngx_slab_pool_t, ngx_str_t, NGX_ERROR,
    NGX_HTTP_GET, NGX_HTTP_HEAD, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_NOT_ALLOWED, NGX_OK,
};
use ngx::http::{HttpModuleMainConf, Request};

use crate::decide::{Decision, Outcome};
use crate::Module;

/// The zone's name and size (fixed: nginx reuses a zone across reloads only when both
/// are unchanged).
const ZONE_NAME: &str = "misp_guard_metrics";
const ZONE_SIZE: usize = 512 * 1024;

/// Upper bounds (seconds) of the evaluation time histogram's buckets (then `+Inf`).
const BUCKETS: [f64; 12] =
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0];
/// Longest label kept (reason codes and rule set names); longer names are counted under
/// `other`.
const NAME_CAP: usize = 200;
const REASON_SLOTS: usize = 128;
const RULE_SLOTS: usize = 256;
/// Layout version: a zone left by an older layout is never read as this one.
const MAGIC: u64 = 0x6d67_6d65_7472_0002;

/// `decisions` indexes: allow, block, would_block, none (ended before a decision).
const DECISIONS: [&str; 4] = ["allow", "block", "would_block", "none"];

/// A labelled row of counters. `state`: 0 free, 1 being named, 2 named.
#[repr(C)]
struct Slot<const N: usize> {
    state: AtomicU32,
    len: AtomicU32,
    name: [AtomicU8; NAME_CAP],
    counts: [AtomicU64; N],
}

impl<const N: usize> Slot<N> {
    fn name(&self) -> Option<String> {
        if self.state.load(Acquire) != 2 {
            return None;
        }
        let len = (self.len.load(Relaxed) as usize).min(NAME_CAP);
        let bytes: Vec<u8> = self.name[..len].iter().map(|b| b.load(Relaxed)).collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn is(&self, name: &[u8]) -> bool {
        self.state.load(Acquire) == 2
            && self.len.load(Relaxed) as usize == name.len()
            && self.name.iter().zip(name).all(|(a, b)| a.load(Relaxed) == *b)
    }
}

/// The row for `name`: found, or claimed (two workers claiming the same name at once
/// get two rows, merged when printed). Names too long, or new once the table is full,
/// are counted in a last row named `other`.
fn row<'a, const N: usize>(slots: &'a [Slot<N>], name: &str) -> Option<&'a Slot<N>> {
    let (last, named) = slots.split_last()?;
    let name = if name.len() <= NAME_CAP { name } else { "other" };
    claim(named, name).or_else(|| claim(std::slice::from_ref(last), "other"))
}

fn claim<'a, const N: usize>(slots: &'a [Slot<N>], name: &str) -> Option<&'a Slot<N>> {
    if let Some(s) = slots.iter().find(|s| s.is(name.as_bytes())) {
        return Some(s);
    }
    for s in slots {
        if s.state.compare_exchange(0, 1, AcqRel, Relaxed).is_ok() {
            for (d, b) in s.name.iter().zip(name.bytes()) {
                d.store(b, Relaxed);
            }
            s.len.store(name.len() as u32, Relaxed);
            s.state.store(2, Release);
            return Some(s);
        }
        if s.is(name.as_bytes()) {
            return Some(s);
        }
    }
    None
}

/// The zone's contents (zeroed memory is a valid empty set of counters).
#[repr(C)]
pub(crate) struct Metrics {
    magic: AtomicU64,
    decisions: [AtomicU64; 4],
    bytes: AtomicU64,
    decode_refusals: AtomicU64,
    /// Non-cumulative; the last one is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    time_sum_ns: AtomicU64,
    time_count: AtomicU64,
    /// Refusals by reason code: block, would_block.
    reasons: [Slot<2>; REASON_SLOTS],
    /// Decisions by rule set: allow, block, would_block.
    rules: [Slot<3>; RULE_SLOTS],
}

const _: () = assert!(size_of::<Metrics>() + 16 * 4096 < ZONE_SIZE);

fn decision_index(d: Option<Decision>) -> usize {
    match d {
        Some(Decision::Allow) => 0,
        Some(Decision::Block) => 1,
        Some(Decision::WouldBlock) => 2,
        None => 3,
    }
}

impl Metrics {
    /// Counts one guarded request that ended.
    pub(crate) fn record(&self, o: &Outcome) {
        let d = o.decision.map(|(d, _)| d);
        let di = decision_index(d);
        self.decisions[di].fetch_add(1, Relaxed);
        self.bytes.fetch_add(o.bytes, Relaxed);
        for t in o.body_times.iter().flatten() {
            self.observe(*t);
        }
        if let Some(code) = o.reason {
            let decode = [
                Reason::DecodeError,
                Reason::DecodedTooLarge,
                Reason::RatioExceeded,
                Reason::UnsupportedEncoding,
            ];
            if decode.iter().any(|r| r.code() == code) {
                self.decode_refusals.fetch_add(1, Relaxed);
            }
            if let (Some(r), 1..=2) = (row(&self.reasons, code), di) {
                r.counts[di - 1].fetch_add(1, Relaxed);
            }
        }
        if !o.rule.is_empty() && di < 3 {
            if let Some(r) = row(&self.rules, &o.rule) {
                r.counts[di].fetch_add(1, Relaxed);
            }
        }
    }

    fn observe(&self, t: Duration) {
        let secs = t.as_secs_f64();
        let i = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.time_sum_ns.fetch_add(t.as_nanos().min(u64::MAX as u128) as u64, Relaxed);
        self.time_count.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, o: &mut String) -> std::fmt::Result {
        writeln!(o, "# HELP misp_guard_decisions_total Guarded requests by decision (none: ended before a decision).")?;
        writeln!(o, "# TYPE misp_guard_decisions_total counter")?;
        for (i, name) in DECISIONS.iter().enumerate() {
            let v = self.decisions[i].load(Relaxed);
            writeln!(o, "misp_guard_decisions_total{{decision=\"{name}\"}} {v}")?;
        }
        writeln!(o, "# HELP misp_guard_refusals_total Refusals by reason code and decision.")?;
        writeln!(o, "# TYPE misp_guard_refusals_total counter")?;
        for (name, counts) in merged(&self.reasons) {
            for (i, d) in ["block", "would_block"].iter().enumerate() {
                let v = counts[i];
                writeln!(
                    o,
                    "misp_guard_refusals_total{{reason=\"{}\",decision=\"{d}\"}} {v}",
                    esc(&name)
                )?;
            }
        }
        writeln!(o, "# HELP misp_guard_rule_decisions_total Decisions by the instance (or legacy rule) whose rules decided.")?;
        writeln!(o, "# TYPE misp_guard_rule_decisions_total counter")?;
        for (name, counts) in merged(&self.rules) {
            for (i, d) in DECISIONS[..3].iter().enumerate() {
                let v = counts[i];
                writeln!(
                    o,
                    "misp_guard_rule_decisions_total{{rule=\"{}\",decision=\"{d}\"}} {v}",
                    esc(&name)
                )?;
            }
        }
        writeln!(o, "# HELP misp_guard_inspected_bytes_total Body bytes inspected (as sent, before decoding).")?;
        writeln!(o, "# TYPE misp_guard_inspected_bytes_total counter")?;
        writeln!(o, "misp_guard_inspected_bytes_total {}", self.bytes.load(Relaxed))?;
        writeln!(o, "# HELP misp_guard_decode_refusals_total Refusals because a body could not be decoded within bounds.")?;
        writeln!(o, "# TYPE misp_guard_decode_refusals_total counter")?;
        writeln!(o, "misp_guard_decode_refusals_total {}", self.decode_refusals.load(Relaxed))?;
        writeln!(o, "# HELP misp_guard_body_evaluation_seconds Time spent evaluating one body.")?;
        writeln!(o, "# TYPE misp_guard_body_evaluation_seconds histogram")?;
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            match BUCKETS.get(i) {
                Some(le) => writeln!(
                    o,
                    "misp_guard_body_evaluation_seconds_bucket{{le=\"{le}\"}} {cumulative}"
                )?,
                None => writeln!(
                    o,
                    "misp_guard_body_evaluation_seconds_bucket{{le=\"+Inf\"}} {cumulative}"
                )?,
            }
        }
        let sum = self.time_sum_ns.load(Relaxed) as f64 / 1e9;
        writeln!(o, "misp_guard_body_evaluation_seconds_sum {sum:.9}")?;
        writeln!(o, "misp_guard_body_evaluation_seconds_count {}", self.time_count.load(Relaxed))
    }
}

/// Named rows, rows of the same name summed, sorted by name.
fn merged<const N: usize>(slots: &[Slot<N>]) -> Vec<(String, [u64; N])> {
    let mut rows: Vec<(String, [u64; N])> = Vec::new();
    for s in slots {
        let Some(name) = s.name() else { continue };
        let counts: [u64; N] = std::array::from_fn(|i| s.counts[i].load(Relaxed));
        match rows.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => c.iter_mut().zip(counts).for_each(|(a, b)| *a += b),
            None => rows.push((name, counts)),
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// A label value escaped as Prometheus wants (`\`, `"`, newline).
fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

// --- the zone ---------------------------------------------------------------------------

/// Adds the zone (postconfiguration); its address is known once nginx initialised it.
pub(crate) fn add_zone(cf: &mut ngx_conf_t) -> Result<*mut ngx_shm_zone_t, ()> {
    let mut name = ngx_str_t { len: ZONE_NAME.len(), data: ZONE_NAME.as_ptr() as *mut u8 };
    // SAFETY: `cf` is the configuration being parsed; the tag is this module's static
    // (stable for the life of the process, as nginx requires to match zones on reload).
    let zone = unsafe {
        ngx_shared_memory_add(
            cf,
            &mut name,
            ZONE_SIZE,
            ptr::addr_of_mut!(crate::ngx_http_misp_guard_module) as *mut c_void,
        )
    };
    // SAFETY: NULL or the zone nginx registered for this cycle.
    let z = unsafe { zone.as_mut() }.ok_or(())?;
    z.init = Some(init_zone);
    Ok(zone)
}

/// nginx's zone init: reuse the previous cycle's counters, else allocate them.
unsafe extern "C" fn init_zone(zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    crate::no_panic(NGX_ERROR as ngx_int_t, || {
        // SAFETY: nginx passes the zone being initialised (mapped, with its slab pool at
        // the start) and the previous cycle's `data` for the same zone, or NULL.
        let z = unsafe { &mut *zone };
        let old = data as *const Metrics;
        // SAFETY: NULL or the counters this function allocated in a previous cycle.
        if let Some(m) = unsafe { old.as_ref() } {
            if m.magic.load(Relaxed) == MAGIC {
                z.data = data;
                return NGX_OK as ngx_int_t;
            }
        }
        let pool = z.shm.addr as *mut ngx_slab_pool_t;
        // SAFETY: the zone starts with the slab pool nginx initialised; the allocation is
        // zeroed (valid atomics) and page-aligned (larger than half a page).
        let m = unsafe { ngx_slab_calloc(pool, size_of::<Metrics>()) } as *mut Metrics;
        // SAFETY: NULL or the fresh allocation.
        let Some(mr) = (unsafe { m.as_ref() }) else { return NGX_ERROR as ngx_int_t };
        mr.magic.store(MAGIC, Relaxed);
        z.data = m as *mut c_void;
        NGX_OK as ngx_int_t
    })
}

/// The counters of this cycle, once the zone is initialised.
pub(crate) fn of_zone(zone: *mut ngx_shm_zone_t) -> Option<&'static Metrics> {
    // SAFETY: NULL or the zone of this cycle; its `data` is NULL before initialisation,
    // then the counters in shared memory, mapped until the process exits.
    let data = unsafe { zone.as_ref() }?.data as *const Metrics;
    // SAFETY: as above.
    unsafe { data.as_ref() }
}

// --- the status location ------------------------------------------------------------------

/// The content handler of the `misp_guard_status;` location.
pub(crate) extern "C" fn status_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    crate::no_panic(NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t, || {
        // SAFETY: nginx calls content handlers with a valid request.
        let req = unsafe { Request::from_ngx_http_request(r) };
        let method = req.as_ref().method;
        if method != NGX_HTTP_GET as usize && method != NGX_HTTP_HEAD as usize {
            return NGX_HTTP_NOT_ALLOWED as ngx_int_t;
        }
        // SAFETY: `r` is the live request.
        if unsafe { ngx_http_discard_request_body(r) } != NGX_OK as ngx_int_t {
            return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
        }
        let Some(m) = Module::main_conf(req).and_then(|c| of_zone(c.metrics)) else {
            return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
        };
        let body = m.render();
        crate::reply::send_text(req, b"text/plain; version=0.0.4; charset=utf-8", body.as_bytes())
    })
}
