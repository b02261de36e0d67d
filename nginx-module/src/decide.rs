//! Safe bookkeeping around [`Guard`]: the per-request context, byte bounds, and the
//! log wording of decisions (rendered by the core, in misp-guard's words).
//!
//! Nothing here touches nginx structures; `access.rs` and `filters.rs` move bytes in
//! and decisions out.

use std::fmt::Write as _;

use misp_guard_core::decode::Limits;
use misp_guard_core::policy::Header;
use misp_guard_core::verdict::{LogLine, PreambleLine};
use misp_guard_core::{Block, Guard, Inspection, Policy, Progress, Reason, Side, Verdict};

/// One body under inspection: the guard plus the `misp_guard_max_body_size` bound.
pub(crate) struct BodyCheck {
    guard: Box<Guard<'static>>,
    side: Side,
    seen: u64,
    max: u64,
    over: bool,
    failed: Option<&'static str>,
    /// The guard already refused the body (it still reads on, for misp-guard's first
    /// reason, but nothing of it will be sent).
    blocked: bool,
}

impl BodyCheck {
    /// A check for a body sent with these headers (`Content-Encoding`, `Content-Type`,
    /// `X-UserOrgUUID`).
    pub(crate) fn new(
        policy: &'static Policy,
        inspection: Inspection,
        headers: &[Header<'_>],
        limits: Limits,
        max: u64,
    ) -> Self {
        BodyCheck {
            guard: Box::new(Guard::for_body(policy, inspection, headers, limits)),
            side: inspection.side,
            seen: 0,
            max,
            over: false,
            failed: None,
            blocked: false,
        }
    }

    /// Feeds the next chunk. Returns `false` once the bound is passed or the check
    /// failed: the verdict is then a block and the caller may stop keeping bytes.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> bool {
        if self.over || self.failed.is_some() {
            return false;
        }
        self.seen = self.seen.saturating_add(chunk.len() as u64);
        if self.seen > self.max {
            self.over = true;
            return false;
        }
        self.blocked |= self.guard.feed(chunk) == Progress::Blocked;
        true
    }

    /// `true` while the bytes may still be released (so worth keeping).
    pub(crate) fn keeps_bytes(&self) -> bool {
        self.wants_bytes() && !self.blocked
    }

    /// `true` while bytes are still wanted.
    pub(crate) fn wants_bytes(&self) -> bool {
        !self.over && self.failed.is_none()
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
        if self.over {
            return Verdict::Block(
                Block::new(Reason::BodyTooLarge, self.side)
                    .with_detail_fmt(format_args!("{}", self.max)),
            );
        }
        self.guard.finish()
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
    /// The rules (owned by the cycle's configuration, which outlives the request).
    pub(crate) policy: &'static Policy,
    /// `misp_guard_mode report`.
    pub(crate) report: bool,
    /// Method as sent (for log lines).
    pub(crate) method: String,
    /// Path with query as sent (for log lines).
    pub(crate) path: String,
    /// Decoding bounds.
    pub(crate) limits: Limits,
    /// `misp_guard_max_body_size`.
    pub(crate) max_body: u64,
    /// Request body inspection.
    pub(crate) request: ReqState,
    /// Response body inspection.
    pub(crate) response: RespState,
}

impl RequestCtx {
    /// A new check for this request's bodies.
    pub(crate) fn check(&self, inspection: Inspection, headers: &[Header<'_>]) -> BodyCheck {
        BodyCheck::new(self.policy, inspection, headers, self.limits, self.max_body)
    }

    /// The lines to log for a refusal (misp-guard's preamble when it has one, then the
    /// `request blocked: …` line), with a report-mode marker.
    pub(crate) fn block_lines(&self, block: &Block) -> (Option<String>, String) {
        block_lines(self.policy, &self.method, &self.path, block, self.report)
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
    let pre = block.has_preamble().then(|| PreambleLine { path }.to_string());
    let mut line = LogLine { method, path, block, policy }.to_string();
    if report {
        let _ = write!(line, " (misp_guard_mode report: forwarded)");
    }
    (pre, line)
}
