//! Safe bookkeeping around [`Guard`]: the per-request context, byte bounds, and the
//! log wording of decisions (rendered by the core, in misp-guard's words).
//!
//! Nothing here touches nginx structures; `access.rs` and `filters.rs` move bytes in
//! and decisions out.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::RefusalLines;
use misp_guard_core::{Block, Guard, Inspection, Policy, Progress, Reason, Side, Verdict};

/// One body under inspection: the guard (which also holds the
/// `misp_guard_max_body_size` bound, `Limits::max_body`) and the time spent in it.
pub(crate) struct BodyCheck {
    /// Always `Some` until dropped (then handed back to `spares`).
    guard: Option<Box<Guard<'static>>>,
    spares: Rc<Spares>,
    inspection: Inspection,
    pub(crate) side: Side,
    /// Time spent in the guard (feed and finish).
    elapsed: Duration,
    failed: Option<&'static str>,
    /// The guard already refused the body (it still reads on, for misp-guard's first
    /// reason, but nothing of it will be sent).
    blocked: bool,
}

impl BodyCheck {
    /// A check for a body sent with these headers (`Content-Encoding`, `Content-Type`,
    /// `X-UserOrgUUID`).
    pub(crate) fn new(
        policy: Arc<Policy>,
        inspection: Inspection,
        headers: &[Header<'_>],
        limits: Limits,
        spares: Rc<Spares>,
    ) -> Self {
        // a guard of an earlier body, reset in place: a new one is ~10 KiB built on the
        // stack and copied into the heap, twice (benches/RESULTS.md)
        let spare = spares.0.try_borrow_mut().ok().and_then(|mut s| s.pop());
        let guard = match spare {
            Some(mut g) => {
                g.reset(policy, inspection, headers, limits);
                g
            }
            None => Box::new(Guard::for_body(policy, inspection, headers, limits)),
        };
        BodyCheck {
            guard: Some(guard),
            spares,
            inspection,
            side: inspection.side,
            elapsed: Duration::ZERO,
            failed: None,
            blocked: false,
        }
    }

    /// Feeds the next chunk. Returns `false` once the bound is passed or the check
    /// failed: the verdict is then a block and the caller may stop keeping bytes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> bool {
        if !self.wants_bytes() {
            return false;
        }
        let t = Instant::now();
        self.blocked |= self.guard_mut().feed(chunk) == Progress::Blocked;
        self.elapsed += t.elapsed();
        self.wants_bytes()
    }

    /// Body bytes inspected so far (as sent, encoded).
    pub(crate) fn seen(&self) -> u64 {
        self.guard().fed()
    }

    fn guard(&self) -> &Guard<'static> {
        self.guard.as_deref().expect("a live check has its guard")
    }

    fn guard_mut(&mut self) -> &mut Guard<'static> {
        self.guard.as_deref_mut().expect("a live check has its guard")
    }

    /// Time spent evaluating so far.
    pub(crate) fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The instance whose rules judge this body (current format), or `""`.
    pub(crate) fn ruleset<'p>(&self, policy: &'p Policy) -> &'p str {
        if self.inspection.count == 1 {
            policy.ruleset_name(self.inspection.first)
        } else {
            ""
        }
    }

    /// `true` while the bytes may still be released (so worth keeping).
    pub(crate) fn keeps_bytes(&self) -> bool {
        self.wants_bytes() && !self.blocked
    }

    /// `true` while bytes are still wanted.
    pub(crate) fn wants_bytes(&self) -> bool {
        !self.guard().over_body_bound() && self.failed.is_none()
    }

    /// Records that the front end could not complete the inspection (fails closed).
    pub(crate) fn fail(&mut self, what: &'static str) {
        self.failed.get_or_insert(what);
    }

    /// Ends the body: the verdict.
    pub(crate) fn finish(&mut self) -> Verdict {
        if let Some(what) = self.failed {
            return Verdict::Block(Block::new(Reason::Internal, self.side).with_detail(what));
        }
        let t = Instant::now();
        let verdict = self.guard_mut().finish();
        self.elapsed += t.elapsed();
        verdict
    }
}

