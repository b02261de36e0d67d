//! Configuration errors: what, where (line:column) and at which JSON path.

use core::fmt;

/// What kind of configuration error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The configuration could not be read. The core does no I/O: only a `std` loader
    /// reading from a reader reports it (a frontend that reads the file itself reports
    /// its own I/O error). Kept so the kinds stay one list across loaders.
    Io,
    /// Not JSON.
    Syntax,
    /// A required field is absent.
    MissingField,
    /// A field the format does not have.
    UnknownField,
    /// A value of the wrong type.
    WrongType,
    /// A value that is not allowed (duplicate instance ip, unknown compartment, …).
    Invalid,
    /// Over a documented capacity (see [`crate::limits`]).
    Capacity,
}

/// A configuration error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// What went wrong.
    pub kind: ConfigErrorKind,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// JSON path of the offending value (`instances.instance_1_1.ip`), may be empty.
    pub path: heapless::String<160>,
    /// Human-readable message.
    pub message: heapless::String<200>,
}

impl ConfigError {
    /// An error without a position yet (the loader adds line:column).
    pub fn semantic(kind: ConfigErrorKind, path: &str, message: &str) -> Self {
        let mut e = ConfigError {
            kind,
            line: 0,
            column: 0,
            path: heapless::String::new(),
            message: heapless::String::new(),
        };
        push_cut(&mut e.path, path);
        push_cut_marked(&mut e.message, message);
        e
    }

    /// Sets line and column.
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

pub(crate) fn push_cut<const N: usize>(s: &mut heapless::String<N>, v: &str) {
    for c in v.chars() {
        if s.push(c).is_err() {
            break;
        }
    }
}

/// Like [`push_cut`], ending with `…` when `v` does not fit, so that a cut message
/// never reads as whole.
pub(crate) fn push_cut_marked<const N: usize>(s: &mut heapless::String<N>, v: &str) {
    if v.len() <= N {
        let _ = s.push_str(v);
        return;
    }
    let room = N - '…'.len_utf8();
    for c in v.chars() {
        if s.len() + c.len_utf8() > room {
            break;
        }
        let _ = s.push(c);
    }
    let _ = s.push('…');
}

// `core::error::Error` needs Rust 1.81; the workspace's rust-version is 1.80.
#[cfg(feature = "std")]
impl std::error::Error for ConfigError {}

impl fmt::Display for ConfigError {
    /// `LINE:COL: message (at PATH)`; a front end prefixes the file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // keys from the file are in the message and the path: escape control
        // characters so that an error is always one line
        write!(f, "{}:{}: ", self.line, self.column)?;
        crate::escape::write_escaped(f, &self.message)?;
        if !self.path.is_empty() {
            f.write_str(" (at ")?;
            crate::escape::write_escaped(f, &self.path)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn is_an_error_with_its_display() {
        let e =
            ConfigError::semantic(ConfigErrorKind::Invalid, "instances.a.ip", "bad ip").at(3, 7);
        let boxed: std::boxed::Box<dyn std::error::Error> = std::boxed::Box::new(e.clone());
        assert_eq!(std::format!("{boxed}"), "3:7: bad ip (at instances.a.ip)");
        assert!(boxed.source().is_none());
    }
}
