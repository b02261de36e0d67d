//! Streaming JSON tokenizer: bytes → events for a [`Sink`]; knows nothing about rules.
//!
//! Contract: call [`Tokenizer::feed`] with each chunk as it arrives (any split, down to
//! one byte), then [`Tokenizer::finish`]. State carries over between chunks; nothing
//! is re-scanned, nothing is allocated. The grammar is RFC 8259, strictly: invalid
//! UTF-8, unescaped control characters, unpaired `\u` surrogates, leading zeros,
//! trailing commas, trailing data and nesting deeper than [`MAX_DEPTH`] are errors,
//! and the first error is sticky.
//!
//! The sink decides, at the start of each value, whether it wants it
//! ([`Sink::value_start`] → `true`). A value it does not want is still fully validated
//! but produces no further events (its strings are skipped with `memchr`).
//! Two hints spare the sink most calls on members it does not read: after a key,
//! [`Sink::member_wanted`] (`false`: the value is skipped without `value_start`), and
//! per object, [`Sink::key_filter`] (keys in clear [`key_hash`] slots are not even
//! delivered). Both are tokenizer state, so they hold across chunk boundaries.
//!
//! Bounded state: the container stack is a bit set of [`MAX_DEPTH`] bits, keys are
//! decoded into a [`KEY_CAP`]-byte buffer (longer keys are reported as `None`: no key
//! the rules read is that long), numbers into a [`NUM_CAP`]-byte buffer.

mod scan;
// The one module with `unsafe` (SIMD intrinsics), each block with a SAFETY note.
// `misp_guard_disable_simd` (RUSTFLAGS="--cfg misp_guard_disable_simd", declared in the
// workspace lints) forces the portable scan.
#[allow(unsafe_code)]
mod simd;

use crate::limits::{KEY_CAP, MAX_DEPTH, NUM_CAP};
use crate::verdict::Reason;

/// The type of a value, announced at its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// A number.
    Number,
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
}

/// The end of a scalar the sink wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar<'a> {
    /// A string (its content came through [`Sink::str_part`]).
    String,
    /// A number's text; `None` when longer than [`NUM_CAP`].
    Number(Option<&'a str>),
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
}

/// Receives tokenizer events.
pub trait Sink {
    /// A value starts (object member value, array item or the root). Return `true` to
    /// receive its content (and, for containers, the events inside it).
    fn value_start(&mut self, t: ValueType) -> bool;
    /// A key of a wanted object: decoded, valid UTF-8; `None` when longer than
    /// [`KEY_CAP`].
    fn key(&mut self, key: Option<&[u8]>);
    /// Asked right after [`Sink::key`]: `false` promises that [`Sink::value_start`]
    /// would answer `false`, without effect, for the value of that key, so the
    /// tokenizer skips the call (and validates the value without a word to the sink).
    #[inline]
    fn member_wanted(&self) -> bool {
        true
    }
    /// Asked when a wanted object starts and after a wanted container ends (then about
    /// the object around it): a mask of [`key_hash`] slots. A clear bit promises that
    /// any key of 1 to [`KEY_CAP`] bytes hashing there would be ignored by
    /// [`Sink::key`] and its value refused by [`Sink::value_start`], without effect;
    /// the tokenizer may then neither deliver such a key nor announce its value (both
    /// are still validated): it does so for keys it reads whole in one chunk without
    /// escapes; others are delivered as usual. All ones (the default): every key is
    /// delivered.
    #[inline]
    fn key_filter(&self) -> u128 {
        u128::MAX
    }
    /// Decoded content of a wanted string value, in pieces of whole characters
    /// (each piece is valid UTF-8).
    fn str_part(&mut self, s: &[u8]);
    /// A wanted scalar ended.
    fn scalar_end(&mut self, s: Scalar<'_>);
    /// A wanted container ended.
    fn container_end(&mut self);
}

/// A [`Sink::key_filter`] mask as two words (low, high).
#[inline]
fn split_filter(f: u128) -> [u64; 2] {
    [f as u64, (f >> 64) as u64]
}

/// Whether slot `slot` (0 to 127) is set in a split mask.
#[inline]
fn filter_has(f: [u64; 2], slot: u32) -> bool {
    f[(slot >> 6) as usize & 1] & (1u64 << (slot & 63)) != 0
}

/// The slot (0 to 127) of a non-empty key in a [`Sink::key_filter`] mask: its first
/// byte, last byte and length, multiplied and shifted (the multiplier was searched so
/// that the names the rules read land in distinct slots; `rules::schema` checks that at
/// compile time).
#[inline]
pub const fn key_hash(k: &[u8]) -> u32 {
    let x = (k[0] as u32) << 16 | (k[k.len() - 1] as u32) << 8 | (k.len() as u32 & 0xff);
    x.wrapping_mul(0x36ee_f59b) >> 25
}

/// A tokenizer error: the reason, what was wrong, and the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// [`Reason::InvalidJson`], [`Reason::InvalidUtf8`], [`Reason::LoneSurrogate`],
    /// [`Reason::TrailingData`] or [`Reason::TooDeep`].
    pub reason: Reason,
    /// What was expected or found.
    pub what: &'static str,
    /// Offset of the offending byte in the (decoded) body.
    pub offset: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the root value.
    Start,
    /// A value must follow (after `:` or `,` in an array).
    Value,
    /// After `[`: a value or `]`.
    ArrayFirst,
    /// After `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value: `,`, a closing bracket, or the end.
    After,
    /// Inside a string.
    Str,
    /// After `\` in a string.
    Esc,
    /// In `\uXXXX`, `n` hex digits read so far.
    Uni(u8),
    /// After a high surrogate: expecting `\`.
    LowEsc,
    /// After a high surrogate and `\`: expecting `u`.
    LowU,
    /// Inside a number.
    Number(Num),
    /// Inside `true`/`false`/`null`: which literal, bytes matched so far.
    Lit(u8, u8),
    /// The root value is complete: only white space may follow.
    Done,
    /// An error happened (sticky).
    Failed,
}

const LITERALS: [&[u8]; 3] = [b"true", b"false", b"null"];

