//! The document as bytes: the syntax check (UTF-8, then the strict scan), the format
//! from the top-level keys, and the position a JSON path names (serde-json-core's
//! errors carry none).

use super::scan::{line_col, scan_document, unescape, Scan};
use crate::policy::{ConfigError, ConfigErrorKind, Format};

/// The syntax check, first: UTF-8, then a strict RFC 8259 scan (one message and
/// position per malformed file).
pub(super) fn check_syntax(json: &[u8]) -> Result<&str, ConfigError> {
    let text = match core::str::from_utf8(json) {
        Ok(t) => t,
        Err(e) => {
            return Err(at_offset(
                ConfigError::semantic(ConfigErrorKind::Syntax, "", "invalid UTF-8"),
                json,
                e.valid_up_to(),
            ))
        }
    };
    scan_document(json).map_err(|(mut off, msg)| {
        if off >= json.len() {
            // At the end of input: point at its last byte, as serde_json does.
            off = json.len().saturating_sub(1);
        }
        at_offset(ConfigError::semantic(ConfigErrorKind::Syntax, "", msg), json, off)
    })?;
    Ok(text)
}

/// Offset of the document's value (after leading white space).
pub(super) fn document_value(json: &[u8]) -> usize {
    let mut s = Scan { b: json, i: 0 };
    s.ws();
    s.i
}

/// Offset of the value of the object member whose key starts at `key_at`.
pub(super) fn member_value(json: &[u8], key_at: usize) -> usize {
    let mut s = Scan { b: json, i: key_at };
    let _ = s.key();
    s.ws();
    s.i
}

/// Offset of the next element of an array: `at` is the array's `[` (`first`) or the
/// previous element. The document is valid JSON (scanned first).
pub(super) fn next_element(json: &[u8], at: usize, first: bool) -> usize {
    let mut s = Scan { b: json, i: at };
    if first {
        s.i += 1;
    } else {
        let _ = s.value();
        s.ws();
        if s.peek() == Some(b',') {
            s.i += 1;
        }
    }
    s.ws();
    s.i
}

/// Gives `e` the position of byte `off`.
pub(super) fn at_offset(e: ConfigError, json: &[u8], off: usize) -> ConfigError {
    let (l, c) = line_col(json, off);
    e.at(l, c)
}

/// Gives a semantic error (path set, no position yet) the position its path names:
/// the member's key for an object member, else the value.
pub(super) fn locate(e: ConfigError, json: &[u8]) -> ConfigError {
    match position_of_path(json, &e.path) {
        Some(off) => at_offset(e, json, off),
        None => e.at(1, 1),
    }
}

/// The byte offset that `path` (`instances.x.ip`, `block_rules[0].id`,
/// `compartments_rules.can_reach.c[2]`; empty: the document) names in `json`: the
/// key of an object member, or the value of an array element / the document.
///
/// Keys are compared after unescaping; keys containing `.` or `[` are found too (each
/// candidate split is tried). The first occurrence wins (duplicates are refused by the
/// loaders anyway). `None` when the path does not resolve or `json` is malformed.
pub(crate) fn position_of_path(json: &[u8], path: &str) -> Option<usize> {
    position_of_nth(json, path, 0)
}

/// Like [`position_of_path`], for the `nth` (0-based) occurrence of the last key (a
/// duplicate key is reported at its second occurrence).
pub(super) fn position_of_nth(json: &[u8], path: &str, nth: usize) -> Option<usize> {
    let path = path.strip_prefix('.').unwrap_or(path);
    let mut s = Scan { b: json, i: 0 };
    s.ws();
    find(json, s.i, path, 0, &mut { nth })
}

pub(super) fn find(
    json: &[u8],
    at: usize,
    rest: &str,
    depth: usize,
    skip: &mut usize,
) -> Option<usize> {
    if rest.is_empty() {
        return Some(at);
    }
    if depth > 32 {
        return None;
    }
    let mut s = Scan { b: json, i: at };
    s.ws();
    match s.peek()? {
        // An object: `rest` starts with a key (which may itself contain `[` or `.`).
        b'{' => {
            s.i += 1;
            s.ws();
            if s.peek() == Some(b'}') {
                return None;
            }
            loop {
                s.ws();
                let key_at = s.i;
                let (ks, ke) = s.key().ok()?;
                let mut buf = [0u8; 256];
                let key = unescape(&json[ks..ke], &mut buf);
                s.ws();
                let value_at = s.i;
                if let Some(k) = key {
                    if let Some(after) = rest.strip_prefix(k) {
                        if after.is_empty() {
                            if *skip == 0 {
                                return Some(key_at);
                            }
                            *skip -= 1;
                        }
                        let next = match after.as_bytes().first() {
                            Some(b'.') => Some(&after[1..]),
                            Some(b'[') => Some(after),
                            _ => None,
                        };
                        if let Some(r) = next.filter(|r| !r.is_empty()) {
                            if let Some(p) = find(json, value_at, r, depth + 1, skip) {
                                return Some(p);
                            }
                        }
                    }
                }
                s.value().ok()?;
                s.ws();
                match s.peek()? {
                    b',' => s.i += 1,
                    _ => return None,
                }
            }
        }
        b'[' => {
            let close = rest.find(']')?;
            let idx: usize = rest.get(1..close)?.parse().ok()?;
            let after = &rest[close + 1..];
            let after = after.strip_prefix('.').unwrap_or(after);
            s.i += 1;
            for n in 0.. {
                s.ws();
                if s.peek()? == b']' {
                    return None;
                }
                if n == idx {
                    return find(json, s.i, after, depth + 1, skip);
                }
                s.value().ok()?;
                s.ws();
                match s.peek()? {
                    b',' => s.i += 1,
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}

/// Tells the formats apart: a top-level `block_rules` or
/// `proxy` key means legacy. The document is known to be valid JSON.
pub(super) fn detect_format(json: &[u8]) -> Result<Format, ConfigError> {
    let mut s = Scan { b: json, i: 0 };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err(ConfigError::semantic(
            ConfigErrorKind::WrongType,
            "",
            "configuration must be a JSON object",
        )
        .at(1, 1));
    }
    s.i += 1;
    s.ws();
    if s.peek() == Some(b'}') {
        return Ok(Format::Current);
    }
    loop {
        let (ks, ke) = s.key().map_err(|_| syntax())?;
        let mut buf = [0u8; 16];
        if let Some("block_rules" | "proxy") = unescape(&json[ks..ke], &mut buf) {
            return Ok(Format::Legacy);
        }
        s.value().map_err(|_| syntax())?;
        s.ws();
        if s.peek() != Some(b',') {
            return Ok(Format::Current);
        }
        s.i += 1;
    }
}

pub(super) fn syntax() -> ConfigError {
    ConfigError::semantic(ConfigErrorKind::Syntax, "", "malformed JSON").at(1, 1)
}
