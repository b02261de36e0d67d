//! Test-side oracle of what a receiving MISP stores (issue #11), independent of
//! `misp-guard-core`:
//!
//! * [`php`] — PHP 8.2's `json_decode`, array keys, `isset`/`empty`, loose `==`;
//! * [`receiver`] — the receiver model: for a request body, what MISP 2.5.1's
//!   receive path stores (tags, sharing groups, levels, types, categories, object
//!   names, reports, analyst data, galaxy clusters), each rule citing its PHP function;
//! * [`rules`] — misp-guard's rules applied to that stored result;
//! * [`gen`] — proptest generators of MISP-shaped bodies and the transformations the
//!   receiver treats as equal.
//!
//! `docs/receiver-model.md` tables the model: MISP function → what it reads or
//! rewrites → the guard's check → test.
#![deny(missing_docs)]

pub mod describe;
pub mod gen;
pub mod php;
pub mod receiver;
pub mod rules;

pub use receiver::{receive, Endpoint, Stored};
pub use rules::{rule_sets, violations, Rule, RuleSet, Violation};
