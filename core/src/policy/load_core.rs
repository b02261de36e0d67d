//! The configuration loader: serde-json-core and heapless driving the [`Builder`].
//!
//! [`Policy::from_json_slice`] is the only reading of a configuration in core. It
//! needs no allocator (it builds without the `alloc` feature). The tests compare it
//! with serde_json's reading of the same bytes, compiled by the same [`Builder`]
//! (`testkit/src/config.rs`: the same policy, or an error of the same kind at the same
//! path), in `core/tests/config.rs` and the `config` fuzz target.
//!
//! # How
//!
//! The whole configuration is never materialised. The document is read several times
//! (it is small, and every pass is linear):
//!
//! 1. **syntax**: a strict RFC 8259 scan ([`scan_document`]) with exact line:column for
//!    the first error, nesting bounded by [`MAX_DEPTH`](super::scan::MAX_DEPTH) (no recursion);
//! 2. **keys**: [`super::keys::check_keys`] refuses keys that look like misspellings
//!    and records the ignored ones;
//! 3. **validate**: serde-json-core walks the schema through hand-written
//!    `DeserializeSeed`s/`Visitor`s (types, duplicate/missing fields; unknown ones
//!    skipped), tracking the JSON path of every value;
//! 4. **build**, in document order per table (the oracle compiles in the same order):
//!    current format — allowlist, compartment names, `can_reach` targets, then one
//!    instance at a time; legacy — `proxy`/`misp`, then one block rule at a time.
//!    Only one *batch* (the allowlist, or one instance / block rule) is held at a
//!    time, as byte ranges into the document ([`BATCH_STRINGS`] entries of 8 bytes),
//!    and fed to the [`Builder`] as borrowed `&str`s.
//!
//! # Capacities (over = [`ConfigErrorKind::Capacity`])
//!
//! Besides the [`Policy`] capacities (see [`crate::policy`]):
//! * [`BATCH_STRINGS`] strings per batch (the allowlist, or one instance / block rule,
//!   all its lists together): the policy's own [`MAX_ENTRIES`](super::MAX_ENTRIES);
//! * [`MAX_KEYS`] taxonomies per `allowed_tags`; in `instances` and `can_reach`, keys
//!   past the [`MAX_KEYS`]th are checked for duplicates in the document instead;
//! * strings written with escapes (`\"`, `\u00e9`, …) are unescaped into a
//!   [`SCRATCH`]-byte scratch area, emptied after each batch (more is a capacity error).
//!   Strings without escapes are borrowed from the input and cost nothing.
//!
//! # serde-json-core limits, and how they are handled
//!
//! * No positions in its errors: the loader tracks the JSON path itself and finds the
//!   position of that path in the document ([`position_of_path`]); keys and string
//!   values arrive borrowed from the input and give their exact offset.
//! * Its unescaping refuses UTF-16 surrogate pairs (`\ud83d\ude00`) and needs a
//!   buffer as long as the longest string: it is not used. serde-json-core runs without
//!   an unescape buffer, hands every string over raw, and the loader unescapes it
//!   (after the syntax scan validated every escape).
//! * Lenient skipping of unknown scalars, no duplicate-key detection, no nesting
//!   limit: the syntax scan runs first, and duplicates are refused by the visitors.
//! * `deserialize_any` is unsupported (no untagged enums): numbers (ports, numeric
//!   distribution levels) are recognised as non-string scalars and read from the
//!   document by the scanner, with serde_json's rules (integers only).
//!
//! Stack: the [`Builder`] (it holds the ~100 KiB [`Policy`]) plus about 40 KiB (one
//! batch, scratch, key lists, visitor frames).

use core::fmt::Write as _;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::build::RuleSetSpec;
use super::error::push_cut;
pub(crate) use super::scan::line_col;
use super::scan::{scan_document, unescape, unescape_into, Scan};
use super::{Builder, ConfigError, ConfigErrorKind, EndpointList, Format, Policy};

/// Strings held at once: one instance's (or block rule's, or the allowlist's) lists; as
/// many as the policy holds in all, so that only the policy's own bound refuses a list.
pub const BATCH_STRINGS: usize = super::MAX_ENTRIES;
/// Keys per free-form object (`instances`, `can_reach`, `allowed_tags`).
pub const MAX_KEYS: usize = 128;
/// Bytes of unescaped strings kept for one batch (strings written with escapes).
pub const SCRATCH: usize = 16 * 1024;

type Path = heapless::String<160>;