/// Guards of finished bodies, kept for the next ones: one list per cycle (in its main
/// configuration, shared by its requests), so a spare never outlives the rules of its
/// cycle by more than the requests that still use them.
#[derive(Default)]
pub(crate) struct Spares(RefCell<Vec<Box<Guard<'static>>>>);

impl Spares {
    /// At most this many guards are kept.
    const MAX: usize = 32;
}

impl Drop for BodyCheck {
    fn drop(&mut self) {
        if let (Some(g), Ok(mut s)) = (self.guard.take(), self.spares.0.try_borrow_mut()) {
            // a decoding guard would keep its decoder's buffers (a brotli window is up to
            // 16 MiB) until reused: freed now, as before spares
            if s.len() < Spares::MAX && !g.decodes() {
                s.push(g);
            }
        }
    }
}

/// The request side of a request's inspection.
pub(crate) enum ReqState {
    /// Nothing to inspect, or not started.
    Idle,
    /// Reading the body. `via_filter`: bytes arrive through the request body filter
    /// (otherwise the body was read before us and is taken from `r->request_body`).
    Reading { check: BodyCheck, via_filter: bool },
    /// Forward.
    Allowed,
    /// Refused (enforce mode).
    Refused,
}

/// The response side of a request's inspection.
pub(crate) enum RespState {
    /// Nothing to inspect.
    Idle,
    /// Inspect the response once its headers arrive.
    Pending(Inspection),
    /// Headers held back, body bytes held (bounded) and fed.
    Holding { check: BodyCheck, held: Vec<u8> },
    /// Report mode: bytes pass through while they are fed.
    Streaming(BodyCheck),
    /// Decided; the held bytes (if released) live here until the request ends.
    Done(Vec<u8>),
}

/// Per-request state, allocated from the request pool (dropped with it).
pub(crate) struct RequestCtx {
    /// The rules (shared with the cycle's configuration and this request's guards).
    pub(crate) policy: Arc<Policy>,
    /// `misp_guard_mode report`.
    pub(crate) report: bool,
    /// The error_log level of refusal lines (`misp_guard_log_level`).
    pub(crate) log_level: u32,
    /// Method as sent (for log lines).
    pub(crate) method: String,
    /// Path with query as sent (for log lines).
    pub(crate) path: String,
    /// Body bounds: `misp_guard_max_body_size` and the decoding bounds.
    pub(crate) limits: Limits,
    /// Request body inspection.
    pub(crate) request: ReqState,
    /// Response body inspection.
    pub(crate) response: RespState,
    /// What was decided, for the `$misp_guard_*` variables.
    pub(crate) outcome: Outcome,
    /// The cycle's spare guards.
    pub(crate) spares: Rc<Spares>,
}

impl RequestCtx {
    /// A new check for this request's bodies.
    pub(crate) fn check(&self, inspection: Inspection, headers: &[Header<'_>]) -> BodyCheck {
        let spares = Rc::clone(&self.spares);
        BodyCheck::new(Arc::clone(&self.policy), inspection, headers, self.limits, spares)
    }

    /// The lines to log for a refusal (misp-guard's preamble when it has one, then the
    /// `request blocked: …` line), with a report-mode marker.
    pub(crate) fn block_lines(&self, block: &Block) -> (Option<String>, String) {
        block_lines(&self.policy, &self.method, &self.path, block, self.report)
    }
}

/// Where a decision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Method, path, addresses and headers (access phase).
    Request,
    /// The request body (push).
    RequestBody,
    /// The response body (pull).
    ResponseBody,
}

impl Stage {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Stage::Request => "request",
            Stage::RequestBody => "request_body",
            Stage::ResponseBody => "response_body",
        }
    }
}

/// The decision on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Forwarded (and, for a pull, released) after every planned inspection.
    Allow,
    /// Refused with `403`.
    Block,
    /// Would be refused; forwarded because of `misp_guard_mode report`.
    WouldBlock,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Block => "block",
            Decision::WouldBlock => "would_block",
        }
    }
}

/// What the `$misp_guard_*` variables show: the decision, the first refusal's details,
/// and the work done.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// `None` until every planned inspection ended (or one refused).
    pub(crate) decision: Option<(Decision, Stage)>,
    /// Stable reason code of the refusal.
    pub(crate) reason: Option<&'static str>,
    /// misp-guard's wording of the refusal (traffic escaped by the core).
    pub(crate) message: String,
    /// The rule id (legacy) or instance whose rules decided.
    pub(crate) rule: String,
    /// JSON pointer of the offending element (`""`: the whole message).
    pub(crate) pointer: String,
    /// Body bytes inspected (as sent, encoded), both sides.
    pub(crate) bytes: u64,
    /// Time spent evaluating, all stages.
    pub(crate) time: Duration,
    /// Evaluation time of each body judged: request, response.
    pub(crate) body_times: [Option<Duration>; 2],
}

impl Outcome {
    /// `true` once a refusal was recorded.
    fn refused(&self) -> bool {
        matches!(self.decision, Some((Decision::Block | Decision::WouldBlock, _)))
    }

    /// Records an allow at `stage` (a refusal recorded before stays).
    pub(crate) fn allow(&mut self, stage: Stage, rule: &str) {
        if !self.refused() {
            self.decision = Some((Decision::Allow, stage));
            self.rule.clear();
            self.rule.push_str(rule);
        }
    }

    /// Records a refusal at `stage` (the first refusal stays).
    pub(crate) fn block(&mut self, stage: Stage, block: &Block, policy: &Policy, report: bool) {
        if self.refused() {
            return;
        }
        let d = if report { Decision::WouldBlock } else { Decision::Block };
        self.decision = Some((d, stage));
        self.reason = Some(block.reason.code());
        self.message = block.message(policy).to_string();
        self.rule = block.rule_id(policy).unwrap_or("").to_owned();
        self.pointer = block.pointer().to_owned();
    }

    /// Adds a finished body check's bytes and time.
    pub(crate) fn count(&mut self, check: &BodyCheck) {
        self.bytes = self.bytes.saturating_add(check.seen());
        self.time += check.elapsed();
        let i = if check.side == Side::Request { 0 } else { 1 };
        self.body_times[i] = Some(check.elapsed());
    }
}

/// See [`RequestCtx::block_lines`].
pub(crate) fn block_lines(
    policy: &Policy,
    method: &str,
    path: &str,
    block: &Block,
    report: bool,
) -> (Option<String>, String) {
    let lines = RefusalLines::new(method, path, block, policy);
    let pre = lines.preamble.map(|p| p.to_string());
    let mut line = lines.line.to_string();
    if report {
        let _ = write!(line, " (misp_guard_mode report: forwarded)");
    }
    (pre, line)
}
