//! The strict JSON scanner the loader's passes, the key check and the lints share:
//! syntax check, positions, unescaping (no recursion, no allocation).

use crate::limits::CONFIG_MAX_DEPTH as MAX_DEPTH;

/// 1-based line and column (in bytes, as serde_json counts) of byte `off`.
pub(crate) fn line_col(json: &[u8], off: usize) -> (u32, u32) {
    let off = off.min(json.len());
    let before = &json[..off];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (line as u32, (off - start + 1) as u32)
}

// --- scanner: strict syntax check and path lookup (no recursion, no allocation) --------

pub(crate) type ScanErr = (usize, &'static str);

pub(crate) struct Scan<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
}

impl<'a> Scan<'a> {
    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// A string starting at `"`; returns the content range.
    pub(crate) fn string(&mut self) -> Result<(usize, usize), ScanErr> {
        self.i += 1;
        let start = self.i;
        loop {
            let Some(c) = self.peek() else {
                return Err((self.i, "EOF while parsing a string"));
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok((start, self.i - 1));
                }
                0..=0x1f => {
                    return Err((
                        self.i,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            if (0xDC00..0xE000).contains(&hi) {
                                return Err((self.i, "lone trailing surrogate in hex escape"));
                            }
                            if (0xD800..0xDC00).contains(&hi) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err((self.i, "lone leading surrogate in hex escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err((self.i, "lone leading surrogate in hex escape"));
                                }
                            }
                        }
                        None => return Err((self.i, "EOF while parsing a string")),
                        Some(_) => return Err((self.i, "invalid escape")),
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ScanErr> {
        let mut v = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                None => return Err((self.i, "EOF while parsing a string")),
                Some(_) => return Err((self.i, "invalid escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    /// A number (RFC 8259 grammar); returns its range.
    pub(crate) fn number(&mut self) -> Result<(usize, usize), ScanErr> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err((self.i, "invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err((self.i, "invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err((self.i, "invalid number"));
            }
            self.digits();
        }
        // serde_json refuses what does not fit an f64: so do we, at its last digit
        let text = core::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        if text.parse::<f64>().is_ok_and(f64::is_infinite) {
            return Err((self.i - 1, "number out of range"));
        }
        Ok((start, self.i))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    /// `true`, `false` or `null`; an error at the first byte that differs.
    pub(crate) fn literal(&mut self) -> Result<(), ScanErr> {
        let lit: &[u8] = match self.peek() {
            Some(b't') => b"true",
            Some(b'f') => b"false",
            _ => b"null",
        };
        for &want in lit {
            match self.peek() {
                Some(c) if c == want => self.i += 1,
                None => return Err((self.i, "EOF while parsing a value")),
                Some(_) => return Err((self.i, "expected ident")),
            }
        }
        Ok(())
    }

    /// `"key" :` at the current position (after white space).
    pub(crate) fn key(&mut self) -> Result<(usize, usize), ScanErr> {
        self.ws();
        match self.peek() {
            Some(b'"') => {}
            None => return Err((self.i, "EOF while parsing an object")),
            Some(_) => return Err((self.i, "key must be a string")),
        }
        let k = self.string()?;
        self.ws();
        match self.peek() {
            Some(b':') => self.i += 1,
            None => return Err((self.i, "EOF while parsing an object")),
            Some(_) => return Err((self.i, "expected `:`")),
        }
        Ok(k)
    }

    /// Skips one value, checking its syntax; nesting up to [`MAX_DEPTH`], iteratively.
    pub(crate) fn value(&mut self) -> Result<(), ScanErr> {
        // Bit n set: level n is an object (else an array).
        let mut stack = [0u64; MAX_DEPTH / 64];
        let mut depth = 0usize;
        'value: loop {
            self.ws();
            match self.peek() {
                Some(b'{' | b'[') if depth == MAX_DEPTH => {
                    return Err((self.i, "recursion limit exceeded"))
                }
                Some(b'{') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                    } else {
                        stack[depth / 64] |= 1 << (depth % 64);
                        depth += 1;
                        self.key()?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    self.ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                    } else {
                        stack[depth / 64] &= !(1 << (depth % 64));
                        depth += 1;
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                Some(b't' | b'f' | b'n') => self.literal()?,
                None => return Err((self.i, "EOF while parsing a value")),
                Some(_) => return Err((self.i, "expected value")),
            }
            // After a value: close containers or go to the next member.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let obj = stack[(depth - 1) / 64] & (1 << ((depth - 1) % 64)) != 0;
                self.ws();
                match (obj, self.peek()) {
                    (true, Some(b'}')) | (false, Some(b']')) => {
                        self.i += 1;
                        depth -= 1;
                    }
                    (_, Some(b',')) => {
                        self.i += 1;
                        self.ws();
                        if matches!(self.peek(), Some(b'}' | b']')) {
                            return Err((self.i, "trailing comma"));
                        }
                        if obj {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    (true, None) => return Err((self.i, "EOF while parsing an object")),
                    (false, None) => return Err((self.i, "EOF while parsing a list")),
                    (true, Some(_)) => return Err((self.i, "expected `,` or `}`")),
                    (false, Some(_)) => return Err((self.i, "expected `,` or `]`")),
                }
            }
        }
    }
}

/// Checks that `json` is exactly one JSON value (RFC 8259) with white space around it.
pub(crate) fn scan_document(json: &[u8]) -> Result<(), ScanErr> {
    let mut s = Scan { b: json, i: 0 };
    s.value()?;
    s.ws();
    if s.i < json.len() {
        return Err((s.i, "trailing characters"));
    }
    Ok(())
}

/// Unescapes the JSON string content `raw` (already validated by the scan, surrogate
/// pairs included) piece by piece into `put`; `None` when `put` refuses.
pub(crate) fn unescape_into(raw: &str, mut put: impl FnMut(&str) -> Option<()>) -> Option<()> {
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        put(&rest[..i])?;
        let esc = rest.as_bytes().get(i + 1).copied()?;
        let hex = |s: &str, at: usize| -> Option<u32> {
            u32::from_str_radix(s.get(at..at + 4)?, 16).ok()
        };
        let (c, used) = match esc {
            b'u' => {
                let hi = hex(rest, i + 2)?;
                if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex(rest, i + 8)?;
                    (char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?, 12)
                } else {
                    (char::from_u32(hi)?, 6)
                }
            }
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            other => (char::from(other), 2),
        };
        put(c.encode_utf8(&mut [0; 4]))?;
        rest = rest.get(i + used..)?;
    }
    put(rest)
}

/// Unescapes `raw` into `out`; `None` when it does not fit.
pub(crate) fn unescape<'o>(raw: &[u8], out: &'o mut [u8]) -> Option<&'o str> {
    let raw = core::str::from_utf8(raw).ok()?;
    let mut n = 0;
    unescape_into(raw, |piece| {
        out.get_mut(n..n + piece.len())?.copy_from_slice(piece.as_bytes());
        n += piece.len();
        Some(())
    })?;
    core::str::from_utf8(&out[..n]).ok()
}