impl Policy {
    /// Loads a configuration in either misp-guard format (told apart by its top-level
    /// keys: `block_rules` or `proxy` means legacy), without allocating.
    ///
    /// Keys neither format reads are ignored (as misp-guard does) and listed by
    /// [`Policy::ignored_keys`], unless they look like a misspelling of one it reads
    /// (an [`ConfigErrorKind::UnknownField`] error; see `policy/keys.rs`).
    ///
    /// Errors carry line:column (1-based) and the JSON path of the offending value:
    /// syntax errors where the strict scan stops; data errors (missing/unknown field,
    /// wrong type, …) and semantic ones (duplicate instance ip, unknown compartment, …)
    /// at the key (or array element) their path names.
    ///
    /// Capacities beyond the policy's own (see [`crate::policy`]), each a
    /// [`ConfigErrorKind::Capacity`] error when exceeded: 128 taxonomies per
    /// `allowed_tags`, 16 KiB of strings written with
    /// escapes (after unescaping) in the allowlist or in one instance / legacy block
    /// rule, nesting depth 128.
    /// Strings without escapes are borrowed from `json` and cost nothing.
    ///
    /// Stack: the builder holds the ~90 KiB policy, which is then moved into the
    /// caller's result, plus about 63 KiB for the loader itself (~35 KiB measured on
    /// x86_64, release, before its batch and scratch area grew by 28 KiB to the
    /// policy's own bounds; ~215 KiB of stack in all then, result slot included).
    pub fn from_json_slice(json: &[u8]) -> Result<Policy, ConfigError> {
        if json.len() >= IN_SCRATCH as usize {
            // Offsets into the document are 31-bit (see `Src`).
            let e =
                ConfigError::semantic(ConfigErrorKind::Capacity, "", "configuration over 2 GiB");
            return Err(e.at(1, 1));
        }
        let text = check_syntax(json)?;
        let format = detect_format(json)?;
        let ignored = super::keys::check_keys(json, format)?;
        let mut b = Builder::new(format);
        b.ignored(ignored);
        let modes: &[Mode] = match format {
            Format::Current => {
                &[Mode::Validate, Mode::Allowlist, Mode::Sources, Mode::Targets, Mode::Instances]
            }
            Format::Legacy => &[Mode::Validate, Mode::Hosts, Mode::Rules],
        };
        for &mode in modes {
            let mut ctx = Ctx {
                doc: text,
                mode,
                format,
                path: Path::new(),
                err: None,
                b: &mut b,
                batch: Batch::new(),
                scratch: heapless::String::new(),
                last_at: 0,
            };
            // No unescape buffer: every string arrives borrowed, raw, with its offset;
            // the visitors unescape it (serde-json-core 0.6 refuses surrogate pairs).
            let mut de = serde_json_core::de::Deserializer::new(json, None);
            let r = TopSeed { ctx: &mut ctx }.deserialize(&mut de);
            if let Err(e) = r {
                return Err(ctx.into_error(e));
            }
        }
        Ok(b.finish())
    }
}

/// The `endpoints` value (current format), or its error.
pub(crate) fn endpoint_list(name: &str) -> Result<EndpointList, ConfigError> {
    EndpointList::from_name(name).ok_or_else(|| {
        ConfigError::semantic(
            ConfigErrorKind::Invalid,
            "endpoints",
            "unknown endpoint list, expected `misp-sync` or `misp-guard`",
        )
    })
}

/// The syntax check, first: UTF-8, then a strict RFC 8259 scan (one message and
/// position per malformed file).
pub(crate) fn check_syntax(json: &[u8]) -> Result<&str, ConfigError> {
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

/// Gives `e` the position of byte `off`.
fn at_offset(e: ConfigError, json: &[u8], off: usize) -> ConfigError {
    let (l, c) = line_col(json, off);
    e.at(l, c)
}

/// Gives a semantic error (path set, no position yet) the position its path names:
/// the member's key for an object member, else the value.
pub(crate) fn locate(e: ConfigError, json: &[u8]) -> ConfigError {
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
pub(crate) fn position_of_nth(json: &[u8], path: &str, nth: usize) -> Option<usize> {
    let path = path.strip_prefix('.').unwrap_or(path);
    let mut s = Scan { b: json, i: 0 };
    s.ws();
    find(json, s.i, path, 0, &mut { nth })
}

fn find(json: &[u8], at: usize, rest: &str, depth: usize, skip: &mut usize) -> Option<usize> {
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
pub(crate) fn detect_format(json: &[u8]) -> Result<Format, ConfigError> {
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

fn syntax() -> ConfigError {
    ConfigError::semantic(ConfigErrorKind::Syntax, "", "malformed JSON").at(1, 1)
}

// --- the typed walk ----------------------------------------------------------------------

/// What a pass over the document does besides validating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Types, fields, duplicates only.
    Validate,
    /// `allowlist` → [`Builder::allowlist`].
    Allowlist,
    /// `can_reach` keys → [`Builder::compartment`].
    Sources,
    /// `can_reach` values → [`Builder::can_reach`].
    Targets,
    /// Each instance → [`Builder::ruleset`], `allowed_tags`, `instance`.
    Instances,
    /// `proxy`, `misp` → [`Builder::legacy_hosts`].
    Hosts,
    /// Each block rule → [`Builder::ruleset`].
    Rules,
}

/// A string of the document: a range of the input, or (when it had escapes) of the
/// pass's scratch area (high bit of `off` set).
#[derive(Clone, Copy, Debug, Default)]
struct Src {
    off: u32,
    len: u32,
}

const IN_SCRATCH: u32 = 1 << 31;

/// A run of [`Src`]s in [`Batch::items`].
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    start: u16,
    len: u16,
}

/// The lists of one instance / block rule / the allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum L {
    Tags = 0,
    Levels,
    Sgs,
    Types,
    Categories,
    ObjectTypes,
    Required,
}

const LISTS: usize = 7;

struct Batch {
    items: heapless::Vec<Src, BATCH_STRINGS>,
    lists: [Run; LISTS],
    /// `allowed_tags`: taxonomy and its run, in file order.
    allowed: heapless::Vec<(Src, Run), MAX_KEYS>,
    ip: Src,
    host: Src,
    compartment: Src,
    port: u16,
    /// Legacy `proxy` and `misp`.
    hosts: [(Src, u16); 2],
    /// The list where the batch ran full: refused after the builder had its say (it
    /// refuses an over-full policy first, as serde_json's reading would).
    overflow: Option<Path>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            items: heapless::Vec::new(),
            lists: [Run::default(); LISTS],
            allowed: heapless::Vec::new(),
            ip: Src::default(),
            host: Src::default(),
            compartment: Src::default(),
            port: 0,
            hosts: [(Src::default(), 0); 2],
            overflow: None,
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.lists = [Run::default(); LISTS];
        self.allowed.clear();
        self.overflow = None;
    }

    /// The error for a batch that ran full, if it did.
    fn overflowed(&self) -> Result<(), ConfigError> {
        match &self.overflow {
            Some(path) => Err(ConfigError::semantic(
                ConfigErrorKind::Capacity,
                path,
                "more than 2048 list entries",
            )),
            None => Ok(()),
        }
    }
}

