//! The one decision path shared by `inspect` and `conformance`:
//!
//! ```text
//! request line + headers → Policy::check_request → Block (403)
//!                                                → Allow(plan)
//!   plan.request  → Guard over the request body  (request headers)  → Block | go on
//!   plan.response → Guard over the response body (response headers) → Block | allow
//! ```
//!
//! A response body is judged only when one is given; without it the request is judged
//! alone (nothing has been forwarded yet). Bodies are streamed in chunks and fed whole,
//! so the reason reported is the one misp-guard reports (a syntax error anywhere wins).

use std::fmt;
use std::io;
use std::ops::ControlFlow;

use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::RefusalLines;
use misp_guard_core::{Block, Guard, Inspection, Policy, RequestInfo, RequestVerdict, Verdict};

use crate::body::Body;

/// The upstream's answer, when there is one.
pub struct Response<'a> {
    /// Its headers (`Content-Encoding`, `Content-Type`, `X-UserOrgUUID`, …).
    pub headers: &'a [Header<'a>],
    /// Its body.
    pub body: Body<'a>,
}

/// One exchange to judge.
pub struct Exchange<'a> {
    /// Method, raw path, scheme, addresses.
    pub req: RequestInfo<'a>,
    /// The request headers.
    pub request_headers: &'a [Header<'a>],
    /// The request body.
    pub request_body: Body<'a>,
    /// The upstream response, if the request was forwarded.
    pub response: Option<Response<'a>>,
}

/// Where the decision was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// From method, path, addresses and headers.
    Request,
    /// While inspecting the request body.
    RequestBody,
    /// While inspecting the upstream response body.
    ResponseBody,
}

impl Stage {
    /// The name used in JSON decision records.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Request => "request",
            Stage::RequestBody => "request_body",
            Stage::ResponseBody => "response_body",
        }
    }
}

/// The outcome, with every log line misp-guard would have written for it.
#[derive(Debug)]
pub struct Decision {
    /// `None`: allowed. `Some`: refused at that stage.
    pub block: Option<(Stage, Block)>,
    /// The log lines, in order.
    pub logs: Vec<String>,
}

impl Decision {
    /// The HTTP status the client gets: 200 passed through, 403 refused.
    pub fn status(&self) -> u16 {
        if self.block.is_some() {
            403
        } else {
            200
        }
    }
}

/// A body could not be read.
#[derive(Debug)]
pub struct BodyError {
    /// Which body.
    pub stage: Stage,
    /// What went wrong.
    pub err: io::Error,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = match self.stage {
            Stage::ResponseBody => "response body",
            _ => "request body",
        };
        write!(f, "cannot read {which}: {}", self.err)
    }
}

/// Judges one exchange. See the module docs.
pub fn decide(policy: &Policy, ex: Exchange<'_>) -> Result<Decision, BodyError> {
    let req = &ex.req;
    let mut logs = Vec::new();
    let plan = match policy.check_request(req, ex.request_headers) {
        RequestVerdict::Block(block) => {
            return Ok(refuse(policy, req, Stage::Request, block, logs))
        }
        RequestVerdict::Allow(plan) => plan,
    };
    if let Some(line) = plan.allow_line(req) {
        logs.push(line.to_string());
    }
    if let Some(insp) = plan.request {
        let verdict = judge(policy, insp, ex.request_headers, ex.request_body)
            .map_err(|err| BodyError { stage: Stage::RequestBody, err })?;
        if let Verdict::Block(block) = verdict {
            return Ok(refuse(policy, req, Stage::RequestBody, block, logs));
        }
    }
    // Without a response the request is judged alone: nothing was forwarded yet.
    if let (Some(insp), Some(resp)) = (plan.response, ex.response) {
        let verdict = judge(policy, insp, resp.headers, resp.body)
            .map_err(|err| BodyError { stage: Stage::ResponseBody, err })?;
        if let Verdict::Block(block) = verdict {
            return Ok(refuse(policy, req, Stage::ResponseBody, block, logs));
        }
    }
    Ok(Decision { block: None, logs })
}

/// A refusal with misp-guard's lines: the preamble for endpoint refusals, then
/// `request blocked: [METHOD]PATH - message`.
fn refuse(
    policy: &Policy,
    req: &RequestInfo<'_>,
    stage: Stage,
    block: Block,
    mut logs: Vec<String>,
) -> Decision {
    let lines = RefusalLines::new(req.method, req.path, &block, policy);
    logs.extend(lines.preamble.map(|p| p.to_string()));
    logs.push(lines.line.to_string());
    Decision { block: Some((stage, block)), logs }
}

/// Streams one body through a `Guard` built from that message's headers.
fn judge(
    policy: &Policy,
    insp: Inspection,
    headers: &[Header<'_>],
    body: Body<'_>,
) -> io::Result<Verdict> {
    let mut guard = Guard::for_body(policy, insp, headers, Limits::default());
    // Feed everything even once blocked: the guard stays blocked (sticky) and a
    // later syntax error still takes precedence, as in misp-guard. Past the body bound
    // the verdict is final (`body_too_large`): the rest is not read, so an endless
    // body ends there.
    body.for_each_chunk(|chunk| {
        let _ = guard.feed(chunk);
        if guard.over_body_bound() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(guard.finish())
}
