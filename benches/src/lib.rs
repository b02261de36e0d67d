//! The benches' comparators, not part of the product: the strongest conventional
//! alternatives to the core ([`typed`]: `#[derive(Deserialize)]` structs with borrowed
//! strings through serde_json and sonic-rs, plus a memchr byte scan as the practical
//! speed limit), judged with the same rules as `misp_guard_testkit::reference`.
//!
//! The bodies come from `misp_guard_testkit::bodies`, the rules from
//! `misp_guard_testkit::setup::bench_config`; the criterion benches are in
//! `benches/evaluator.rs`.
#![deny(missing_docs)]

pub mod typed;