/// Iterates the strings of a run: what the [`Builder`] consumes.
#[derive(Clone)]
struct Strs<'a> {
    doc: &'a str,
    scratch: &'a str,
    items: core::slice::Iter<'a, Src>,
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.items.next()?;
        Some(text(self.doc, self.scratch, *s))
    }
}

fn text<'a>(doc: &'a str, scratch: &'a str, s: Src) -> &'a str {
    let (base, off) =
        if s.off & IN_SCRATCH != 0 { (scratch, s.off & !IN_SCRATCH) } else { (doc, s.off) };
    base.get(off as usize..(off + s.len) as usize).unwrap_or("")
}

struct Ctx<'de, 'b> {
    doc: &'de str,
    mode: Mode,
    format: Format,
    path: Path,
    /// A detailed error, set before a visitor fails.
    err: Option<(ConfigError, Option<usize>)>,
    b: &'b mut Builder,
    batch: Batch,
    scratch: heapless::String<SCRATCH>,
    /// Offset of the opening quote of the last string read.
    last_at: usize,
}

/// The serde-json-core error type, as seen by the visitors.
type DeErr = serde_json_core::de::Error;

impl<'de, 'b> Ctx<'de, 'b> {
    fn text(&self, s: Src) -> &str {
        text(self.doc, &self.scratch, s)
    }

    /// Records a string borrowed from the document, raw (escapes not decoded): its
    /// offset, or its unescaped copy in the scratch area when it has escapes.
    fn string<E: de::Error>(&mut self, raw: &'de str) -> Result<Src, E> {
        let off = (raw.as_ptr() as usize).wrapping_sub(self.doc.as_ptr() as usize);
        self.last_at = off.saturating_sub(1);
        if !raw.contains('\\') {
            return Ok(Src { off: off as u32, len: raw.len() as u32 });
        }
        let start = self.scratch.len();
        let scratch = &mut self.scratch;
        if unescape_into(raw, |piece| scratch.push_str(piece).ok()).is_none() {
            self.scratch.truncate(start);
            return Err(self.fail(
                ConfigErrorKind::Capacity,
                "strings written with escapes exceed 16 KiB in one instance or rule",
                None,
            ));
        }
        Ok(Src { off: start as u32 | IN_SCRATCH, len: (self.scratch.len() - start) as u32 })
    }

    /// Records the error at the current path (and byte offset, when known).
    fn fail<E: de::Error>(&mut self, kind: ConfigErrorKind, msg: &str, at: Option<usize>) -> E {
        if self.err.is_none() {
            self.err = Some((ConfigError::semantic(kind, &self.path, msg), at));
        }
        E::custom("")
    }

    fn fail_fmt<E: de::Error>(
        &mut self,
        kind: ConfigErrorKind,
        args: core::fmt::Arguments<'_>,
        at: Option<usize>,
    ) -> E {
        let mut m = heapless::String::<200>::new();
        let _ = m.write_fmt(args);
        self.fail(kind, &m, at)
    }

    /// A builder error, kept as is (the position comes from its path).
    fn builder<E: de::Error>(&mut self, e: ConfigError) -> E {
        if self.err.is_none() {
            self.err = Some((e, None));
        }
        E::custom("")
    }

    /// Starts a batch (one instance, block rule or `can_reach` list): empty lists, and
    /// the scratch length to return to when it is built.
    fn begin_batch(&mut self) -> usize {
        self.batch.clear();
        self.scratch.len()
    }

    /// Ends a batch: its unescaped strings are no longer needed.
    fn end_batch(&mut self, scratch: usize) {
        self.scratch.truncate(scratch);
    }

    fn push_key(&mut self, key: &str) -> usize {
        let n = self.path.len();
        if n > 0 {
            let _ = self.path.push('.');
        }
        push_cut(&mut self.path, key);
        n
    }

    fn push_index(&mut self, i: usize) -> usize {
        let n = self.path.len();
        let _ = write!(self.path, "[{i}]");
        n
    }

    fn pop(&mut self, n: usize) {
        self.path.truncate(n);
    }

    /// The final error, positioned.
    fn into_error(self, e: DeErr) -> ConfigError {
        let json = self.doc.as_bytes();
        match self.err {
            Some((err, Some(off))) => at_offset(err, json, off),
            Some((err, None)) => locate(err, json),
            None => {
                let (kind, msg) = match e {
                    DeErr::InvalidType => (ConfigErrorKind::WrongType, "invalid type"),
                    DeErr::EscapedStringIsTooLong => (
                        ConfigErrorKind::Capacity,
                        "string with escapes longer than 1024 bytes after unescaping",
                    ),
                    DeErr::InvalidNumber => (ConfigErrorKind::Invalid, "invalid number"),
                    _ => (ConfigErrorKind::Syntax, "malformed JSON"),
                };
                locate(ConfigError::semantic(kind, &self.path, msg), json)
            }
        }
    }

