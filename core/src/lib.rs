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
//! [`verdict`], in misp-guard's own wording.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

mod escape;
pub mod fold;
pub mod json;
pub mod policy;
mod request;
pub mod rules;
mod uuid;
pub mod verdict;

pub mod decode;

mod guard;

pub use guard::{Guard, Progress};
pub use policy::{
    BodyKind, ConfigError, EndpointList, Format, Inspection, Plan, Policy, RequestInfo,
    RequestVerdict, RuleSetId, Side,
};
pub use rules::Evaluator;
pub use verdict::{Block, Reason, Verdict};
