//! PHP 8.2 semantics the receiver model needs, written from the PHP manual (not from
//! MISP): `json_decode($body, true)` into ordered PHP arrays, array-key normalisation
//! (`"0"` becomes the integer key `0`), `isset`, `empty`, loose `==` against an integer,
//! numeric strings, `(string)` casts and `mb_strtolower`.
//!
//! Everything MISP receives is a PHP array after `json_decode(..., true)`: a JSON object
//! and a JSON list are the same thing to it (`{"0": x}` is `[x]`), and a key that a later
//! duplicate repeats keeps its first position with the last value.

use std::fmt;

/// A PHP array key: decimal integer strings become integers (`"0"`, `"12"`, `"-3"`;
/// not `"012"`, `"+1"`, `"1.0"`, `" 1"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// Integer key.
    Int(i64),
    /// String key.
    Str(String),
}

impl Key {
    /// PHP's key normalisation of a string.
    pub fn parse(s: &str) -> Key {
        let b = s.as_bytes();
        let digits = if b.first() == Some(&b'-') { &b[1..] } else { b };
        let canonical = !digits.is_empty()
            && digits.iter().all(u8::is_ascii_digit)
            && (digits[0] != b'0' || digits.len() == 1)
            && s != "-0";
        if canonical {
            if let Ok(i) = s.parse::<i64>() {
                return Key::Int(i);
            }
        }
        Key::Str(s.to_string())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "{i}"),
            Key::Str(s) => f.write_str(s),
        }
    }
}

/// A PHP value as `json_decode($body, true)` produces it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON integer that fits in 64 bits.
    Int(i64),
    /// A JSON number with a fraction or exponent, or an integer beyond 64 bits.
    Float(f64),
    /// A string.
    Str(String),
    /// An ordered array (JSON object or list).
    Arr(Array),
}

/// An ordered PHP array.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Array(pub Vec<(Key, Value)>);

impl Array {
    /// `$a[$k]` (no notice: `None` when absent).
    pub fn get(&self, k: &Key) -> Option<&Value> {
        self.0.iter().find(|(x, _)| x == k).map(|(_, v)| v)
    }
    /// Sets `$a[$k] = $v`, keeping the position of an existing key.
    pub fn set(&mut self, k: Key, v: Value) {
        match self.0.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => self.0.push((k, v)),
        }
    }
    /// `unset($a[$k])`.
    pub fn unset(&mut self, k: &Key) {
        self.0.retain(|(x, _)| x != k);
    }
    /// `foreach ($a as $v)`.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }
    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// `count($a) == 0`.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Value {
    /// `$v[$k]` with a string key (normalised), on arrays only.
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.arr()?.get(&Key::parse(k))
    }
    /// `$v[$i]`.
    pub fn get_int(&self, i: i64) -> Option<&Value> {
        self.arr()?.get(&Key::Int(i))
    }
    /// `isset($v[$k])`: present and not `null`. (PHP also answers for string offsets;
    /// MISP's receive path only asks arrays for non-numeric keys, where strings say no.)
    pub fn isset(&self, k: &str) -> bool {
        !matches!(self.get(k), None | Some(Value::Null))
    }
    /// The array, if this is one.
    pub fn arr(&self) -> Option<&Array> {
        match self {
            Value::Arr(a) => Some(a),
            _ => None,
        }
    }
    /// `empty($v)`.
    pub fn empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Int(i) => *i == 0,
            Value::Float(f) => *f == 0.0,
            Value::Str(s) => s.is_empty() || s == "0",
            Value::Arr(a) => a.is_empty(),
        }
    }
    /// `empty($v[$k])`.
    pub fn empty_at(&self, k: &str) -> bool {
        self.get(k).map_or(true, Value::empty)
    }
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// PHP 8 `$v == $n` for an integer `$n`.
    pub fn loose_eq_int(&self, n: i64) -> bool {
        match self {
            Value::Null => n == 0,
            Value::Bool(b) => *b == (n != 0),
            Value::Int(i) => *i == n,
            Value::Float(f) => *f == n as f64,
            // a numeric string compares as a number, any other string as strings
            Value::Str(s) => match numeric_string(s) {
                Some(x) => x == n as f64,
                None => *s == n.to_string(),
            },
            Value::Arr(_) => false,
        }
    }

    /// `(string)$v` for scalars (`None` for arrays: "Array" with a warning).
    pub fn to_php_string(&self) -> Option<String> {
        Some(match self {
            Value::Null => String::new(),
            Value::Bool(true) => "1".into(),
            Value::Bool(false) => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => php_float_string(*f),
            Value::Str(s) => s.clone(),
            Value::Arr(_) => return None,
        })
    }

    /// The integer MySQL stores for this value in an integer column (`tinyint`), as
    /// CakePHP hands it over: integral numbers and numeric strings with an integral
    /// value; `true` is 1. `None`: not an integer the column takes.
    pub fn as_column_int(&self) -> Option<i64> {
        let f = match self {
            Value::Bool(b) => return Some(*b as i64),
            Value::Int(i) => return Some(*i),
            Value::Float(f) => *f,
            Value::Str(s) => numeric_string(s)?,
            _ => return None,
        };
        (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
    }
}