    /// The number token at the current path (a non-string scalar was seen there).
    fn scalar_at_path(&self) -> Option<(usize, &'de str)> {
        let json = self.doc.as_bytes();
        let at = position_of_path(json, &self.path)?;
        // The path names the key of a member: skip `"key" :`.
        let mut s = Scan { b: json, i: at };
        if s.peek() == Some(b'"') && !self.path.ends_with(']') {
            s.key().ok()?;
        }
        s.ws();
        let start = s.i;
        match s.peek()? {
            b'-' | b'0'..=b'9' => {
                let (a, e) = s.number().ok()?;
                Some((a, self.doc.get(a..e)?))
            }
            _ => {
                s.literal().ok()?;
                Some((start, self.doc.get(start..s.i)?))
            }
        }
    }
}

/// Seeds share the context.
macro_rules! seed {
    ($name:ident) => {
        struct $name<'c, 'de, 'b> {
            ctx: &'c mut Ctx<'de, 'b>,
        }
    };
}

// strings -------------------------------------------------------------------------------

seed!(StrSeed);

impl<'de> DeserializeSeed<'de> for StrSeed<'_, 'de, '_> {
    type Value = Src;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Src, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for StrSeed<'_, 'de, '_> {
    type Value = Src;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Src, E> {
        self.ctx.string(v)
    }
}

/// Reads a string value; a value of another type is a [`ConfigErrorKind::WrongType`].
fn string<'de, A: MapAccess<'de>>(m: &mut A, ctx: &mut Ctx<'de, '_>) -> Result<Src, A::Error> {
    match m.next_value_seed(StrSeed { ctx: &mut *ctx }) {
        Ok(s) => Ok(s),
        Err(e) => Err(wrong_type(ctx, e, "a string")),
    }
}

/// Turns a bare serde-json-core `InvalidType` into a positioned WrongType (unless a
/// visitor recorded a more precise error already).
fn wrong_type<E: de::Error>(ctx: &mut Ctx<'_, '_>, e: E, expected: &str) -> E {
    if ctx.err.is_some() {
        return e;
    }
    type_error(ctx, expected)
}

/// `invalid type: FOUND, expected EXPECTED` at the current path, FOUND worded as
/// serde_json words it (see [`found`]).
fn type_error<E: de::Error>(ctx: &mut Ctx<'_, '_>, expected: &str) -> E {
    let what = found(ctx);
    ctx.fail_fmt(
        ConfigErrorKind::WrongType,
        format_args!("invalid type: {what}, expected {expected}"),
        None,
    )
}

/// What the value at the current path is, for messages, in serde's words: `string
/// "x"`, ``integer `5` ``, ``floating point `1.5` `` (as written), ``boolean `true` ``,
/// `null`, `sequence`, `map`.
fn found(ctx: &Ctx<'_, '_>) -> heapless::String<96> {
    let mut out = heapless::String::new();
    let json = ctx.doc.as_bytes();
    let Some(at) = position_of_path(json, &ctx.path) else {
        let _ = out.push_str("another type");
        return out;
    };
    let mut s = Scan { b: json, i: at };
    // The path names the key of a member: skip `"key" :`.
    if s.peek() == Some(b'"') && !ctx.path.ends_with(']') && s.key().is_err() {
        let _ = out.push_str("another type");
        return out;
    }
    s.ws();
    let start = s.i;
    let _ = match s.peek() {
        Some(b'"') => match s.string() {
            Ok((a, e)) => quoted(&mut out, ctx.doc.get(a..e).unwrap_or("")),
            Err(_) => out.push_str("string"),
        },
        Some(b'-' | b'0'..=b'9') => match s.number() {
            Ok((a, e)) => {
                let tok = ctx.doc.get(a..e).unwrap_or("");
                // serde_json reads an integer that fits 64 bits as one, else a float
                let int = tok.parse::<u64>().is_ok() || tok.parse::<i64>().is_ok();
                let name = if int { "integer" } else { "floating point" };
                write!(out, "{name} `{tok}`").map_err(|_| ())
            }
            Err(_) => out.push_str("number"),
        },
        Some(b't' | b'f') => {
            let _ = s.literal();
            let lit = ctx.doc.get(start..s.i).unwrap_or("");
            write!(out, "boolean `{lit}`").map_err(|_| ())
        }
        Some(b'n') => out.push_str("null"),
        Some(b'[') => out.push_str("sequence"),
        Some(b'{') => out.push_str("map"),
        _ => out.push_str("another type"),
    };
    out
}

/// `string "…"`: the unescaped value quoted as Rust's `Debug` does (serde's wording),
/// cut with `…` past 64 bytes.
fn quoted(out: &mut heapless::String<96>, raw: &str) -> Result<(), ()> {
    out.push_str("string \"")?;
    let mut cut = false;
    let _ = unescape_into(raw, |piece| {
        for c in piece.chars().flat_map(char::escape_debug) {
            if out.len() + c.len_utf8() > 64 + 8 {
                cut = true;
                return None;
            }
            out.push(c).ok()?;
        }
        Some(())
    });
    if cut {
        out.push('…')?;
    }
    out.push('"')
}

// scalars read by the scanner (numbers) ---------------------------------------------------

/// A non-string scalar (number, literal) or a string: what `deserialize_ignored_any`
/// reports. Containers are refused.
enum Scalar {
    Str(Src),
    Other,
}

