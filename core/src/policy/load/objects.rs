//! Object walkers: fixed fields (duplicates refused at their key, missing required
//! ones at the object, unknown ones skipped), and free-form keys in file order
//! (duplicates refused); the seed macros of the schema walk.

use core::fmt::Write as _;

use serde::de::{self, MapAccess};

use super::batch::Src;
use super::ctx::Ctx;
use super::locate::member_value;
use super::scan::{unescape_into, Scan};
use super::values::StrSeed;
use crate::limits::MAX_KEYS;
use crate::policy::error::push_cut;
use crate::policy::ConfigErrorKind;

// objects ---------------------------------------------------------------------------------

/// Walks an object with fixed fields: `on(map, ctx, field index)` reads each value.
/// Unknown fields are skipped (see [`super::keys`]), duplicate fields are refused at
/// their key, missing required ones (`required`: bit per field) at the object.
pub(super) fn fields<'de, 'b, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, 'b>,
    names: &[&'static str],
    required: u32,
    mut on: impl FnMut(&mut A, &mut Ctx<'de, 'b>, usize) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut seen = 0u32;
    while let Some(k) = m.next_key_seed(StrSeed { ctx: &mut *ctx })? {
        let key_at = Some(ctx.last_at);
        ctx.value_at = member_value(ctx.doc.as_bytes(), ctx.last_at);
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

/// Walks an object with free-form keys (kept in file order), refusing duplicates;
/// `on(map, ctx, key)` reads each value, with the key on the path.
pub(super) fn entries<'de, 'b, A: MapAccess<'de>>(
    m: &mut A,
    ctx: &mut Ctx<'de, 'b>,
    mut on: impl FnMut(&mut A, &mut Ctx<'de, 'b>, Src) -> Result<(), A::Error>,
) -> Result<(), A::Error> {
    let mut keys = heapless::Vec::<Src, MAX_KEYS>::new();
    let object = ctx.value_at;
    while let Some(k) = m.next_key_seed(StrSeed { ctx: &mut *ctx })? {
        let key_at = ctx.last_at;
        ctx.value_at = member_value(ctx.doc.as_bytes(), key_at);
        let dup = if keys.is_full() {
            // past MAX_KEYS keys, the earlier ones are looked up in the document
            key_before(ctx.doc, object, key_at, ctx.text(k))
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

/// Whether the object at `object` (its `{`) has the key `want` (unescaped) before
/// offset `until`.
pub(super) fn key_before(doc: &str, object: usize, until: usize, want: &str) -> bool {
    let mut s = Scan { b: doc.as_bytes(), i: object };
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
pub(super) use {map_seed, obj};
