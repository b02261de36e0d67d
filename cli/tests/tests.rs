//! Integration tests: every test spawns the real `misp-guard` binary.
//!
//! Layout follows ripgrep's `tests/`: a harness macro ([`mgtest!`]) in `macros.rs`, the
//! command/temp-dir helpers in `util.rs`, one file per command. The conformance corpus
//! is read in place from `../shared/conformance` (or `$MISP_GUARD_CONFORMANCE`), never
//! copied.
#![allow(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

#[macro_use]
mod macros;
mod util;

mod bounds;
mod check;
mod conformance;
mod example;
mod inspect;
mod sync_calls;