seed!(ScalarSeed);

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_, 'de, '_> {
    type Value = Scalar;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_ignored_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_, 'de, '_> {
    type Value = Scalar;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar, E> {
        self.ctx.string(v).map(Scalar::Str)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
        Err(de::Error::custom("")) // worded by the caller, which knows what it expected
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
        Err(de::Error::custom(""))
    }
}

/// An integer token: `Ok(Some(n))`, `Ok(None)` when negative, `Err` when not an integer
/// that fits `u64` (serde_json then reads a float).
fn integer(tok: &str) -> Result<Option<u64>, ()> {
    if let Some(rest) = tok.strip_prefix('-') {
        return if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            Ok(None)
        } else {
            Err(())
        };
    }
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    tok.parse::<u64>().map(Some).map_err(|_| ())
}

/// `port`: an integer 0..=65535, as serde's `u16`.
fn port<'de, A: MapAccess<'de>>(m: &mut A, ctx: &mut Ctx<'de, '_>) -> Result<u16, A::Error> {
    let v =
        m.next_value_seed(ScalarSeed { ctx: &mut *ctx }).map_err(|e| wrong_type(ctx, e, "u16"))?;
    let (Scalar::Other, Some((_, tok))) = (v, ctx.scalar_at_path()) else {
        return Err(type_error(ctx, "u16"));
    };
    match integer(tok) {
        Ok(Some(n)) if n <= u64::from(u16::MAX) => Ok(n as u16),
        Ok(_) => Err(ctx.fail_fmt(
            ConfigErrorKind::Invalid,
            format_args!("invalid value: integer `{tok}`, expected u16"),
            None,
        )),
        Err(()) => Err(type_error(ctx, "u16")),
    }
}

// lists -----------------------------------------------------------------------------------

/// A list of strings (or of distribution levels) at the current path; collected into
/// the batch when `keep`.
struct ListSeed<'c, 'de, 'b> {
    ctx: &'c mut Ctx<'de, 'b>,
    keep: bool,
    levels: bool,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, 'de, '_> {
    type Value = Run;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Run, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, 'de, '_> {
    type Value = Run;
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Run, A::Error> {
        let ctx = self.ctx;
        let start = ctx.batch.items.len();
        for i in 0.. {
            let mark = ctx.push_index(i);
            let item = if self.levels {
                match seq.next_element_seed(ScalarSeed { ctx: &mut *ctx }) {
                    Ok(Some(Scalar::Str(s))) => Some(s),
                    Ok(Some(Scalar::Other)) => Some(level_token(ctx)?),
                    Ok(None) => None,
                    Err(e) => return Err(wrong_type(ctx, e, LEVEL)),
                }
            } else {
                match seq.next_element_seed(StrSeed { ctx: &mut *ctx }) {
                    Ok(v) => v,
                    Err(e) => return Err(wrong_type(ctx, e, "a string")),
                }
            };
            let Some(s) = item else {
                ctx.pop(mark);
                break;
            };
            if self.keep && ctx.batch.items.push(s).is_err() && ctx.batch.overflow.is_none() {
                // More than the policy holds in all: refused at the list (see
                // `Batch::overflow`).
                let mut list = ctx.path.clone();
                list.truncate(mark);
                ctx.batch.overflow = Some(list);
            }
            ctx.pop(mark);
        }
        let len = ctx.batch.items.len() - start;
        Ok(Run { start: start as u16, len: len as u16 })
    }
}

/// What a distribution level is.
const LEVEL: &str = "a distribution level (a string or an integer)";

/// A numeric distribution level: its decimal text (as a string level is written).
fn level_token<E: de::Error>(ctx: &mut Ctx<'_, '_>) -> Result<Src, E> {
    match ctx.scalar_at_path() {
        // JSON integers have no leading zeros: the token is the decimal rendering.
        Some((at, tok)) if matches!(integer(tok), Ok(Some(_))) => {
            Ok(Src { off: at as u32, len: tok.len() as u32 })
        }
        _ => Err(type_error(ctx, LEVEL)),
    }
}

fn list<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
    keep: bool,
    levels: bool,
) -> Result<Run, A::Error> {
    m.next_value_seed(ListSeed { ctx: &mut *ctx, keep, levels })
        .map_err(|e| wrong_type(ctx, e, "a sequence"))
}

// objects ---------------------------------------------------------------------------------

/// Walks an object with fixed fields: `on(map, ctx, field index)` reads each value.
/// Unknown fields are skipped (see [`super::keys`]), duplicate fields are refused at
/// their key, missing required ones (`required`: bit per field) at the object.
fn fields<'de, 'b, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, 'b>,
    names: &[&'static str],
    required: u32,
    mut on: impl FnMut(&mut A, &mut Ctx<'de, 'b>, usize) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32;
    while let Some(k) = m.next_key_seed(StrSeed { ctx: &mut *ctx })? {
        let key_at = Some(ctx.last_at);
        let mark = ctx.push_key_src(k);
        let Some(i) = names.iter().position(|n| *n == ctx.text(k)) else {
            // Not read: an annotation `keys::check_keys` recorded (it refused the
            // misspellings before this walk).
            m.next_value::<de::IgnoredAny>()?;
            ctx.pop(mark);
            continue;
        };
        if seen & (1 << i) != 0 {
            return Err(ctx.fail_fmt(
                ConfigErrorKind::Invalid,
                format_args!("duplicate field `{}`", names[i]),
                key_at,
            ));
        }
        seen |= 1 << i;
        on(m, ctx, i)?;
        ctx.pop(mark);
    }
    let missing = required & !seen;
    if missing != 0 {
        let name = names[missing.trailing_zeros() as usize];
        return Err(ctx.fail_fmt(
            ConfigErrorKind::MissingField,
            format_args!("missing field `{name}`"),
            None,
        ));
    }
    Ok(())
}

