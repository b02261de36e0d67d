//! The no-alloc loader: serde-json-core into fixed-capacity tables.
//! (Filled in by the config work; see the issue.)
