//! Test-side oracles and generators. Independent of `misp-guard-core`, except the
//! configuration oracle, which builds with core's `Builder`:
//!
//! * [`reference`] — the naive reference evaluator (serde_json DOM + walk): misp-guard's
//!   rules as misp-guard applies them, the oracle of the core's property tests and the
//!   "naive way" in the benches;
//! * [`bodies`] — a deterministic, seedable generator of realistic MISP bodies (events
//!   from ~1 KiB to 100 MiB, indexes, shadow attributes, galaxy clusters, analyst data),
//!   with one planted violation on demand; [`setup`] — the configuration those plants
//!   violate;
//! * [`php`] — PHP 8.2's `json_decode`, array keys, `isset`/`empty`, loose `==`;
//! * [`receiver`] — the receiver model: for a request body, what MISP 2.5.1's
//!   receive path stores (tags, sharing groups, levels, types, categories, object
//!   names, reports, analyst data, galaxy clusters), each rule citing its PHP function;
//! * [`rules`] — misp-guard's rules applied to that stored result;
//! * [`gen`] — proptest generators of MISP-shaped bodies and the transformations the
//!   receiver treats as equal;
//! * [`config`] — serde_json's reading of a configuration, compiled by core's
//!   `Builder`: the oracle of core's loader (the only module that uses core).
//!
//! `docs/receiver-model.md` tables the model: MISP function → what it reads or
//! rewrites → the guard's check → test.
#![deny(missing_docs)]

pub mod bodies;
pub mod config;
pub mod describe;
pub mod gen;
pub mod php;
pub mod receiver;
pub mod reference;
pub mod rules;
pub mod setup;

pub use receiver::{receive, Endpoint, Stored};
pub use rules::{rule_sets, violations, Rule, RuleSet, Violation};