impl Ctx<'_, '_> {
    fn push_key_src(&mut self, k: Src) -> usize {
        let mut tmp = heapless::String::<160>::new();
        push_cut(&mut tmp, self.text(k));
        self.push_key(&tmp)
    }
}

/// Walks an object with free-form keys (kept in file order), refusing duplicates;
/// `on(map, ctx, key)` reads each value, with the key on the path.
fn entries<'de, 'b, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, 'b>,
    mut on: impl FnMut(&mut A, &mut Ctx<'de, 'b>, Src) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut keys = heapless::Vec::<Src, MAX_KEYS>::new();
    let object = position_of_path(ctx.doc.as_bytes(), &ctx.path);
    while let Some(k) = m.next_key_seed(StrSeed { ctx: &mut *ctx })? {
        let key_at = ctx.last_at;
        let dup = if keys.is_full() {
            // past MAX_KEYS keys, the earlier ones are looked up in the document
            object.is_some_and(|o| key_before(ctx.doc, o, key_at, ctx.text(k)))
        } else {
            keys.iter().any(|o| ctx.text(*o) == ctx.text(k))
        };
        let _ = keys.push(k);
        let key_at = Some(key_at);
        let mark = ctx.push_key_src(k);
        if dup {
            let mut msg = heapless::String::<200>::new();
            let _ = write!(msg, "duplicate key `");
            push_cut(&mut msg, ctx.text(k));
            let _ = msg.push('`');
            return Err(ctx.fail(ConfigErrorKind::Invalid, &msg, key_at));
        }
        on(m, ctx, k)?;
        ctx.pop(mark);
    }
    Ok(())
}

/// Whether the object member whose key is at `object` (`"name": {…}`) has the key
/// `want` (unescaped) before offset `until`.
fn key_before(doc: &str, object: usize, until: usize, want: &str) -> bool {
    let mut s = Scan { b: doc.as_bytes(), i: object };
    if s.key().is_err() {
        return false;
    }
    s.ws();
    if s.peek() != Some(b'{') {
        return false;
    }
    s.i += 1;
    loop {
        s.ws();
        if s.i >= until {
            return false;
        }
        let Ok((ks, ke)) = s.key() else { return false };
        let mut rest = want;
        let same = unescape_into(doc.get(ks..ke).unwrap_or(""), |piece| {
            rest = rest.strip_prefix(piece)?;
            Some(())
        });
        if same.is_some() && rest.is_empty() {
            return true;
        }
        if s.value().is_err() {
            return false;
        }
        s.ws();
        if s.peek() != Some(b',') {
            return false;
        }
        s.i += 1;
    }
}

/// A seed whose value is an object read by `$visit(map, ctx)`.
macro_rules! map_seed {
    ($seed:ident, $visit:ident) => {
        seed!($seed);
        impl<'de> DeserializeSeed<'de> for $seed<'_, 'de, '_> {
            type Value = ();
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_map(self)
            }
        }
        impl<'de> Visitor<'de> for $seed<'_, 'de, '_> {
            type Value = ();
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
                $visit(&mut m, self.ctx)
            }
        }
    };
}

/// Reads the current value as an object with `$seed`.
macro_rules! obj {
    ($m:expr, $ctx:expr, $seed:ident) => {
        $m.next_value_seed($seed { ctx: &mut *$ctx }).map_err(|e| wrong_type($ctx, e, "a map"))
    };
}

map_seed!(TopSeed, visit_top);
map_seed!(AllowlistSeed, visit_allowlist);
map_seed!(CompartmentsSeed, visit_compartments);
map_seed!(CanReachSeed, visit_can_reach);
map_seed!(InstancesSeed, visit_instances);
map_seed!(InstanceSeed, visit_instance);
map_seed!(TaxonomiesSeed, visit_taxonomies);
map_seed!(AllowedSeed, visit_allowed);
map_seed!(HostPortSeed, visit_host_port);
map_seed!(BlockRuleSeed, visit_block_rule);

fn strs<'a>(doc: &'a str, scratch: &'a str, items: &'a [Src], r: Run) -> Strs<'a> {
    let run = items.get(r.start as usize..(r.start + r.len) as usize).unwrap_or(&[]);
    Strs { doc, scratch, items: run.iter() }
}

/// `Strs` over the batch list `$l` of `$ctx`, borrowing only the fields it needs.
macro_rules! strs {
    ($ctx:expr, $run:expr) => {
        strs($ctx.doc, &$ctx.scratch, &$ctx.batch.items, $run)
    };
}

