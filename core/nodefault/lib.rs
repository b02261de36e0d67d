//! Nothing here: see `tests/`.
#![no_std]
