//! Content decoding, bounded: identity | gzip | deflate | br, as one streaming stage.
//!
//! # Contract
//!
//! [`Decoder::feed`] takes the next encoded chunk (any size, one byte at a time
//! included) and calls `sink` with each decoded piece, in order. A `sink` returning
//! `false` means "stop, the consumer has its verdict": the decoder stops at once and
//! every later `feed`/`finish` returns `Ok(())` without doing any work.
//! [`Decoder::finish`] checks that the stream ended properly: a truncated stream is an
//! error, never a pass. Errors are sticky: once a call failed, every later call
//! returns the same error.
//!
//! # Bounds
//!
//! * Output is bounded in total ([`Limits::max_decoded`]) and in ratio to the encoded
//!   bytes consumed so far ([`Limits::max_ratio`], checked once the output exceeds
//!   [`RATIO_GRACE`](crate::limits::RATIO_GRACE)). Both are checked *before* each decoded piece reaches `sink`,
//!   and a piece is at most [`WINDOW`](crate::limits::WINDOW) bytes, so a bomb is refused after at most one
//!   window of work and no byte past a limit is ever delivered.
//! * Memory is fixed per decoder and allocated when it is created: gzip/deflate use a
//!   [`WINDOW`](crate::limits::WINDOW) (32 KiB, the deflate maximum) wrapping output window plus miniz_oxide's
//!   decompressor state (about 11 KiB). Brotli uses a [`WINDOW`](crate::limits::WINDOW) output buffer plus the
//!   `brotli-decompressor` state, whose ring buffer is sized from the stream header
//!   on the first meta-block: at most 16 MiB (RFC 7932 `WBITS` ≤ 24); the
//!   large-window extension (up to 1 GiB) is refused.
//!
//! # Strictness (fail closed)
//!
//! * gzip (RFC 1952): the header is parsed here, including `FEXTRA`, `FNAME`,
//!   `FCOMMENT` (skipped without buffering, whatever their length) and `FHCRC`
//!   (verified). Reserved flag bits and compression methods other than 8 are refused.
//!   The trailer's CRC-32 and `ISIZE` are verified. **Exactly one member** is
//!   accepted: a second member, padding or any other byte after the first member's
//!   trailer is refused. Readers disagree on such bodies (Python's `gzip` decodes all
//!   members, PHP's `gzdecode` and many proxies only the first), so a guard that
//!   decoded either one could be shown different content than MISP reads.
//! * deflate: a zlib (RFC 1950) stream when the first two bytes form a valid zlib
//!   header (Adler-32 verified), otherwise a raw RFC 1951 stream (as browsers and curl
//!   accept). A preset dictionary is refused. Bytes after the end are refused.
//! * br (RFC 7932): bytes after the end of the stream are refused.
//! * An empty body (no encoded byte at all) decodes to an empty body, as mitmproxy
//!   (which misp-guard runs in) does; the rule machine then judges the empty body.
//!   A body that starts a stream but does not complete it is truncated, hence refused.
//! * Stacked (`gzip, br`) and unknown encodings are refused by [`Encoding::parse`].

//!
//! # Without the `decode` feature
//!
//! [`Encoding`], [`Limits`] and [`DecodeError`] stay (a `no_std` embedder reads the
//! same headers and bounds); the [`Decoder`] is not built, and a guard refuses every
//! `Content-Encoding` but identity.

use core::fmt;

use crate::policy::Side;
use crate::verdict::{Block, Reason};

#[cfg(feature = "decode")]
mod stream;
use crate::limits::{DEFAULT_MAX_BODY, DEFAULT_MAX_RATIO};
#[cfg(feature = "decode")]
pub use stream::Decoder;

/// A supported `Content-Encoding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// No encoding.
    Identity,
    /// `gzip` / `x-gzip` (RFC 1952).
    Gzip,
    /// `deflate` (RFC 1950 zlib; raw RFC 1951 accepted as browsers do).
    Deflate,
    /// `br` (RFC 7932).
    Brotli,
}

impl Encoding {
    /// Parses a `Content-Encoding` value (case-insensitive, surrounding whitespace
    /// ignored). Stacked (`gzip, br`) or unknown encodings are refused.
    pub fn parse(v: &[u8]) -> Result<Encoding, ()> {
        let s = v.trim_ascii();
        let is = |name: &str| s.eq_ignore_ascii_case(name.as_bytes());
        if s.is_empty() || is("identity") {
            Ok(Encoding::Identity)
        } else if is("gzip") || is("x-gzip") {
            Ok(Encoding::Gzip)
        } else if is("deflate") {
            Ok(Encoding::Deflate)
        } else if is("br") {
            Ok(Encoding::Brotli)
        } else {
            Err(())
        }
    }
}

/// Bounds on a body: its size as sent, and its decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most body bytes as sent (before any decoding), identity bodies included; past it
    /// the guard refuses the body (`body_too_large`) whatever else it found.
    pub max_body: u64,
    /// Most decoded bytes.
    pub max_decoded: u64,
    /// Most decoded bytes per encoded byte consumed (checked once output exceeds
    /// [`RATIO_GRACE`](crate::limits::RATIO_GRACE)).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body: DEFAULT_MAX_BODY, max_decoded: 256 << 20, max_ratio: DEFAULT_MAX_RATIO }
    }
}

/// Why decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The stream is corrupt (or truncated at `finish`); the text says how.
    Corrupt(&'static str),
    /// More than [`Limits::max_decoded`] bytes (carries that limit).
    TooLarge(u64),
    /// Ratio above [`Limits::max_ratio`] (carries that limit).
    Ratio(u64),
}

impl DecodeError {
    /// The refusal for this error.
    pub fn into_block(self, side: Side) -> Block {
        match self {
            DecodeError::Corrupt(why) => Block::new(Reason::DecodeError, side).with_detail(why),
            DecodeError::TooLarge(n) => {
                Block::new(Reason::DecodedTooLarge, side).with_detail_fmt(format_args!("{n}"))
            }
            DecodeError::Ratio(n) => {
                Block::new(Reason::RatioExceeded, side).with_detail_fmt(format_args!("{n}"))
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Corrupt(why) => write!(f, "corrupt encoded body: {why}"),
            DecodeError::TooLarge(n) => write!(f, "decoded body larger than {n} bytes"),
            DecodeError::Ratio(n) => write!(f, "decoded body exceeds compression ratio {n}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}