fn visit_top<'de, A: MapAccess<'de>>(m: &mut A, ctx: &mut Ctx<'de, '_>) -> Result<(), A::Error> {
    match ctx.format {
        Format::Current => {
            let names = ["allowlist", "compartments_rules", "instances", "endpoints"];
            fields(m, ctx, &names, 0b111, |m, ctx, i| match i {
                0 => obj!(m, ctx, AllowlistSeed),
                1 => obj!(m, ctx, CompartmentsSeed),
                2 => obj!(m, ctx, InstancesSeed),
                _ => {
                    let name = string(m, ctx)?;
                    let list = endpoint_list(ctx.text(name)).map_err(|e| ctx.builder(e))?;
                    ctx.b.endpoints(list);
                    Ok(())
                }
            })
        }
        Format::Legacy => {
            fields(m, ctx, &["proxy", "misp", "block_rules"], 0b111, |m, ctx, i| match i {
                0 | 1 => {
                    ctx.batch.port = i as u16; // which of the two `hosts` slots
                    obj!(m, ctx, HostPortSeed)
                }
                _ => m
                    .next_value_seed(BlockRulesSeed { ctx: &mut *ctx })
                    .map_err(|e| wrong_type(ctx, e, "a sequence")),
            })?;
            if ctx.mode == Mode::Hosts {
                let [(ph, pp), (mh, mp)] = ctx.batch.hosts;
                let (doc, scratch) = (ctx.doc, &ctx.scratch);
                let r =
                    ctx.b.legacy_hosts((text(doc, scratch, ph), pp), (text(doc, scratch, mh), mp));
                r.map_err(|e| ctx.builder(e))?;
            }
            Ok(())
        }
    }
}

fn visit_allowlist<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Allowlist;
    ctx.batch.clear();
    fields(m, ctx, &["urls", "domains"], 0, |m, ctx, i| {
        ctx.batch.lists[i] = list(m, ctx, keep, false)?;
        Ok(())
    })?;
    if keep {
        let (urls, domains) = (ctx.batch.lists[0], ctx.batch.lists[1]);
        let r = ctx.b.allowlist(strs!(ctx, urls), strs!(ctx, domains));
        r.and_then(|()| ctx.batch.overflowed()).map_err(|e| ctx.builder(e))?;
    }
    Ok(())
}

fn visit_compartments<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    fields(m, ctx, &["can_reach"], 0, |m, ctx, _| obj!(m, ctx, CanReachSeed))
}

fn visit_can_reach<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    entries(m, ctx, |m, ctx, k| {
        if ctx.mode == Mode::Sources {
            let name = text(ctx.doc, &ctx.scratch, k);
            ctx.b.compartment(name, &ctx.path).map_err(|e| ctx.builder(e))?;
        }
        let keep = ctx.mode == Mode::Targets;
        let mark = ctx.begin_batch();
        let run = list(m, ctx, keep, false)?;
        if keep {
            ctx.batch.overflowed().map_err(|e| ctx.builder(e))?;
            let from = ctx.b.find_compartment(text(ctx.doc, &ctx.scratch, k)).unwrap_or(0);
            for (i, t) in strs!(ctx, run).enumerate() {
                let Some(to) = ctx.b.find_compartment(t) else {
                    let mut path = ctx.path.clone();
                    let _ = write!(path, "[{i}]");
                    let mut msg = heapless::String::<200>::new();
                    let _ = write!(msg, "unknown compartment `");
                    push_cut(&mut msg, t);
                    let _ = msg.push('`');
                    let e = ConfigError::semantic(ConfigErrorKind::Invalid, &path, &msg);
                    return Err(ctx.builder(e));
                };
                ctx.b.can_reach(from, to);
            }
        }
        ctx.end_batch(mark);
        Ok(())
    })
}

fn visit_instances<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    entries(m, ctx, |m, ctx, k| {
        let mark = ctx.begin_batch();
        obj!(m, ctx, InstanceSeed)?;
        if ctx.mode == Mode::Instances {
            build_instance(ctx, k).map_err(|e| ctx.builder(e))?;
        }
        ctx.end_batch(mark);
        Ok(())
    })
}

const INSTANCE_FIELDS: &[&str] = super::keys::INSTANCE;

fn visit_instance<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    let required = ((1 << INSTANCE_FIELDS.len()) - 1) & !(1 << 4);
    fields(m, ctx, INSTANCE_FIELDS, required, |m, ctx, i| {
        match i {
            0 => ctx.batch.ip = string(m, ctx)?,
            1 => ctx.batch.host = string(m, ctx)?,
            2 => ctx.batch.port = port(m, ctx)?,
            3 => ctx.batch.compartment = string(m, ctx)?,
            4 => opt_string(m, ctx)?,
            5 => obj!(m, ctx, TaxonomiesSeed)?,
            6 => ctx.batch.lists[L::Levels as usize] = list(m, ctx, keep, true)?,
            7 => ctx.batch.lists[L::Sgs as usize] = list(m, ctx, keep, false)?,
            8 => ctx.batch.lists[L::Types as usize] = list(m, ctx, keep, false)?,
            9 => ctx.batch.lists[L::Categories as usize] = list(m, ctx, keep, false)?,
            _ => ctx.batch.lists[L::ObjectTypes as usize] = list(m, ctx, keep, false)?,
        }
        Ok(())
    })
}

fn visit_taxonomies<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    let names = &["required_taxonomies", "allowed_tags", "blocked_tags"];
    fields(m, ctx, names, 0, |m, ctx, i| {
        match i {
            0 => ctx.batch.lists[L::Required as usize] = list(m, ctx, keep, false)?,
            1 => obj!(m, ctx, AllowedSeed)?,
            _ => ctx.batch.lists[L::Tags as usize] = list(m, ctx, keep, false)?,
        }
        Ok(())
    })
}

fn visit_allowed<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Instances;
    entries(m, ctx, |m, ctx, k| {
        let run = list(m, ctx, keep, false)?;
        if keep && ctx.batch.allowed.push((k, run)).is_err() {
            return Err(ctx.fail(ConfigErrorKind::Capacity, "more than 128 keys", None));
        }
        Ok(())
    })
}

