//! `misp-guard`: check a configuration, judge one request (and its bodies), or run the
//! conformance corpus.
//!
//! Exit codes carry the answer: 0 allow (or "config ok", "all scenarios passed"),
//! 1 block (or "some scenario failed"), 2 usage, configuration or I/O error. A closed
//! stdout (broken pipe) is not an error: the answer's exit code is kept.
//!
//! The CLI does I/O only. Every decision goes through [`decide::decide`], which drives
//! `misp_guard_core` (request policy, then `Guard` over each body read in chunks); the
//! `inspect` and `conformance` commands share it so the corpus proves what `inspect`
//! does.

// The workspace lints ask the no_std core to prefer `core::`/`alloc::`; this binary is
// std-only, where those paths are the same items.
#![allow(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

use std::process::ExitCode;

mod body;
mod check;
mod config;
mod conformance;
mod decide;
mod error;
mod flags;
mod inspect;
mod out;
mod record;

use error::CliError;
use flags::Command;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            // Nothing useful is left to do if stderr itself is gone.
            out::err_line(&err.to_string());
            ExitCode::from(2)
        }
    }
}

/// Parses the arguments (raw, then validated) and runs the command.
fn run() -> Result<ExitCode, CliError> {
    let low = flags::LowArgs::parse(std::env::args_os().skip(1))?;
    match flags::HiArgs::from_low(low)?.command {
        Command::Help(topic) => out::print_or_ignore_pipe(flags::help(topic), ExitCode::SUCCESS),
        Command::Version => {
            let v = concat!("misp-guard ", env!("CARGO_PKG_VERSION"), "\n");
            out::print_or_ignore_pipe(v, ExitCode::SUCCESS)
        }
        Command::Check { config, json } => check::run(&config, json),
        Command::Inspect(args) => inspect::run(&args),
        Command::Conformance { dir } => conformance::run(&dir),
    }
}
