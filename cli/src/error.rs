//! The CLI's errors: every one of them exits with status 2.

use std::fmt;

use crate::config::LoadError;

/// Why the command could not give an answer.
#[derive(Debug)]
pub enum CliError {
    /// Bad command line (message says what and how to fix it).
    Usage(String),
    /// The configuration could not be loaded.
    Config(LoadError),
    /// Reading an input or writing an output failed.
    Io(String),
}

impl CliError {
    /// A usage error with a hint to `--help`.
    pub fn usage(msg: impl Into<String>) -> Self {
        CliError::Usage(msg.into())
    }

    /// An I/O error with what was being done.
    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> Self {
        CliError::Io(format!("{what}: {err}"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "error: {m}\n(see `misp-guard --help`)"),
            CliError::Config(e) => e.fmt(f),
            CliError::Io(m) => write!(f, "error: {m}"),
        }
    }
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> Self {
        CliError::Config(e)
    }
}
