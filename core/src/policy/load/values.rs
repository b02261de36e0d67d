//! Typed readers of one value at the current path: strings (borrowed, unescaped
//! when they have escapes), ports and distribution levels (numbers read from the
//! document), lists of strings, optional strings; and the wording of a wrong type
//! (serde's: `invalid type: string "x", expected u16`).

use core::fmt::Write as _;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::batch::{Run, Src, L};
use super::ctx::{seed, Ctx};
use super::locate::next_element;
use super::scan::{unescape_into, Scan};
use crate::policy::ConfigErrorKind;

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
pub(super) fn string<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<Src, A::Error> {
    match m.next_value_seed(StrSeed { ctx: &mut *ctx }) {
        Ok(s) => Ok(s),
        Err(e) => Err(wrong_type(ctx, e, "a string")),
    }
}

/// Turns a bare serde-json-core `InvalidType` into a positioned WrongType (unless a
/// visitor recorded a more precise error already).
pub(super) fn wrong_type<E: de::Error>(ctx: &mut Ctx<'_, '_>, e: E, expected: &str) -> E {
    if ctx.err.is_some() {
        return e;
    }
    type_error(ctx, expected)
}

/// `invalid type: FOUND, expected EXPECTED` at the current path, FOUND worded as
/// serde_json words it (see [`found`]).
pub(super) fn type_error<E: de::Error>(ctx: &mut Ctx<'_, '_>, expected: &str) -> E {
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
pub(super) fn found(ctx: &Ctx<'_, '_>) -> heapless::String<96> {
    let mut out = heapless::String::new();
    let json = ctx.doc.as_bytes();
    let mut s = Scan { b: json, i: ctx.value_at };
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
pub(super) fn quoted(out: &mut heapless::String<96>, raw: &str) -> Result<(), ()> {
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
pub(super) enum Scalar {
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
pub(super) fn integer(tok: &str) -> Result<Option<u64>, ()> {
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
pub(super) fn port<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<u16, A::Error> {
    let v =
        m.next_value_seed(ScalarSeed { ctx: &mut *ctx }).map_err(|e| wrong_type(ctx, e, "u16"))?;
    let (Scalar::Other, Some((_, tok))) = (v, ctx.scalar()) else {
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
pub(super) struct ListSeed<'c, 'de, 'b> {
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
        let mut at = ctx.value_at;
        for i in 0.. {
            at = next_element(ctx.doc.as_bytes(), at, i == 0);
            ctx.value_at = at;
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
pub(super) const LEVEL: &str = "a distribution level (a string or an integer)";

/// A numeric distribution level: its decimal text (as a string level is written).
pub(super) fn level_token<E: de::Error>(ctx: &mut Ctx<'_, '_>) -> Result<Src, E> {
    match ctx.scalar() {
        // JSON integers have no leading zeros: the token is the decimal rendering.
        Some((at, tok)) if matches!(integer(tok), Ok(Some(_))) => {
            Ok(Src { off: at as u32, len: tok.len() as u32 })
        }
        _ => Err(type_error(ctx, LEVEL)),
    }
}

/// Reads the rule list `which` (a list of levels, or of strings) into the batch,
/// holding its strings when `keep`.
pub(super) fn rule_list<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
    which: L,
    keep: bool,
) -> Result<(), A::Error> {
    ctx.batch.lists[which as usize] = list(m, ctx, keep, which == L::Levels)?;
    Ok(())
}

pub(super) fn list<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
    keep: bool,
    levels: bool,
) -> Result<Run, A::Error> {
    m.next_value_seed(ListSeed { ctx: &mut *ctx, keep, levels })
        .map_err(|e| wrong_type(ctx, e, "a sequence"))
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

pub(super) fn opt_string<'de, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, '_>,
) -> Result<(), A::Error> {
    m.next_value_seed(OptStrSeed { ctx: &mut *ctx }).map_err(|e| wrong_type(ctx, e, "a string"))
}
