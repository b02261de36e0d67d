//! The CLI's errors: every one of them exits with status 2.

use std::fmt;
use std::path::Path;

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

/// A path as error messages show it: as typed when it is printable UTF-8, else escaped
/// and quoted (`"a\\nb"`, `"\\xFF"`), so that every message stays one line and names
/// the exact file.
pub fn shown(path: &Path) -> String {
    match path.to_str() {
        Some(s) if !s.chars().any(char::is_control) => s.to_owned(),
        _ => format!("{path:?}"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn paths_are_shown_on_one_line_and_exactly() {
        assert_eq!(shown(Path::new("a b/c.json")), "a b/c.json");
        assert_eq!(shown(Path::new("a\nb")), "\"a\\nb\"");
        assert_eq!(shown(Path::new(OsStr::from_bytes(b"x\xffy"))), "\"x\\xFFy\"");
    }
}