/// PHP's `(string)` of a float (precision 17, shortest round-trip; `4.0` is `"4"`).
pub fn php_float_string(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// PHP 8 numeric string: optional leading and trailing white space (" \t\n\r\v\f"),
/// a sign, digits with an optional fraction, an optional exponent. Its value.
pub fn numeric_string(s: &str) -> Option<f64> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c');
    let t = s.trim_start_matches(ws).trim_end_matches(ws);
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let e = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > e {
            i = j;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// `mb_strtolower` (full Unicode lower-casing).
pub fn mb_strtolower(s: &str) -> String {
    s.to_lowercase()
}

/// Why a body is not JSON to PHP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

/// `json_decode($body, true)` (depth 512): `Err` where PHP returns `null` with an error.
pub fn json_decode(body: &[u8]) -> Result<Value, DecodeError> {
    let s = core::str::from_utf8(body).map_err(|_| DecodeError("malformed UTF-8"))?;
    let mut p = Parser { b: s.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.b.len() {
        return Err(DecodeError("syntax error"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), DecodeError> {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(DecodeError("syntax error"))
        }
    }
    fn lit(&mut self, l: &str, v: Value) -> Result<Value, DecodeError> {
        if self.b[self.i..].starts_with(l.as_bytes()) {
            self.i += l.len();
            Ok(v)
        } else {
            Err(DecodeError("syntax error"))
        }
    }
    fn value(&mut self) -> Result<Value, DecodeError> {
        match self.b.get(self.i) {
            Some(b'{') => self.container(b'}', true),
            Some(b'[') => self.container(b']', false),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'n') => self.lit("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(DecodeError("syntax error")),
        }
    }
    fn container(&mut self, close: u8, object: bool) -> Result<Value, DecodeError> {
        self.depth += 1;
        if self.depth > 511 {
            return Err(DecodeError("maximum stack depth exceeded"));
        }
        self.i += 1;
        let mut a = Array::default();
        self.ws();
        if self.b.get(self.i) == Some(&close) {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::Arr(a));
        }
        let mut n = 0i64;
        loop {
            self.ws();
            let k = if object {
                let k = self.string()?;
                self.ws();
                self.eat(b':')?;
                self.ws();
                Key::parse(&k)
            } else {
                n += 1;
                Key::Int(n - 1)
            };
            let v = self.value()?;
            a.set(k, v);
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(c) if *c == close => {
                    self.i += 1;
                    break;
                }
                _ => return Err(DecodeError("syntax error")),
            }
        }
        self.depth -= 1;
        Ok(Value::Arr(a))
    }
    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let h = self.b.get(self.i..self.i + 4).ok_or(DecodeError("syntax error"))?;
        let s = core::str::from_utf8(h).map_err(|_| DecodeError("syntax error"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| DecodeError("syntax error"))?;
        self.i += 4;
        Ok(v)
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            out.push_str(core::str::from_utf8(&self.b[start..self.i]).unwrap());
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self.b.get(self.i).ok_or(DecodeError("syntax error"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\x08'),
                        b'f' => out.push('\x0c'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let u = self.hex4()?;
                            let c = if (0xd800..0xdc00).contains(&u) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(DecodeError("single unpaired UTF-16 surrogate"));
                                }
                                self.i += 2;
                                let l = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&l) {
                                    return Err(DecodeError("single unpaired UTF-16 surrogate"));
                                }
                                0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00)
                            } else if (0xdc00..0xe000).contains(&u) {
                                return Err(DecodeError("single unpaired UTF-16 surrogate"));
                            } else {
                                u
                            };
                            out.push(char::from_u32(c).ok_or(DecodeError("syntax error"))?);
                        }
                        _ => return Err(DecodeError("syntax error")),
                    }
                }
                _ => return Err(DecodeError("control character error")),
            }
        }
    }
    fn number(&mut self) -> Result<Value, DecodeError> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let d = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i == d || (self.b[d] == b'0' && self.i - d > 1) {
            return Err(DecodeError("syntax error"));
        }
        let mut float = false;
        if self.b.get(self.i) == Some(&b'.') {
            float = true;
            self.i += 1;
            let f = self.i;
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == f {
                return Err(DecodeError("syntax error"));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let e = self.i;
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            if self.i == e {
                return Err(DecodeError("syntax error"));
            }
        }
        let t = core::str::from_utf8(&self.b[start..self.i]).unwrap();
        if !float {
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        Ok(Value::Float(t.parse::<f64>().map_err(|_| DecodeError("syntax error"))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_like_php() {
        assert_eq!(Key::parse("0"), Key::Int(0));
        assert_eq!(Key::parse("-3"), Key::Int(-3));
        for s in ["00", "+1", "1.0", " 1", "-0", ""] {
            assert_eq!(Key::parse(s), Key::Str(s.into()), "{s:?}");
        }
    }

    #[test]
    fn objects_and_lists_are_arrays() {
        let a = json_decode(br#"{"0":{"uuid":"x"},"uuid":"y"}"#).unwrap();
        assert_eq!(a.get_int(0).and_then(|v| v.get("uuid")), Some(&Value::Str("x".into())));
        let d = json_decode(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(d.arr().unwrap().0[0], (Key::Str("a".into()), Value::Int(3)));
        assert_eq!(d.arr().unwrap().len(), 2);
    }

    #[test]
    fn loose_comparison() {
        for v in [Value::Int(4), Value::Float(4.0), Value::Str("04".into()), Value::Bool(true)] {
            assert!(v.loose_eq_int(4), "{v:?}");
        }
        assert!(Value::Str(" 4 ".into()).loose_eq_int(4));
        assert!(!Value::Str("4x".into()).loose_eq_int(4));
        assert!(!Value::Null.loose_eq_int(4));
        assert_eq!(Value::Float(4.0).to_php_string().unwrap(), "4");
        assert!(json_decode(br#""\ud800""#).is_err());
    }
}
