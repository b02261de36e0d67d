//! The content decoders (gzip, deflate, br) with small limits.
//!
//! Input: byte 0 = encoding (bits 0-1: gzip, deflate, br, gzip) | round-trip (bit 2) |
//! chunk size class (bits 3-4); bytes 1-2 = `max_decoded` (little endian, 0..=65535);
//! the rest is the payload. Round-trip: the payload is compressed by a real encoder
//! first (flate2 / brotli) and fed compressed; otherwise it is fed as it is.
//!
//! Properties:
//! * no panic; no more than `max_decoded` bytes ever reach the sink, and no piece is
//!   larger than `WINDOW`;
//! * the result does not depend on the chunking (one chunk vs chunks of 1..=N bytes),
//!   nor do the decoded bytes (on an error: the bytes delivered before it are a
//!   prefix of the same stream, their number may differ);
//! * errors are sticky (a later `feed`/`finish` returns the same error);
//! * once the sink says stop, it is never called again;
//! * round-trip: the output equals the payload when it fits, else `TooLarge` after
//!   delivering a prefix of it.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use misp_guard_core::{decode::{DecodeError, Decoder, Encoding, Limits}, limits::WINDOW};
use misp_guard_fuzz::chunks;

fn run(
    enc: Encoding,
    limits: Limits,
    input: &[u8],
    max_chunk: usize,
    stop_after: Option<usize>,
) -> (Vec<u8>, Result<(), DecodeError>) {
    let mut d = Decoder::new(enc, limits);
    let mut out = Vec::new();
    let mut calls = 0usize;
    let mut stopped = false;
    let mut sink = |piece: &[u8]| -> bool {
        assert!(!stopped, "sink called after it said stop");
        assert!(piece.len() <= WINDOW, "piece of {} bytes", piece.len());
        out.extend_from_slice(piece);
        assert!(out.len() as u64 <= limits.max_decoded, "over the bound: {}", out.len());
        calls += 1;
        if stop_after.is_some_and(|n| calls >= n) {
            stopped = true;
            return false;
        }
        true
    };
    let mut res = Ok(());
    for ch in chunks(input, max_chunk, input.len() as u64 ^ 0x9e37_79b9_7f4a_7c15) {
        res = d.feed(ch, &mut sink);
        if res.is_err() {
            break;
        }
    }
    if res.is_ok() {
        res = d.finish(&mut sink);
    }
    if let Err(e) = res {
        assert_eq!(d.feed(b"x", &mut sink), Err(e), "error not sticky (feed)");
        assert_eq!(d.finish(&mut sink), Err(e), "error not sticky (finish)");
    }
    assert!(d.decoded() <= limits.max_decoded);
    (out, res)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let ctl = data[0];
    let enc =
        [Encoding::Gzip, Encoding::Deflate, Encoding::Brotli, Encoding::Gzip][(ctl & 3) as usize];
    let roundtrip = ctl & 4 != 0;
    let max_chunk = [1usize, 5, 200, 4096][((ctl >> 3) & 3) as usize];
    let limits =
        Limits { max_decoded: u16::from_le_bytes([data[1], data[2]]) as u64, max_ratio: 4, ..Limits::default() };
    let payload = &data[3..];
    let input = if roundtrip {
        match enc {
            Encoding::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(payload).unwrap();
                e.finish().unwrap()
            }
            Encoding::Deflate => {
                if ctl & 0x20 != 0 {
                    let mut e =
                        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(payload).unwrap();
                    e.finish().unwrap()
                } else {
                    let mut e =
                        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
                    e.write_all(payload).unwrap();
                    e.finish().unwrap()
                }
            }
            _ => {
                let mut out = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 3, 18);
                    w.write_all(payload).unwrap();
                }
                out
            }
        }
    } else {
        payload.to_vec()
    };

    let (whole, r1) = run(enc, limits, &input, usize::MAX, None);
    let (split, r2) = run(enc, limits, &input, max_chunk, None);
    assert_eq!(r1, r2, "chunking changed the result");
    if r1.is_ok() {
        assert_eq!(whole, split, "chunking changed the output");
    } else {
        // before an error, how much was delivered depends on the piece sizes (a piece
        // over the bound is refused whole); what was delivered is the same stream
        let (short, long) =
            if whole.len() <= split.len() { (&whole, &split) } else { (&split, &whole) };
        assert!(long.starts_with(short), "chunking changed the delivered bytes");
    }

    // stopping early: at most `n` sink calls, then silence
    let _ = run(enc, limits, &input, max_chunk, Some(1));

    if roundtrip {
        // the ratio bound applies only past RATIO_GRACE (1 MiB): not reached here
        if payload.len() as u64 <= limits.max_decoded {
            assert_eq!(r1, Ok(()), "round-trip failed");
            assert_eq!(whole, payload, "round-trip output differs");
        } else {
            assert_eq!(r1, Err(DecodeError::TooLarge(limits.max_decoded)));
            assert!(payload.starts_with(&whole), "delivered bytes are not a prefix");
        }
    }
});