/// The streaming tokenizer. See the module docs.
#[derive(Clone, Debug)]
pub struct Tokenizer {
    state: State,
    depth: u16,
    /// Bit set: 1 = object, 0 = array, one bit per open container.
    stack: [u64; MAX_DEPTH / 64],
    /// The innermost open container is an object (its bit in `stack`, kept at hand
    /// for every `,`; false at depth 0).
    in_object: bool,
    /// Depth at which quiet (unwanted) content ends; `u16::MAX` when loud.
    quiet_at: u16,
    /// The current string/number is unwanted.
    quiet_scalar: bool,
    /// The current string is a key.
    in_key: bool,
    /// The sink said it does not want the value of the key just read
    /// ([`Sink::member_wanted`]): the next value is quiet without asking.
    skip_member: bool,
    /// The current object's [`Sink::key_filter`], as two words: a `u128` field would
    /// raise the evaluator's alignment to 16, which C callers placing it in their own
    /// memory (`misp_guard_evaluator_init`) should not have to meet.
    filter: [u64; 2],
    key: [u8; KEY_CAP],
    key_len: u8,
    key_over: bool,
    num: [u8; NUM_CAP],
    num_len: u8,
    num_over: bool,
    /// Pending bytes of a UTF-8 sequence split across chunks.
    utf8: [u8; 4],
    utf8_len: u8,
    utf8_need: u8,
    /// Offset of the pending sequence's first byte.
    utf8_start: u64,
    /// `\u` accumulator and a pending high surrogate.
    uni: u32,
    high: u32,
    offset: u64,
    error: Option<SyntaxError>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Index of the first non-white-space byte at or after `i` (or `data.len()`).
#[inline]
fn skip_ws(data: &[u8], mut i: usize) -> usize {
    if i < data.len() && !is_ws(data[i]) {
        return i;
    }
    while i < data.len() {
        match data[i] {
            // pretty-printed bodies: a newline, then an indent of spaces
            b'\n' => i = 1 + i + scan::spaces_len(&data[i + 1..]),
            b' ' | b'\t' | b'\r' => i += 1,
            _ => break,
        }
    }
    i
}

/// The literal `true`, `false` or `null` wholly at the start of `s`: its index in
/// [`LITERALS`] and length. Four-byte compares, not a `memcmp` call: MISP bodies hold
/// tens of thousands of them.
#[inline(always)]
fn whole_literal(s: &[u8]) -> Option<(usize, usize)> {
    match s.first_chunk::<4>()? {
        b"true" => Some((0, 4)),
        b"null" => Some((2, 4)),
        b"fals" if s.get(4) == Some(&b'e') => Some((1, 5)),
        _ => None,
    }
}

/// A valid escape wholly at the start of `s` (`s[0]` is the backslash): the
/// character and the escape's length; a `\\u` high surrogate only with its low one
/// right after. `None` for anything else (an escape cut by the chunk's end, a bad
/// escape, a lone or unpaired surrogate), which the byte-at-a-time escape states
/// then handle, errors and offsets included.
#[inline]
fn whole_escape(s: &[u8]) -> Option<(char, usize)> {
    let hex4 = |h: Option<&[u8]>| -> Option<u32> {
        let mut u = 0u32;
        for &c in h? {
            u = u << 4
                | match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    b'A'..=b'F' => c - b'A' + 10,
                    _ => return None,
                } as u32;
        }
        Some(u)
    };
    let c = match *s.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let u = hex4(s.get(2..6))?;
            if (0xD800..=0xDBFF).contains(&u) {
                if s.get(6..8)? != b"\\u" {
                    return None;
                }
                let low = hex4(s.get(8..12))?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(u)?, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

fn utf8_len(lead: u8) -> u8 {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

impl Tokenizer {
    /// A tokenizer before the first byte.
    pub const fn new() -> Self {
        Tokenizer {
            state: State::Start,
            depth: 0,
            stack: [0; MAX_DEPTH / 64],
            in_object: false,
            quiet_at: u16::MAX,
            quiet_scalar: false,
            in_key: false,
            skip_member: false,
            filter: [u64::MAX; 2],
            key: [0; KEY_CAP],
            key_len: 0,
            key_over: false,
            num: [0; NUM_CAP],
            num_len: 0,
            num_over: false,
            utf8: [0; 4],
            utf8_len: 0,
            utf8_need: 0,
            utf8_start: 0,
            uni: 0,
            high: 0,
            offset: 0,
            error: None,
        }
    }

    /// The first error, if any.
    pub fn error(&self) -> Option<SyntaxError> {
        self.error
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    #[inline]
    fn between_tokens(&self) -> bool {
        matches!(
            self.state,
            State::Start
                | State::Value
                | State::ArrayFirst
                | State::ObjectFirst
                | State::Key
                | State::Colon
                | State::After
                | State::Done
        )
    }

    #[inline]
    fn loud(&self) -> bool {
        self.quiet_at == u16::MAX
    }

    fn fail(&mut self, reason: Reason, what: &'static str, at: usize) {
        self.fail_at(reason, what, self.offset + at as u64);
    }

    fn fail_at(&mut self, reason: Reason, what: &'static str, offset: u64) {
        if self.error.is_none() {
            self.error = Some(SyntaxError { reason, what, offset });
        }
        self.state = State::Failed;
    }

    fn top_is_object(&self) -> bool {
        let d = self.depth as usize - 1;
        self.stack[d / 64] & (1 << (d % 64)) != 0
    }

    /// Feeds the next chunk. Errors are recorded (see [`Tokenizer::error`]).
    pub fn feed<S: Sink>(&mut self, data: &[u8], sink: &mut S) {
        let mut i = 0;
        let n = data.len();
        while i < n {
            match self.state {
                State::Failed => return,
                State::Str => {
                    i = self.string_run(data, i, sink);
                    continue;
                }
                State::Start
                | State::Value
                | State::ArrayFirst
                | State::ObjectFirst
                | State::Key
                | State::Colon
                | State::After => {
                    let j = self.structural(data, i, sink);
                    if j != i {
                        i = j;
                        continue;
                    }
                    // the byte needs the general path (an error, most likely)
                }
                _ => {}
            }
            let b = data[i];
            if is_ws(b) && self.between_tokens() {
                i += 1;
                while i < n && is_ws(data[i]) {
                    i += 1;
                }
                continue;
            }
            match self.state {
                State::ObjectFirst | State::Key if b == b'"' => {
                    if let Some(next) = self.plain_key(data, i, sink) {
                        i = next;
                        continue;
                    }
                    self.in_key = true;
                    self.key_len = 0;
                    self.key_over = false;
                    self.state = State::Str;
                    i += 1;
                }
                State::Start | State::Value | State::ArrayFirst => {
                    if is_ws(b) {
                        i += 1;
                        continue;
                    }
                    if b == b']' && self.state == State::ArrayFirst {
                        self.close(b'[', sink, i);
                        i += 1;
                        continue;
                    }
                    self.begin_value(b, sink, i);
                    i += 1;
                }
                State::ObjectFirst | State::Key => {
                    if is_ws(b) {
                        i += 1;
                        continue;
                    }
                    if b == b'}' && self.state == State::ObjectFirst {
                        self.close(b'{', sink, i);
                    } else if b == b'"' {
                        self.in_key = true;
                        self.key_len = 0;
                        self.key_over = false;
                        self.state = State::Str;
                    } else {
                        self.fail(Reason::InvalidJson, "expected a key", i);
                    }
                    i += 1;
                }
                State::Colon => {
                    if b == b':' {
                        self.state = State::Value;
                    } else if !is_ws(b) {
                        self.fail(Reason::InvalidJson, "expected ':'", i);
                    }
                    i += 1;
                }
                State::After => {
                    if is_ws(b) {
                        i += 1;
                        continue;
                    }
                    if b == b',' {
                        self.state = if self.in_object { State::Key } else { State::Value };
                    } else if b == b']' || b == b'}' {
                        self.close(if b == b']' { b'[' } else { b'{' }, sink, i);
                    } else {
                        self.fail(Reason::InvalidJson, "expected ',' or a closing bracket", i);
                    }
                    i += 1;
                }
                State::Done => {
                    if !is_ws(b) {
                        self.fail(Reason::TrailingData, "after the JSON document", i);
                    }
                    i += 1;
                }
                State::Esc => {
                    self.escape(b, sink, i);
                    i += 1;
                }
                State::Uni(k) => {
                    let v = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        b'A'..=b'F' => b - b'A' + 10,
                        _ => {
                            self.fail(Reason::InvalidJson, "bad \\u escape", i);
                            return;
                        }
                    } as u32;
                    self.uni = (self.uni << 4) | v;
                    if k == 3 {
                        self.unicode_done(sink, i);
                    } else {
                        self.state = State::Uni(k + 1);
                    }
                    i += 1;
                }
                State::LowEsc => {
                    if b == b'\\' {
                        self.state = State::LowU;
                    } else {
                        self.fail(
                            Reason::LoneSurrogate,
                            "high surrogate not followed by a low one",
                            i,
                        );
                    }
                    i += 1;
                }
                State::LowU => {
                    if b == b'u' {
                        self.uni = 0;
                        self.state = State::Uni(0);
                    } else {
                        self.fail(
                            Reason::LoneSurrogate,
                            "high surrogate not followed by a low one",
                            i,
                        );
                    }
                    i += 1;
                }
                State::Number(s) => {
                    if self.number_byte(s, b, i) {
                        i += 1;
                    } else {
                        // the byte ends the number: re-read it in the After state
                        self.number_end(sink);
                    }
                }
                State::Lit(which, pos) => {
                    let lit = LITERALS[which as usize];
                    if b != lit[pos as usize] {
                        self.fail(Reason::InvalidJson, "bad literal", i);
                        return;
                    }
                    if pos as usize + 1 == lit.len() {
                        self.literal_done(which as usize, sink);
                    } else {
                        self.state = State::Lit(which, pos + 1);
                    }
                    i += 1;
                }
                State::Str | State::Failed => unreachable_state(),
            }
        }
        self.offset += n as u64;
    }

    /// A key wholly in this chunk, without escapes or non-ASCII (`data[i]` is its
    /// opening quote): delivered at once, the state moves to [`State::Colon`], and the
    /// index after the closing quote is returned. `None`: take the general path.
    #[inline(always)]
    fn plain_key<S: Sink>(&mut self, data: &[u8], i: usize, sink: &mut S) -> Option<usize> {
        let rest = &data[i + 1..];
        let len = simd::plain_len(rest);
        if len >= rest.len() || rest[len] != b'"' {
            return None;
        }
        if self.loud() {
            let k = &rest[..len];
            if !k.is_empty() && len <= KEY_CAP && !filter_has(self.filter, key_hash(k)) {
                // a key the sink ignores: its value is quiet, nothing is delivered
                self.skip_member = true;
            } else {
                sink.key(if len <= KEY_CAP { Some(k) } else { None });
                self.skip_member = !sink.member_wanted();
            }
        }
        self.state = State::Colon;
        Some(i + len + 2)
    }
    /// The end of an unwanted string whose interior is `rest` (after the opening
    /// quote), of which the first `plain` bytes are plain (`simd::plain_len`) and the
    /// next is not the closing quote: found by the structural index when the string
    /// ends in this chunk and is valid (the index is started inside the string, not
    /// after a backslash: the carry of the tokenizer's [`State::Str`], see
    /// [`Tokenizer::index_carry`]). `None` when `plain` stopped at the chunk's end or
    /// a control byte, or the index path declines: the byte path takes over.
    #[inline]
    fn quiet_string_end(rest: &[u8], plain: usize) -> Option<usize> {
        match rest.get(plain) {
            Some(&b) if b == b'\\' || b >= 0x80 => {
                simd::string_end(&rest[plain..]).map(|e| plain + e)
            }
            _ => None,
        }
    }

    /// The structural index's carry at the current position: the tokenizer's state
    /// says whether the next byte is inside a string and whether it is escaped, and
    /// is kept across `feed` calls, so an index started anywhere (in any chunk) gives
    /// the same masks as one run over the whole body.
    pub(crate) fn index_carry(&self) -> simd::Carry {
        simd::Carry {
            in_string: matches!(
                self.state,
                State::Str | State::Esc | State::Uni(_) | State::LowEsc | State::LowU
            ),
            // after `\` (`Esc`), or the `\` that must start a low surrogate (`LowU`)
            escaped: matches!(self.state, State::Esc | State::LowU),
        }
    }

    /// Object members from the key at `data[i]` (its opening quote; the state is
    /// [`State::Key`] or [`State::ObjectFirst`]): a plain key wholly in `data`, its
    /// colon, and, while the sink wants neither key nor value, the skipped value and
    /// the `,"` of the next member, in one tight loop. Returns the index of the first
    /// byte not consumed, the state being what the byte-at-a-time path reaches there;
    /// `None` (nothing consumed) when the first key is not plain.
    #[inline(always)]
    fn members<S: Sink>(&mut self, data: &[u8], i: usize, sink: &mut S) -> Option<usize> {
        let n = data.len();
        let mut i = self.plain_key(data, i, sink)?;
        // `"key":` — the colon usually follows at once
        while i < n && data[i] == b':' {
            self.state = State::Value;
            i += 1;
            if !self.skip_member {
                break;
            }
            let j = self.skip_scalar(data, i);
            if j == i {
                return Some(j);
            }
            // `,"` (or Python's `, "`) after the skipped value: the next key
            if j >= n || data[j] != b',' {
                return Some(j);
            }
            self.state = State::Key;
            let k = j + 1 + (data.get(j + 1) == Some(&b' ')) as usize;
            if k >= n || data[k] != b'"' {
                return Some(k);
            }
            match self.plain_key(data, k, sink) {
                Some(next) => i = next,
                None => return Some(k),
            }
        }
        Some(i)
    }

    /// A member value the sink does not want (`skip_member`), at `data[i..]` after
    /// the colon: a plain string or a literal wholly in `data` is validated and passed
    /// over at once (as the quiet path would, without its steps). Returns the index
    /// after it, or `i` (with the flag kept) for anything else.
    #[inline(always)]
    fn skip_scalar(&mut self, data: &[u8], i: usize) -> usize {
        let j = skip_ws(data, i);
        match data.get(j) {
            Some(b'"') => {
                let rest = &data[j + 1..];
                let len = simd::plain_len(rest);
                if len < rest.len() && rest[len] == b'"' {
                    self.skip_member = false;
                    self.value_done();
                    return j + len + 2;
                }
                // escapes or non-ASCII: the structural index finds the end
                if let Some(end) = Self::quiet_string_end(rest, len) {
                    self.skip_member = false;
                    self.value_done();
                    return j + 1 + end + 1;
                }
            }
            Some(b't' | b'f' | b'n') => {
                if let Some((_, len)) = whole_literal(&data[j..]) {
                    self.skip_member = false;
                    self.value_done();
                    return j + len;
                }
            }
            _ => {}
        }
        i
    }

    /// The hot path between tokens: white space, keys, `:`, `,`, brackets and whole
    /// scalars, as long as they are well-formed and inside `data`. Returns the index of
    /// the first byte it did not consume; the state is exactly what the byte-at-a-time
    /// path would have reached there, so that path takes over (at a chunk end, an
    /// escape, a split character, or an error, whose text and offset it reports).
    #[inline]
    fn structural<S: Sink>(&mut self, data: &[u8], mut i: usize, sink: &mut S) -> usize {
        let n = data.len();
        loop {
            i = skip_ws(data, i);
            if i >= n {
                return i;
            }
            let b = data[i];
            match self.state {
                State::Key | State::ObjectFirst => {
                    if b == b'"' {
                        if let Some(next) = self.members(data, i, sink) {
                            i = next;
                            continue;
                        }
                        self.in_key = true;
                        self.key_len = 0;
                        self.key_over = false;
                        self.state = State::Str;
                        i = self.string_run(data, i + 1, sink);
                        if self.state != State::Colon {
                            return i;
                        }
                    } else if b == b'}' && self.state == State::ObjectFirst {
                        self.close(b'{', sink, i);
                        i += 1;
                    } else {
                        return i;
                    }
                }
                State::Colon => {
                    if b != b':' {
                        return i;
                    }
                    self.state = State::Value;
                    i += 1;
                }
                State::After => {
                    if b == b',' {
                        if self.in_object {
                            self.state = State::Key;
                            // `,"key"` (or `, "key"`): straight to the members' loop
                            let k = i + 1 + (data.get(i + 1) == Some(&b' ')) as usize;
                            if data.get(k) == Some(&b'"') {
                                if let Some(next) = self.members(data, k, sink) {
                                    i = next;
                                    continue;
                                }
                            }
                        } else {
                            self.state = State::Value;
                        }
                    } else if b == b'}' {
                        self.close(b'{', sink, i);
                    } else if b == b']' {
                        self.close(b'[', sink, i);
                    } else {
                        return i;
                    }
                    if self.state == State::Failed {
                        return i;
                    }
                    i += 1;
                }
                State::Value | State::ArrayFirst | State::Start => {
                    match b {
                        b'"' => {
                            self.begin_value(b, sink, i);
                            if !self.loud() || self.quiet_scalar {
                                // an unwanted string: a plain one ends at the first
                                // special byte, and nothing is delivered
                                let rest = &data[i + 1..];
                                let len = simd::plain_len(rest);
                                if len < rest.len() && rest[len] == b'"' {
                                    self.value_done();
                                    i += len + 2;
                                    continue;
                                }
                                debug_assert_eq!(
                                    self.index_carry(),
                                    simd::Carry { in_string: true, escaped: false }
                                );
                                if let Some(end) = Self::quiet_string_end(rest, len) {
                                    self.value_done();
                                    i += end + 2;
                                    continue;
                                }
                            } else if self.state == State::Str {
                                // a wanted string of plain characters wholly in this
                                // chunk: delivered as one piece, as `string_run` would
                                let rest = &data[i + 1..];
                                let len = simd::plain_len(rest);
                                if len < rest.len() && rest[len] == b'"' {
                                    if len > 0 {
                                        sink.str_part(&rest[..len]);
                                    }
                                    sink.scalar_end(Scalar::String);
                                    self.value_done();
                                    i += len + 2;
                                    continue;
                                }
                            }
                            // the whole string in one scan when it ends in this chunk
                            i = self.string_run(data, i + 1, sink);
                            if !matches!(self.state, State::After | State::Done) {
                                return i;
                            }
                        }
                        b'{' | b'[' => {
                            self.begin_value(b, sink, i);
                            if self.state == State::Failed {
                                return i;
                            }
                            i += 1;
                        }
                        b't' | b'f' | b'n' => {
                            let which = match b {
                                b't' => 0,
                                b'f' => 1,
                                _ => 2,
                            };
                            let Some((w, len)) = whole_literal(&data[i..]) else { return i };
                            debug_assert_eq!(w, which);
                            self.begin_value(b, sink, i);
                            self.literal_done(which, sink);
                            i += len;
                        }
                        b'-' | b'0'..=b'9' => {
                            self.begin_value(b, sink, i);
                            i += 1;
                            while i < n {
                                let State::Number(s) = self.state else { break };
                                if self.number_byte(s, data[i], i) {
                                    i += 1;
                                } else {
                                    self.number_end(sink);
                                    break;
                                }
                            }
                            if !matches!(self.state, State::After | State::Done) {
                                return i;
                            }
                        }
                        b']' if self.state == State::ArrayFirst => {
                            self.close(b'[', sink, i);
                            i += 1;
                        }
                        _ => return i,
                    }
                }
                _ => return i,
            }
        }
    }

    /// Ends the input. Records an error when the document is incomplete.
    pub fn finish<S: Sink>(&mut self, sink: &mut S) {
        if let State::Number(s) = self.state {
            if matches!(s, Num::Zero | Num::Int | Num::Frac | Num::Exp) && self.depth == 0 {
                self.number_end(sink);
            }
        }
        match self.state {
            State::Done | State::Failed => {}
            State::Start => self.fail(Reason::InvalidJson, "empty body", 0),
            _ => self.fail(Reason::InvalidJson, "truncated document", 0),
        }
    }

    fn begin_value<S: Sink>(&mut self, b: u8, sink: &mut S, i: usize) {
        let t = match b {
            b'{' => ValueType::Object,
            b'[' => ValueType::Array,
            b'"' => ValueType::String,
            b'-' | b'0'..=b'9' => ValueType::Number,
            b't' => ValueType::True,
            b'f' => ValueType::False,
            b'n' => ValueType::Null,
            _ => {
                self.fail(Reason::InvalidJson, "expected a value", i);
                return;
            }
        };
        let skip = core::mem::replace(&mut self.skip_member, false);
        let wanted = self.loud() && !skip && sink.value_start(t);
        if wanted && t == ValueType::Object {
            self.filter = split_filter(sink.key_filter());
        }
        match t {
            ValueType::Object | ValueType::Array => {
                if self.depth as usize >= MAX_DEPTH {
                    self.fail(Reason::TooDeep, "128", i);
                    return;
                }
                if !wanted && self.loud() {
                    self.quiet_at = self.depth;
                }
                let d = self.depth as usize;
                if t == ValueType::Object {
                    self.stack[d / 64] |= 1 << (d % 64);
                    self.state = State::ObjectFirst;
                } else {
                    self.stack[d / 64] &= !(1 << (d % 64));
                    self.state = State::ArrayFirst;
                }
                self.depth += 1;
                self.in_object = t == ValueType::Object;
            }
            ValueType::String => {
                self.quiet_scalar = !wanted;
                self.in_key = false;
                self.state = State::Str;
            }
            ValueType::Number => {
                self.quiet_scalar = !wanted;
                self.num_len = 0;
                self.num_over = false;
                self.push_num(b);
                self.state = State::Number(if b == b'-' {
                    Num::Minus
                } else if b == b'0' {
                    Num::Zero
                } else {
                    Num::Int
                });
            }
            ValueType::True | ValueType::False | ValueType::Null => {
                self.quiet_scalar = !wanted;
                let which = match t {
                    ValueType::True => 0,
                    ValueType::False => 1,
                    _ => 2,
                };
                self.state = State::Lit(which, 1);
            }
        }
    }

    fn close<S: Sink>(&mut self, open: u8, sink: &mut S, i: usize) {
        if self.depth == 0 || self.in_object != (open == b'{') {
            self.fail(Reason::InvalidJson, "mismatched closing bracket", i);
            return;
        }
        self.depth -= 1;
        self.in_object = self.depth > 0 && self.top_is_object();
        if self.quiet_at == self.depth {
            self.quiet_at = u16::MAX; // the unwanted container ended: no event
        } else if self.loud() {
            sink.container_end();
            self.filter = split_filter(sink.key_filter());
        }
        self.value_done();
    }

    /// A `true`, `false` or `null` literal (`which`: its index in `LITERALS`) ended.
    #[inline]
    fn literal_done<S: Sink>(&mut self, which: usize, sink: &mut S) {
        if self.loud() && !self.quiet_scalar {
            sink.scalar_end(match which {
                0 => Scalar::True,
                1 => Scalar::False,
                _ => Scalar::Null,
            });
        }
        self.value_done();
    }

    #[inline]
    fn value_done(&mut self) {
        self.quiet_scalar = false;
        self.state = if self.depth == 0 { State::Done } else { State::After };
    }

    #[inline]
    fn push_num(&mut self, b: u8) {
        if (self.num_len as usize) < NUM_CAP {
            self.num[self.num_len as usize] = b;
            self.num_len += 1;
        } else {
            self.num_over = true;
        }
    }

    /// Consumes `b` if it continues the number; `false` when it ends it.
    fn number_byte(&mut self, s: Num, b: u8, i: usize) -> bool {
        let next = match (s, b) {
            (Num::Zero, b'0'..=b'9') => {
                self.fail(Reason::InvalidJson, "leading zero", i);
                return true;
            }
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, b'1'..=b'9') => Num::Int,
            (Num::Int, b'0'..=b'9') => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
            (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
            (Num::E, b'+' | b'-') => Num::ESign,
            (Num::E | Num::ESign | Num::Exp, b'0'..=b'9') => Num::Exp,
            (Num::Zero | Num::Int | Num::Frac | Num::Exp, _) => return false,
            _ => {
                self.fail(Reason::InvalidJson, "bad number", i);
                return true;
            }
        };
        self.push_num(b);
        self.state = State::Number(next);
        true
    }

    fn number_end<S: Sink>(&mut self, sink: &mut S) {
        if self.loud() && !self.quiet_scalar {
            let text = if self.num_over {
                None
            } else {
                // only ASCII digits and signs were pushed
                core::str::from_utf8(&self.num[..self.num_len as usize]).ok()
            };
            sink.scalar_end(Scalar::Number(text));
        }
        self.value_done();
    }

    #[inline]
    fn delivering(&self) -> bool {
        self.loud() && (self.in_key || !self.quiet_scalar)
    }

    fn deliver<S: Sink>(&mut self, s: &[u8], sink: &mut S) {
        if self.in_key {
            let k = s;
            let at = self.key_len as usize;
            if !self.key_over && at + k.len() <= KEY_CAP {
                self.key[at..at + k.len()].copy_from_slice(k);
                self.key_len += k.len() as u8;
            } else {
                self.key_over = true;
            }
        } else {
            sink.str_part(s);
        }
    }

    fn deliver_char<S: Sink>(&mut self, c: char, sink: &mut S) {
        if self.delivering() {
            let mut b = [0u8; 4];
            self.deliver(c.encode_utf8(&mut b).as_bytes(), sink);
        }
    }

    /// Handles string content from `data[i..]`; returns the next index.
    fn string_run<S: Sink>(&mut self, data: &[u8], mut i: usize, sink: &mut S) -> usize {
        let n = data.len();
        // finish a UTF-8 sequence split across chunks
        while self.utf8_need > 0 && i < n {
            let b = data[i];
            if b & 0xC0 != 0x80 {
                self.fail_at(Reason::InvalidUtf8, "invalid sequence", self.utf8_start);
                return n;
            }
            self.utf8[self.utf8_len as usize] = b;
            self.utf8_len += 1;
            self.utf8_need -= 1;
            i += 1;
            if self.utf8_need == 0 {
                let seq = self.utf8;
                match core::str::from_utf8(&seq[..self.utf8_len as usize]) {
                    Ok(_) => {
                        if self.delivering() {
                            self.deliver(&seq[..self.utf8_len as usize], sink);
                        }
                    }
                    Err(_) => {
                        self.fail_at(Reason::InvalidUtf8, "invalid sequence", self.utf8_start);
                        return n;
                    }
                }
                self.utf8_len = 0;
            }
        }
        // plain runs, and the escapes between them that are whole in this chunk
        loop {
            if i >= n {
                return n;
            }
            // the run of plain characters: printable ASCII and valid UTF-8 sequences
            let rest = &data[i..];
            let mut j = 0;
            loop {
                j += simd::plain_len(&rest[j..]);
                if j >= rest.len() || rest[j] < 0x80 {
                    break;
                }
                // a run of text (up to a quote, a backslash or a control byte) validated
                // at once: `from_utf8` goes a word at a time over its ASCII stretches;
                // its valid prefix is exactly the sequences the per-sequence check below
                // accepts, which keeps the first invalid or split sequence (and so every
                // error, its offset and the split state) as before
                let text = j + scan::text_len(&rest[j..]);
                match core::str::from_utf8(&rest[j..text]) {
                    Ok(_) => {
                        j = text;
                        continue;
                    }
                    Err(e) => j += e.valid_up_to(),
                }
                let need = utf8_len(rest[j]) as usize;
                if need == 0 {
                    self.fail(Reason::InvalidUtf8, "invalid sequence", i + j);
                    return n;
                }
                if j + need > rest.len() {
                    // split across chunks: what is here must be continuation bytes
                    let tail = &rest[j..];
                    if tail[1..].iter().any(|&b| b & 0xC0 != 0x80) {
                        self.fail(Reason::InvalidUtf8, "invalid sequence", i + j);
                        return n;
                    }
                    self.utf8[..tail.len()].copy_from_slice(tail);
                    self.utf8_len = tail.len() as u8;
                    self.utf8_need = (need - tail.len()) as u8;
                    self.utf8_start = self.offset + (i + j) as u64;
                    break;
                }
                if core::str::from_utf8(&rest[j..j + need]).is_err() {
                    self.fail(Reason::InvalidUtf8, "invalid sequence", i + j);
                    return n;
                }
                j += need;
            }
            let end = if self.utf8_need > 0 { rest.len() } else { j };
            if self.delivering() {
                // validated above: whole characters only
                let run = &rest[..end - self.utf8_len as usize];
                if !run.is_empty() {
                    self.deliver(run, sink);
                }
            }
            i += end;
            if i < n {
                match data[i] {
                    b'"' => self.string_end(sink),
                    b'\\' => {
                        if let Some((c, len)) = whole_escape(&data[i..]) {
                            self.deliver_char(c, sink);
                            i += len;
                            continue;
                        }
                        // split by the chunk's end, or wrong: the escape states take it
                        self.state = State::Esc;
                    }
                    _ => {
                        self.fail(Reason::InvalidJson, "control character in string", i);
                        return n;
                    }
                }
                i += 1;
            }
            return i;
        }
    }

    fn string_end<S: Sink>(&mut self, sink: &mut S) {
        if self.in_key {
            self.in_key = false;
            if self.loud() {
                let key = self.key;
                let k = if self.key_over { None } else { Some(&key[..self.key_len as usize]) };
                sink.key(k);
                self.skip_member = !sink.member_wanted();
            }
            self.state = State::Colon;
        } else {
            if self.loud() && !self.quiet_scalar {
                sink.scalar_end(Scalar::String);
            }
            self.value_done();
        }
    }

    fn escape<S: Sink>(&mut self, b: u8, sink: &mut S, i: usize) {
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                self.uni = 0;
                self.state = State::Uni(0);
                return;
            }
            _ => {
                self.fail(Reason::InvalidJson, "bad escape", i);
                return;
            }
        };
        self.deliver_char(c, sink);
        self.state = State::Str;
    }

    fn unicode_done<S: Sink>(&mut self, sink: &mut S, i: usize) {
        let u = self.uni;
        if self.high != 0 {
            if !(0xDC00..=0xDFFF).contains(&u) {
                self.fail(Reason::LoneSurrogate, "high surrogate not followed by a low one", i);
                return;
            }
            let c = 0x10000 + ((self.high - 0xD800) << 10) + (u - 0xDC00);
            self.high = 0;
            match char::from_u32(c) {
                Some(c) => self.deliver_char(c, sink),
                None => {
                    self.fail(Reason::LoneSurrogate, "bad surrogate pair", i);
                    return;
                }
            }
            self.state = State::Str;
        } else if (0xD800..=0xDBFF).contains(&u) {
            self.high = u;
            self.state = State::LowEsc;
        } else if (0xDC00..=0xDFFF).contains(&u) {
            self.fail(Reason::LoneSurrogate, "low surrogate without a high one", i);
        } else {
            match char::from_u32(u) {
                Some(c) => self.deliver_char(c, sink),
                None => self.fail(Reason::InvalidJson, "bad \\u escape", i),
            }
            self.state = State::Str;
        }
    }
}

#[cold]
fn unreachable_state() {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    /// Records every event as text.
    #[derive(Default)]
    struct Rec {
        out: Vec<String>,
        cur: String,
        want_all: bool,
    }

    impl Sink for Rec {
        fn value_start(&mut self, t: ValueType) -> bool {
            self.out.push(std::format!("start {t:?}"));
            self.cur.clear();
            self.want_all
        }
        fn key(&mut self, key: Option<&[u8]>) {
            let key = key.map(|k| core::str::from_utf8(k).unwrap());
            self.out.push(std::format!("key {key:?}"));
        }
        fn str_part(&mut self, s: &[u8]) {
            self.cur.push_str(core::str::from_utf8(s).unwrap());
        }
        fn scalar_end(&mut self, s: Scalar<'_>) {
            match s {
                Scalar::String => self.out.push(std::format!("str {:?}", self.cur)),
                other => self.out.push(std::format!("{other:?}")),
            }
        }
        fn container_end(&mut self) {
            self.out.push("end".into());
        }
    }

    fn run(chunks: &[&[u8]]) -> (Vec<String>, Option<SyntaxError>) {
        let mut t = Tokenizer::new();
        let mut r = Rec { want_all: true, ..Rec::default() };
        for c in chunks {
            t.feed(c, &mut r);
        }
        t.finish(&mut r);
        (r.out, t.error())
    }

    fn bytewise(doc: &[u8]) -> (Vec<String>, Option<SyntaxError>) {
        let chunks: Vec<&[u8]> = doc.chunks(1).collect();
        run(&chunks)
    }

    #[test]
    fn events_do_not_depend_on_chunking() {
        let doc: &[u8] = b" {\"a\\u0062\": [1, -0.5e+3, \"x\\\"\\u00e9\\ud83d\\ude00\\u00e9\", true, false, null, {}], \"k\": \"caf\xc3\xa9\"} ";
        let whole = run(&[doc]);
        assert!(whole.1.is_none(), "{:?}", whole.1);
        assert!(whole.0.contains(&"key Some(\"ab\")".into()));
        assert!(whole.0.contains(&"str \"x\\\"é😀é\"".into()), "{:?}", whole.0);
        assert!(whole.0.contains(&"Number(Some(\"-0.5e+3\"))".into()));
        assert_eq!(bytewise(doc), whole);
        for split in 0..doc.len() {
            assert_eq!(run(&[&doc[..split], &doc[split..]]), whole, "split at {split}");
        }
    }

    /// The tokenizer's state is the structural index's carry: after any prefix of a
    /// body (fed in any chunks), `index_carry` equals the carry of the index run
    /// over that prefix, so an index started there gives the same masks.
    #[test]
    fn the_state_carries_the_index_across_chunks() {
        let doc: &[u8] = b"{\"a\\\\\": [\"b\\\"c\\u00e9\\ud83d\\ude00\", 1.5, true, null, {\"k\": \"caf\xc3\xa9 \\\\\"}], \"z\\n\": \"\"}";
        let mut whole = Tokenizer::new();
        let mut r = Rec { want_all: true, ..Rec::default() };
        whole.feed(doc, &mut r);
        whole.finish(&mut r);
        assert!(whole.error().is_none(), "{:?}", whole.error());
        for split in 0..=doc.len() {
            for step in [1, 3, 64] {
                let mut t = Tokenizer::new();
                let mut r = Rec { want_all: true, ..Rec::default() };
                for c in doc[..split].chunks(step) {
                    t.feed(c, &mut r);
                }
                let mut carry = simd::Carry::default();
                for blk in doc[..split].chunks(64) {
                    simd::index_bytes(blk, &mut carry);
                }
                assert_eq!(t.index_carry(), carry, "prefix {split}, chunks of {step}");
            }
        }
    }

    /// Unwanted strings with escapes and non-ASCII text are passed over by the index
    /// when they end in the chunk: the same verdicts and offsets as the byte path
    /// (1-byte chunks never take the index), valid or not.
    #[test]
    fn indexed_skips_accept_and_refuse_as_the_byte_path() {
        let long: Vec<u8> =
            [&b"\"\\u00e9"[..], &[b'x'; 150], b"\\\"\xc3\xa9", &[b'y'; 70], b"\""].concat();
        let long_bad: Vec<u8> =
            [&b"\"\\u00e9"[..], &[b'x'; 150], b"\\\"\xc3", &[b'y'; 70], b"\""].concat();
        let bodies: [&[u8]; 16] = [
            &long,
            &long_bad,
            b"\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\"",
            b"\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \xf0\x9f\x98\x80\"",
            b"\"\\ud83d\"",
            b"\"\\ud83dx\\ude00\"",
            b"\"\\ude00\"",
            b"\"\\ud83d\\n\"",
            b"\"\\u12\"",
            b"\"\\u12g4\"",
            b"\"\\x\"",
            b"\"\xc3\\n\"",
            b"\"\xed\xa0\x80\"",
            b"\"a\\\tb\"",
            b"\"\\\\\\\"\"",
            b"\"\xc3\xa9\x01\"",
        ];
        for body in bodies {
            // the same string as a skipped member and as an unwanted array item
            let mut doc = b"{\"a\": ".to_vec();
            doc.extend_from_slice(body);
            doc.extend_from_slice(b", \"b\": [");
            doc.extend_from_slice(body);
            doc.extend_from_slice(b"]}");
            let run = |chunks: &[&[u8]]| {
                let mut t = Tokenizer::new();
                let mut p = Picky { hint: true, filter: true, member: None, out: Vec::new() };
                for c in chunks {
                    t.feed(c, &mut p);
                }
                t.finish(&mut p);
                (p.out, t.error())
            };
            let whole = run(&[&doc]);
            let bytes: Vec<&[u8]> = doc.chunks(1).collect();
            assert_eq!(run(&bytes), whole, "{:?}", String::from_utf8_lossy(&doc));
            // the valid ones are valid for serde_json too
            let ok = serde_json::from_slice::<serde_json::Value>(&doc).is_ok();
            assert_eq!(whole.1.is_none(), ok, "{:?}: {:?}", String::from_utf8_lossy(&doc), whole.1);
        }
    }

    /// Escapes of read strings (and keys) are decoded in the string scan when they
    /// are whole in the chunk, by the escape states when cut: the same events, and
    /// the same errors at the same offsets, for every cut.
    #[test]
    fn escapes_whole_or_cut_give_the_same_events_and_errors() {
        let docs: [&[u8]; 10] = [
            br#"{"k\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00": ["a\u0041b\"c\\", "\uffff\u0000x"]}"#,
            br#"["\ud800\u0041"]"#,
            br#"["\ud800"]"#,
            br#"["\ud800\n"]"#,
            br#"["\udc00"]"#,
            br#"["\u12x4"]"#,
            br#"["\q"]"#,
            br#"["\ud83d\ud83d"]"#,
            br#"{"\ud83d\ude00\u00e9": "\u00e9\ud83d\ude00"}"#,
            br#"["a\"#,
        ];
        for doc in docs {
            let whole = run(&[doc]);
            assert_eq!(bytewise(doc), whole, "{:?}", String::from_utf8_lossy(doc));
            for split in 0..doc.len() {
                assert_eq!(run(&[&doc[..split], &doc[split..]]), whole, "split at {split}");
            }
        }
        assert!(run(&[docs[0]]).1.is_none());
        assert!(run(&[docs[0]])
            .0
            .contains(&"key Some(\"k\\\"\\\\/\\u{8}\\u{c}\\n\\r\\té😀\")".into()));
        assert_eq!(
            run(&[docs[1]]).1.map(|e| (e.reason, e.offset)),
            Some((Reason::LoneSurrogate, 13))
        );
    }

    #[test]
    fn strict_grammar() {
        for (doc, reason) in [
            (&b""[..], Reason::InvalidJson),
            (b"   ", Reason::InvalidJson),
            (b"{", Reason::InvalidJson),
            (b"[1,]", Reason::InvalidJson),
            (b"{\"a\":1,}", Reason::InvalidJson),
            (b"01", Reason::InvalidJson),
            (b"1.", Reason::InvalidJson),
            (b"-", Reason::InvalidJson),
            (b"[1] x", Reason::TrailingData),
            (b"{} {}", Reason::TrailingData),
            (b"\"\\ud800\"", Reason::LoneSurrogate),
            (b"\"\\udc00\"", Reason::LoneSurrogate),
            (b"\"\\ud800\\u0041\"", Reason::LoneSurrogate),
            (b"\"\xff\"", Reason::InvalidUtf8),
            (b"\"\xc3\"", Reason::InvalidUtf8),
            (b"\"\xed\xa0\x80\"", Reason::InvalidUtf8),
            (b"\"a\nb\"", Reason::InvalidJson),
            (b"\"\\x\"", Reason::InvalidJson),
            (b"[}", Reason::InvalidJson),
            (b"nul", Reason::InvalidJson),
            (b"\xef\xbb\xbf{}", Reason::InvalidJson),
            (b"{'a':1}", Reason::InvalidJson),
        ] {
            let (_, e) = run(&[doc]);
            assert_eq!(e.map(|e| e.reason), Some(reason), "{:?}", String::from_utf8_lossy(doc));
            let (_, e) = bytewise(doc);
            assert_eq!(
                e.map(|e| e.reason),
                Some(reason),
                "bytewise {:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn depth_is_bounded() {
        let mut doc = Vec::new();
        doc.extend(core::iter::repeat(b'[').take(MAX_DEPTH));
        doc.extend(core::iter::repeat(b']').take(MAX_DEPTH));
        assert!(run(&[&doc]).1.is_none());
        let mut doc = Vec::new();
        doc.extend(core::iter::repeat(b'[').take(MAX_DEPTH + 1));
        assert_eq!(run(&[&doc]).1.map(|e| e.reason), Some(Reason::TooDeep));
    }

    /// Wants the members whose key starts with `w` (and every container it is in);
    /// with `hint`, says so through `member_wanted` as well. (An unwanted member leaves
    /// no trace, as `member_wanted` promises.)
    struct Picky {
        hint: bool,
        /// Filter keys by `key_hash`: every slot of a `w…` key of the documents below.
        filter: bool,
        member: Option<bool>,
        out: Vec<String>,
    }

    impl Sink for Picky {
        fn value_start(&mut self, t: ValueType) -> bool {
            if self.member == Some(false) {
                return false;
            }
            self.member = None;
            self.out.push(std::format!("start {t:?}"));
            true
        }
        fn key(&mut self, key: Option<&[u8]>) {
            let wanted = key.is_some_and(|k| k.starts_with(b"w"));
            self.member = Some(wanted);
            if wanted || !self.filter {
                self.out.push(std::format!("key {:?}", key.map(String::from_utf8_lossy)));
            }
        }
        fn member_wanted(&self) -> bool {
            !self.hint || self.member != Some(false)
        }
        fn key_filter(&self) -> u128 {
            if !self.filter {
                return u128::MAX;
            }
            [&b"w"[..], b"wx", b"w2"].iter().fold(0, |m, k| m | 1 << key_hash(k))
        }
        fn str_part(&mut self, s: &[u8]) {
            self.out.push(std::format!("part {:?}", String::from_utf8_lossy(s)));
        }
        fn scalar_end(&mut self, s: Scalar<'_>) {
            self.out.push(std::format!("{s:?}"));
        }
        fn container_end(&mut self) {
            self.member = None;
            self.out.push("end".into());
        }
    }

    #[test]
    fn unwanted_members_skipped_on_the_hint_and_filter_as_without() {
        let docs: [&[u8]; 22] = [
            b"{\"a\": \"x\", \"w\": \"y\", \"b\":true, \"c\" : null ,\"d\":false, \"e\": -1.5e3, \"f\": {\"w\": [1, \"z\"]}, \"g\": [\"\\u00e9\", \"caf\xc3\xa9\"], \"wx\": {\"w\": \"q\\n\", \"a\": \"r\"}, \"w2\": [{\"a\": \"x\"}, 5, \"s\"]}",
            b"{\"a\": \"x\\\"\", \"b\": \"\xff\"}",
            b"{\"a\": tru, \"w\": 1}",
            b"{\"a\": \"x\", \"b\": nulll}",
            // compact, as MISP writes it: members no rule reads run one after another
            b"{\"a\":\"x\",\"b\":\"y\",\"c\":true,\"d\":null,\"w\":\"z\",\"e\":\"\\u00e9\",\"f\":\"caf\xc3\xa9\",\"g\":false,\"wx\":{\"a\":\"b\",\"w\":\"c\"},\"h\":1,\"w2\":[\"x\",\"y\"],\"i\":\"\"}",
            b"[{\"a\":\"x\",\"b\":\"y\"},\"w\",{\"c\":\"d\",\"w\":\"e\"},[\"a\",\"b\"]]",
            b"{\"a\":\"x\",\"b\\u0041\":\"y\",\"w\":2,\"c\":\"z\"}",
            b"{\"a\":\"x\",\"\":\"y\",\"w\":4}",
            b"{\"a\":\"x\", \"b\":\"y\",  \"c\":\"z\" ,\"d\":\"q\",\n\"e\":\"r\"}",
            b"{\"a\":\"x\",\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"y\",\"w\":5}",
            b"{\"a\":\"x\",\"b\":{\"w\":1},\"c\":[1,2],\"d\":-0.5}",
            // errors right after a skipped value, at the comma, the key, the colon
            b"{\"a\":\"x\",}",
            b"{\"a\":\"x\",\"b\"\"c\"}",
            b"{\"a\":\"x\",\"b\":}",
            b"{\"a\":\"x\",\"b\":\"y\"",
            b"{\"a\":\"x\",\"b\":\"y\",",
            b"{\"a\":\"x\",\"b\":\"y\"]",
            b"{\"a\":\"x\",\"b\":\"y\"\"c\":1}",
            b"{\"a\":\"x\",\"b\":\"y\x01\"}",
            b"{\"a\":\"x\",\"b\x01\":\"y\"}",
            b"{\"a\":\"x\",\"b\":\"y\"}}",
            b"{\"a\":\"x\",\"b\":\"y\"} x",
        ];
        for doc in docs {
            let run = |hint: bool, chunks: &[&[u8]]| {
                let mut t = Tokenizer::new();
                let mut p = Picky { hint, filter: hint, member: None, out: Vec::new() };
                for c in chunks {
                    t.feed(c, &mut p);
                }
                t.finish(&mut p);
                (p.out, t.error())
            };
            let mut want = run(false, &[doc]);
            // keys the filter drops are not delivered
            want.0.retain(|e| !e.starts_with("key ") || e.starts_with("key Some(\"w"));
            assert_eq!(run(true, &[doc]), want, "{:?}", String::from_utf8_lossy(doc));
            let bytes: Vec<&[u8]> = doc.chunks(1).collect();
            assert_eq!(run(true, &bytes), want);
            for split in 0..doc.len() {
                assert_eq!(run(true, &[&doc[..split], &doc[split..]]), want, "split at {split}");
            }
        }
    }

    #[test]
    fn unwanted_values_are_validated_but_silent() {
        let mut t = Tokenizer::new();
        let mut r = Rec::default(); // wants nothing
        t.feed(br#"{"a": [1, {"b": "c"}]}"#, &mut r);
        t.finish(&mut r);
        assert!(t.error().is_none());
        assert_eq!(r.out, ["start Object"]);
        let mut t = Tokenizer::new();
        t.feed(b"[{\"b\": \"c\xff\"}]", &mut r);
        t.finish(&mut r);
        assert_eq!(t.error().map(|e| e.reason), Some(Reason::InvalidUtf8));
    }
}
