//! misp-guard's decision path as an embeddable, allocation-free library.
//!
//! ```text
//! bytes → decode (identity | gzip | deflate | br) → json (streaming tokenizer)
//!       → rules (rule machine) → Verdict
//! ```
//!
//! * [`Policy`] is the compiled configuration (both misp-guard config formats),
//!   immutable and shareable across threads. [`Policy::check_request`] applies the
//!   request-level policy (allowlist, instances, compartments, ports, endpoints) and
//!   returns a [`Plan`] that says which bodies must be inspected and with which rules.
//! * [`Guard`] is the only driver of body inspection: `feed(chunk)` any number of times,
//!   then `finish()` → [`Verdict`]. Its state has a fixed size (see [`Evaluator`]) and it
//!   never allocates while evaluating; the verdict does not depend on chunking.
//!
//! Everything that reaches a log is rendered from one table of strings in
//! `verdict.rs`, in misp-guard's own wording ([`RefusalLines`]).
//!
//! One public face: every type of the decision path is at the crate root; the two
//! layers usable on their own are modules ([`decode`]: bounded content decoding,
//! [`json`]: the streaming tokenizer), and every compile-time bound is in [`limits`].
//! Each item has exactly one path. `ARCHITECTURE.md` maps the source tree.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

mod escape;
mod fold;
mod guard;
mod policy;
mod request;
mod rules;
mod uuid;
mod verdict;

pub mod decode;
pub mod json;
pub mod limits;

pub use guard::Guard;
pub use policy::{
    BodyKind, Builder, ConfigError, ConfigErrorKind, EndpointList, Format, IgnoredKey, Inspection,
    Lint, LintKind, MinimalSearch, Policy, PolicyRef, RuleSetId, RuleSetSpec, Side,
};
pub use request::{
    AllowLine, Allowlisted, DestinationError, Endpoint, Header, Plan, RequestInfo, RequestVerdict,
    Url, ENDPOINTS,
};
pub use rules::{Evaluator, Progress};
pub use uuid::is_uuid;
pub use verdict::{
    write_escaped, Block, LogLine, Message, PreambleLine, Reason, RefusalLines, Verdict,
};
