//! How text taken from traffic or configuration reaches a log line: escaped, so that it
//! can never start a new line or forge one. Used by verdicts and configuration errors
//! alike, below both.

use core::fmt;

/// Writes `s` with every control character (and `\`) escaped as `\xNN`, so traffic
/// can never start a new log line or forge one.
pub fn write_escaped(f: &mut dyn fmt::Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        if c.is_control() || c == '\\' || c == '\u{2028}' || c == '\u{2029}' {
            let v = c as u32;
            if v <= 0xff {
                write!(f, "\\x{:02x}", v)?;
            } else {
                write!(f, "\\u{{{:x}}}", v)?;
            }
        } else {
            f.write_char(c)?;
        }
    }
    Ok(())
}