/// Feeds one collected instance to the builder.
fn build_instance(ctx: &mut Ctx<'_, '_>, k: Src) -> Result<(), ConfigError> {
    let (doc, scratch) = (ctx.doc, &ctx.scratch);
    let bt = &ctx.batch;
    let t = |s: Src| text(doc, scratch, s);
    let l = |which: L| strs(doc, scratch, &bt.items, bt.lists[which as usize]);
    let path: &str = &ctx.path;
    let name = t(k);
    let comp = ctx.b.find_compartment(t(bt.compartment)).ok_or_else(|| {
        let mut p = Path::new();
        let _ = write!(p, "{path}.compartment_id");
        let mut msg = heapless::String::<200>::new();
        let _ = write!(msg, "unknown compartment `");
        push_cut(&mut msg, t(bt.compartment));
        let _ = msg.push('`');
        ConfigError::semantic(ConfigErrorKind::Invalid, &p, &msg)
    })?;
    let id = ctx.b.ruleset(RuleSetSpec {
        name,
        path,
        blocked_tags: l(L::Tags),
        blocked_levels: l(L::Levels),
        blocked_sgs: l(L::Sgs),
        blocked_types: l(L::Types),
        blocked_categories: l(L::Categories),
        blocked_object_types: l(L::ObjectTypes),
        required: l(L::Required),
    })?;
    for &(tax, run) in bt.allowed.iter() {
        let mut p = heapless::String::<256>::new();
        let _ = write!(p, "{path}.taxonomies_rules.allowed_tags.");
        push_cut(&mut p, t(tax));
        ctx.b.allowed_tags(id, t(tax), strs(doc, scratch, &bt.items, run), &p)?;
    }
    ctx.b.instance(name, t(bt.ip), t(bt.host), bt.port, comp, path)?;
    bt.overflowed()
}

// `Option<String>`: `null` or a string.
seed!(OptStrSeed);

impl<'de> DeserializeSeed<'de> for OptStrSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptStrSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a string or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        StrSeed { ctx: self.ctx }.deserialize(d).map(|_| ())
    }
}

fn opt_string<'de, A: MapAccess<'de>>(m: &mut A, ctx: &mut Ctx<'de, '_>) -> Result<(), A::Error> {
    m.next_value_seed(OptStrSeed { ctx: &mut *ctx }).map_err(|e| wrong_type(ctx, e, "a string"))
}

// legacy ----------------------------------------------------------------------------------

fn visit_host_port<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let slot = ctx.batch.port as usize & 1;
    fields(m, ctx, &["host", "port"], 0b11, |m, ctx, i| {
        match i {
            0 => ctx.batch.hosts[slot].0 = string(m, ctx)?,
            _ => ctx.batch.hosts[slot].1 = port(m, ctx)?,
        }
        Ok(())
    })
}

seed!(BlockRulesSeed);

impl<'de> DeserializeSeed<'de> for BlockRulesSeed<'_, 'de, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BlockRulesSeed<'_, 'de, '_> {
    type Value = ();
    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        for i in 0.. {
            let mark = ctx.push_index(i);
            let scratch = ctx.begin_batch();
            match seq.next_element_seed(BlockRuleSeed { ctx: &mut *ctx }) {
                Ok(Some(())) => {}
                Ok(None) => {
                    ctx.pop(mark);
                    break;
                }
                Err(e) => return Err(wrong_type(ctx, e, "a map")),
            }
            if ctx.mode == Mode::Rules {
                build_rule(ctx).map_err(|e| ctx.builder(e))?;
            }
            ctx.end_batch(scratch);
            ctx.pop(mark);
        }
        Ok(())
    }
}

const RULE_FIELDS: &[&str] = super::keys::RULE;

fn visit_block_rule<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    let keep = ctx.mode == Mode::Rules;
    fields(m, ctx, RULE_FIELDS, 0b1, |m, ctx, i| {
        match i {
            0 => ctx.batch.ip = string(m, ctx)?, // the rule id
            1 => opt_string(m, ctx)?,
            2 => ctx.batch.lists[L::Tags as usize] = list(m, ctx, keep, false)?,
            3 => ctx.batch.lists[L::Levels as usize] = list(m, ctx, keep, true)?,
            4 => ctx.batch.lists[L::Sgs as usize] = list(m, ctx, keep, false)?,
            5 => ctx.batch.lists[L::Types as usize] = list(m, ctx, keep, false)?,
            6 => ctx.batch.lists[L::Categories as usize] = list(m, ctx, keep, false)?,
            _ => ctx.batch.lists[L::ObjectTypes as usize] = list(m, ctx, keep, false)?,
        }
        Ok(())
    })
}

/// Feeds one collected block rule to the builder (path `block_rules[i]`).
fn build_rule(ctx: &mut Ctx<'_, '_>) -> Result<(), ConfigError> {
    let (doc, scratch) = (ctx.doc, &ctx.scratch);
    let bt = &ctx.batch;
    let l = |which: L| strs(doc, scratch, &bt.items, bt.lists[which as usize]);
    ctx.b.ruleset(RuleSetSpec {
        name: text(doc, scratch, bt.ip),
        path: &ctx.path,
        blocked_tags: l(L::Tags),
        blocked_levels: l(L::Levels),
        blocked_sgs: l(L::Sgs),
        blocked_types: l(L::Types),
        blocked_categories: l(L::Categories),
        blocked_object_types: l(L::ObjectTypes),
        required: strs(doc, scratch, &[], Run::default()),
    })?;
    bt.overflowed()
}
