//! Content decoding: round trips against reference encoders (flate2, brotli), every
//! chunking, truncation, corruption, trailing data, bombs, limits, stop and memory.
#![cfg(feature = "decode")]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, RefCell};
use std::alloc::System;
use std::io::{self, Write};
use std::rc::Rc;

use misp_guard_core::{
    decode::{DecodeError, Decoder, Encoding, Limits},
    limits::{RATIO_GRACE, WINDOW},
};

// --- allocation accounting (per thread: tests run in parallel) ------------------------

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + size);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

fn note_free(size: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(size)));
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// (allocations, peak live bytes above the start) while running `f` on this thread.
fn measure<T>(f: impl FnOnce() -> T) -> (T, u64, usize) {
    let a0 = ALLOCS.with(Cell::get);
    let l0 = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(l0));
    let r = f();
    let a = ALLOCS.with(Cell::get) - a0;
    let peak = PEAK.with(Cell::get) - l0;
    (r, a, peak)
}

// --- encoders -------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    Gzip,
    Zlib,
    RawDeflate,
    Brotli,
}

const ALL: [Enc; 4] = [Enc::Gzip, Enc::Zlib, Enc::RawDeflate, Enc::Brotli];

impl Enc {
    fn encoding(self) -> Encoding {
        match self {
            Enc::Gzip => Encoding::Gzip,
            Enc::Zlib | Enc::RawDeflate => Encoding::Deflate,
            Enc::Brotli => Encoding::Brotli,
        }
    }

    /// A streaming encoder writing into `w`.
    fn writer<'w, W: Write + 'w>(self, w: W) -> Box<dyn Finish<W> + 'w> {
        use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
        use flate2::Compression;
        match self {
            Enc::Gzip => Box::new(GzEncoder::new(w, Compression::default())),
            Enc::Zlib => Box::new(ZlibEncoder::new(w, Compression::default())),
            Enc::RawDeflate => Box::new(DeflateEncoder::new(w, Compression::default())),
            Enc::Brotli => Box::new(brotli::CompressorWriter::new(w, 4096, 5, 22)),
        }
    }

    fn encode(self, data: &[u8]) -> Vec<u8> {
        let mut e = self.writer(Vec::new());
        e.write_all(data).unwrap();
        e.done().unwrap()
    }
}

/// Ends an encoder and returns its writer.
trait Finish<W>: Write {
    fn done(self: Box<Self>) -> io::Result<W>;
}

impl<W: Write> Finish<W> for flate2::write::GzEncoder<W> {
    fn done(self: Box<Self>) -> io::Result<W> {
        self.finish()
    }
}
impl<W: Write> Finish<W> for flate2::write::ZlibEncoder<W> {
    fn done(self: Box<Self>) -> io::Result<W> {
        self.finish()
    }
}
impl<W: Write> Finish<W> for flate2::write::DeflateEncoder<W> {
    fn done(self: Box<Self>) -> io::Result<W> {
        self.finish()
    }
}
impl<W: Write> Finish<W> for brotli::CompressorWriter<W> {
    fn done(mut self: Box<Self>) -> io::Result<W> {
        self.flush()?;
        Ok(self.into_inner())
    }
}

// --- helpers --------------------------------------------------------------------------

/// A JSON-ish body of `n` bytes with enough variety to use long back-references
/// (longer than one window) and literals.
fn body(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 64);
    let mut x: u32 = 0x1234_5678;
    out.extend_from_slice(b"{\"Event\":{\"Attribute\":[");
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let s = format!(
            "{{\"type\":\"ip-dst\",\"value\":\"10.{}.{}.{}\",\"category\":\"Network activity\"}},",
            x % 256,
            (x >> 8) % 256,
            (x >> 16) % 256
        );
        out.extend_from_slice(s.as_bytes());
    }
    out.truncate(n);
    out
}

fn limits() -> Limits {
    Limits::default()
}

/// Decodes `chunks` with a fresh decoder; returns the output and the first error.
fn decode_chunks<'a>(
    enc: Encoding,
    lim: Limits,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<u8>, Result<(), DecodeError>) {
    let mut d = Decoder::new(enc, lim);
    let mut out = Vec::new();
    for c in chunks {
        if let Err(e) = d.feed(c, &mut |p| {
            out.extend_from_slice(p);
            true
        }) {
            return (out, Err(e));
        }
    }
    let r = d.finish(&mut |p| {
        out.extend_from_slice(p);
        true
    });
    (out, r)
}

fn decode_by(enc: Encoding, data: &[u8], chunk: usize) -> (Vec<u8>, Result<(), DecodeError>) {
    decode_chunks(enc, limits(), data.chunks(chunk.max(1)))
}

fn is_corrupt(r: &Result<(), DecodeError>) -> bool {
    matches!(r, Err(DecodeError::Corrupt(_)))
}

// --- Encoding::parse ------------------------------------------------------------------

#[test]
fn parse_known_encodings() {
    let ok: &[(&[u8], Encoding)] = &[
        (b"", Encoding::Identity),
        (b"identity", Encoding::Identity),
        (b"gzip", Encoding::Gzip),
        (b"GZip", Encoding::Gzip),
        (b" x-gzip\t", Encoding::Gzip),
        (b"deflate", Encoding::Deflate),
        (b"br", Encoding::Brotli),
        (b"BR", Encoding::Brotli),
    ];
    for (v, e) in ok {
        assert_eq!(Encoding::parse(v), Ok(*e), "{:?}", String::from_utf8_lossy(v));
    }
}

#[test]
fn parse_refuses_unknown_and_stacked() {
    let bad: &[&[u8]] = &[
        b"gzip, br",
        b"gzip,gzip",
        b"br gzip",
        b"deflate, identity",
        b"compress",
        b"x-compress",
        b"zstd",
        b"gzip;q=1",
        b"gz",
        b"brotli",
        b"\xffgzip",
        b"g\0zip",
    ];
    for v in bad {
        assert_eq!(Encoding::parse(v), Err(()), "{:?}", String::from_utf8_lossy(v));
    }
}

// --- round trips, every chunking -------------------------------------------------------

#[test]
fn round_trip_all_encodings_and_chunkings() {
    for n in [0usize, 1, 100, 5_000, 200_000] {
        let data = body(n);
        for enc in ALL {
            let z = enc.encode(&data);
            for chunk in [1usize, 2, 3, 7, 64, 1000, 4096, z.len()] {
                let (out, r) = decode_by(enc.encoding(), &z, chunk);
                assert_eq!(r, Ok(()), "{enc:?} n={n} chunk={chunk}");
                assert!(out == data, "{enc:?} n={n} chunk={chunk}: output differs");
            }
        }
    }
}

#[test]
fn round_trip_every_split_point() {
    let data = body(3_000);
    for enc in ALL {
        let z = enc.encode(&data);
        for k in 0..=z.len() {
            let (out, r) = decode_chunks(enc.encoding(), limits(), [&z[..k], &z[k..]]);
            assert_eq!(r, Ok(()), "{enc:?} split at {k}");
            assert!(out == data, "{enc:?} split at {k}");
        }
    }
}

#[test]
fn pieces_are_at_most_one_window() {
    let data = vec![b' '; 300_000];
    for enc in ALL {
        let z = enc.encode(&data);
        let mut d = Decoder::new(enc.encoding(), limits());
        let mut biggest = 0;
        let mut total = 0;
        d.feed(&z, &mut |p| {
            biggest = biggest.max(p.len());
            total += p.len();
            true
        })
        .unwrap();
        d.finish(&mut |p| {
            total += p.len();
            true
        })
        .unwrap();
        assert_eq!(total, data.len(), "{enc:?}");
        assert!(biggest <= WINDOW, "{enc:?}: piece of {biggest}");
        assert_eq!(d.decoded(), data.len() as u64);
        assert_eq!(d.consumed(), z.len() as u64, "{enc:?}");
    }
}

#[test]
fn identity_passes_through_and_is_bounded() {
    let (out, r) = decode_by(Encoding::Identity, b"{\"a\":1}", 1);
    assert_eq!(r, Ok(()));
    assert_eq!(out, b"{\"a\":1}");
    let lim = Limits { max_decoded: 10, max_ratio: 1000, ..Limits::default() };
    let (out, r) = decode_chunks(Encoding::Identity, lim, [&b"0123456789"[..], b"x"]);
    assert_eq!(r, Err(DecodeError::TooLarge(10)));
    assert_eq!(out, b"0123456789");
}

// --- gzip header fields ----------------------------------------------------------------

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    Enc::RawDeflate.encode(data)
}

fn crc32(b: &[u8]) -> u32 {
    let mut h = flate2::Crc::new();
    h.update(b);
    h.sum()
}

/// A gzip member with the given FLG and optional fields, built by hand.
fn gzip_member(data: &[u8], flg: u8, extra: &[u8], name: &[u8], comment: &[u8]) -> Vec<u8> {
    let mut h = vec![0x1f, 0x8b, 8, flg, 1, 2, 3, 4, 0, 3];
    if flg & 4 != 0 {
        h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        h.extend_from_slice(extra);
    }
    if flg & 8 != 0 {
        h.extend_from_slice(name);
        h.push(0);
    }
    if flg & 16 != 0 {
        h.extend_from_slice(comment);
        h.push(0);
    }
    if flg & 2 != 0 {
        let c = crc32(&h) as u16;
        h.extend_from_slice(&c.to_le_bytes());
    }
    h.extend_from_slice(&raw_deflate(data));
    h.extend_from_slice(&crc32(data).to_le_bytes());
    h.extend_from_slice(&(data.len() as u32).to_le_bytes());
    h
}

#[test]
fn gzip_optional_header_fields() {
    let data = body(2_000);
    let long_name = vec![b'n'; 70_000];
    for flg in 0u8..32 {
        for (extra, name) in
            [(&b"AB\x02\x00hi"[..], &b"event.json"[..]), (&b""[..], &long_name[..])]
        {
            let z = gzip_member(&data, flg, extra, name, b"a comment");
            for chunk in [1, 5, z.len()] {
                let (out, r) = decode_by(Encoding::Gzip, &z, chunk);
                assert_eq!(r, Ok(()), "flg={flg:#x} chunk={chunk}");
                assert!(out == data, "flg={flg:#x} chunk={chunk}");
            }
        }
    }
}

#[test]
fn gzip_header_errors() {
    let data = body(500);
    let good = gzip_member(&data, 2 | 8, b"", b"x", b"");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            {
                let mut z = good.clone();
                z[0] = 0x1e;
                z
            },
            "bad ID1",
        ),
        (
            {
                let mut z = good.clone();
                z[1] = 0x8c;
                z
            },
            "bad ID2",
        ),
        (
            {
                let mut z = good.clone();
                z[2] = 7;
                z
            },
            "bad CM",
        ),
        (
            {
                let mut z = good.clone();
                z[3] |= 0x20;
                z
            },
            "reserved flag",
        ),
        (
            {
                let mut z = good.clone();
                z[12] ^= 1;
                z
            },
            "bad FHCRC",
        ), // 10 + "x\0"
    ];
    for (z, what) in cases {
        for chunk in [1, z.len()] {
            let (out, r) = decode_by(Encoding::Gzip, &z, chunk);
            assert!(is_corrupt(&r), "{what}: {r:?}");
            assert!(out.is_empty(), "{what}: output before the header was accepted");
        }
    }
}

// --- truncation, corruption, trailing data ---------------------------------------------

#[test]
fn every_truncation_is_refused() {
    let data = body(1_500);
    for enc in ALL {
        let z = enc.encode(&data);
        for k in 1..z.len() {
            for chunk in [1, k] {
                let (_, r) = decode_by(enc.encoding(), &z[..k], chunk);
                assert!(is_corrupt(&r), "{enc:?} truncated to {k}/{}: {r:?}", z.len());
            }
        }
    }
}

#[test]
fn empty_bodies() {
    // No byte at all (e.g. `Content-Encoding: gzip` on an empty body): empty output,
    // as mitmproxy decodes it; the rule machine judges the empty body.
    for enc in ALL {
        let (out, r) = decode_chunks(enc.encoding(), limits(), [&b""[..]]);
        assert_eq!(r, Ok(()), "{enc:?}");
        assert!(out.is_empty());
    }
    // An encoded empty payload is fine and decodes to nothing.
    for enc in ALL {
        let z = enc.encode(b"");
        let (out, r) = decode_by(enc.encoding(), &z, 1);
        assert_eq!(r, Ok(()), "{enc:?}");
        assert!(out.is_empty());
    }
    // A gzip header alone (no deflate data, no trailer) is truncated.
    let header_only = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    for chunk in [1, 10] {
        let (out, r) = decode_by(Encoding::Gzip, &header_only, chunk);
        assert!(is_corrupt(&r), "{r:?}");
        assert!(out.is_empty());
    }
}

#[test]
fn gzip_trailer_is_checked() {
    let data = body(4_000);
    let z = Enc::Gzip.encode(&data);
    let n = z.len();
    for (i, what) in [
        (n - 8, "CRC-32"),
        (n - 5, "CRC-32 high byte"),
        (n - 4, "ISIZE"),
        (n - 1, "ISIZE high byte"),
    ] {
        let mut bad = z.clone();
        bad[i] ^= 0x01;
        for chunk in [1, n] {
            let (_, r) = decode_by(Encoding::Gzip, &bad, chunk);
            assert!(is_corrupt(&r), "{what}: {r:?}");
        }
    }
}

#[test]
fn zlib_adler32_is_checked() {
    let data = body(4_000);
    let mut z = Enc::Zlib.encode(&data);
    let n = z.len();
    z[n - 1] ^= 0x80;
    assert_eq!(
        decode_by(Encoding::Deflate, &z, 1).1,
        Err(DecodeError::Corrupt("zlib Adler-32 checksum mismatch"))
    );
}

#[test]
fn corrupt_bodies_are_refused() {
    let data = body(20_000);
    // A flipped byte in the middle of a checksummed stream: either invalid deflate or a
    // checksum mismatch, never a pass.
    for enc in [Enc::Gzip, Enc::Zlib] {
        let z = enc.encode(&data);
        for i in [20, z.len() / 3, z.len() / 2, z.len() - 20] {
            let mut bad = z.clone();
            bad[i] ^= 0x55;
            for chunk in [1, 100, bad.len()] {
                let (_, r) = decode_by(enc.encoding(), &bad, chunk);
                assert!(is_corrupt(&r), "{enc:?} flip at {i}, chunk {chunk}: {r:?}");
            }
        }
    }
    // Invalid raw deflate / brotli streams.
    let bad: &[(Encoding, &[u8])] = &[
        (Encoding::Deflate, &[0x06, 0, 0, 0]),          // block type 3
        (Encoding::Deflate, &[0x00, 0, 0, 0, 0, 0]),    // stored block, LEN != ~NLEN
        (Encoding::Deflate, &[0x78, 0xbb, 0, 0, 0, 0]), // zlib with FDICT
        (Encoding::Brotli, &[0x11, 0, 0, 0, 0]),        // large-window marker
        (Encoding::Brotli, &[0xff; 32]),
        (Encoding::Brotli, &[0x0b, 0x02, 0x80, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (enc, z) in bad {
        for chunk in [1, z.len()] {
            let (_, r) = decode_by(*enc, z, chunk);
            assert!(is_corrupt(&r), "{enc:?} {z:?}: {r:?}");
        }
    }
}

#[test]
fn trailing_data_and_second_members_are_refused() {
    let data = body(1_000);
    for enc in ALL {
        let z = enc.encode(&data);
        for tail in [&b"\0"[..], b"x", b"\n", &z[..]] {
            let mut t = z.clone();
            t.extend_from_slice(tail);
            for chunk in [1, z.len(), t.len()] {
                let (_, r) = decode_by(enc.encoding(), &t, chunk);
                assert!(is_corrupt(&r), "{enc:?} + {} bytes, chunk {chunk}: {r:?}", tail.len());
            }
            // Arriving in a later feed, after the stream ended, changes nothing.
            let (_, r) = decode_chunks(enc.encoding(), limits(), [&z[..], tail]);
            assert!(is_corrupt(&r), "{enc:?}: {r:?}");
        }
    }
}

#[test]
fn errors_are_sticky() {
    let data = body(1_000);
    let mut d = Decoder::new(Encoding::Gzip, limits());
    let e = d.feed(b"not gzip", &mut |_| true).unwrap_err();
    let z = Enc::Gzip.encode(&data);
    let mut called = false;
    assert_eq!(
        d.feed(&z, &mut |_| {
            called = true;
            true
        }),
        Err(e)
    );
    assert_eq!(
        d.finish(&mut |_| {
            called = true;
            true
        }),
        Err(e)
    );
    assert_eq!(d.finish(&mut |_| true), Err(e));
    assert!(!called);
}

#[test]
fn finish_is_idempotent_and_terminal() {
    let z = Enc::Gzip.encode(b"{}");
    let mut d = Decoder::new(Encoding::Gzip, limits());
    d.feed(&z, &mut |_| true).unwrap();
    assert_eq!(d.finish(&mut |_| true), Ok(()));
    assert_eq!(d.finish(&mut |_| true), Ok(()));
    assert!(matches!(d.feed(b"x", &mut |_| true), Err(DecodeError::Corrupt(_))));
}

// --- sink stop ---------------------------------------------------------------------------

#[test]
fn sink_false_stops_quickly_without_error() {
    let data = body(500_000);
    for enc in ALL {
        let z = enc.encode(&data);
        for chunk in [1, 333, z.len()] {
            let mut d = Decoder::new(enc.encoding(), limits());
            let mut calls = 0;
            let mut seen = 0;
            for c in z.chunks(chunk) {
                assert_eq!(
                    d.feed(c, &mut |p| {
                        calls += 1;
                        seen += p.len();
                        false
                    }),
                    Ok(()),
                    "{enc:?}"
                );
            }
            // Garbage after a stop is not even looked at.
            assert_eq!(d.feed(b"garbage", &mut |_| panic!("called after stop")), Ok(()));
            assert_eq!(d.finish(&mut |_| panic!("called after stop")), Ok(()));
            assert_eq!(calls, 1, "{enc:?} chunk {chunk}");
            assert!(seen <= WINDOW);
            // It stopped consuming input too (one window of output needs little input).
            assert!(d.consumed() < z.len() as u64, "{enc:?} chunk {chunk}");
        }
    }
}

// --- bombs and limits -----------------------------------------------------------------

/// A decoder fed by an encoder's output; once the decoder refuses, writes fail and the
/// encoder stops, so bombs are generated lazily and never held in memory.
struct FeedDecoder {
    dec: Decoder,
    out: u64,
    fed: u64,
    err: Option<DecodeError>,
}

#[derive(Clone)]
struct Shared(Rc<RefCell<FeedDecoder>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        let s = &mut *s;
        if s.err.is_some() {
            return Err(io::Error::other("refused"));
        }
        s.fed += b.len() as u64;
        let out = &mut s.out;
        match s.dec.feed(b, &mut |p| {
            *out += p.len() as u64;
            true
        }) {
            Ok(()) => Ok(b.len()),
            Err(e) => {
                s.err = Some(e);
                Err(io::Error::other("refused"))
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Streams `total` zero bytes through `enc` into a decoder with `lim`, flushing the
/// encoder every MiB so output reaches the decoder early. Returns the decoder side.
fn zeros_bomb(enc: Enc, total: u64, lim: Limits) -> FeedDecoder {
    let shared = Shared(Rc::new(RefCell::new(FeedDecoder {
        dec: Decoder::new(enc.encoding(), lim),
        out: 0,
        fed: 0,
        err: None,
    })));
    let mut w = enc.writer(shared.clone());
    let zeros = vec![0u8; 1 << 20];
    let mut written = 0;
    while written < total {
        if w.write_all(&zeros).is_err() || w.flush().is_err() {
            break;
        }
        written += zeros.len() as u64;
    }
    let ended = w.done().is_ok();
    let mut s = Rc::try_unwrap(shared.0).ok().expect("encoder dropped").into_inner();
    if ended && s.err.is_none() {
        let out = &mut s.out;
        if let Err(e) = s.dec.finish(&mut |p| {
            *out += p.len() as u64;
            true
        }) {
            s.err = Some(e);
        }
    }
    s
}

#[test]
fn one_gigabyte_of_zeros_is_refused_by_ratio_early() {
    for enc in ALL {
        // an explicit 1000:1 (the default is above MISP's brotli pushes, and above
        // anything deflate can reach; see `DEFAULT_MAX_RATIO`)
        let lim = Limits { max_ratio: 1000, ..Limits::default() };
        let s = zeros_bomb(enc, 1 << 30, lim);
        assert_eq!(s.err, Some(DecodeError::Ratio(1000)), "{enc:?}");
        // Refused as soon as the ratio went over the bound past the grace amount (the
        // encoders' flush blocks keep it near 1000:1 for deflate): a few MiB of 1 GiB.
        assert!(s.out <= 4 * RATIO_GRACE, "{enc:?}: {} bytes delivered", s.out);
        assert!(s.out + WINDOW as u64 > RATIO_GRACE, "{enc:?}: {} bytes delivered", s.out);
        assert!(s.dec.decoded() == s.out);
    }
}

#[test]
fn max_decoded_is_enforced_exactly() {
    let cap = 3 << 20;
    let lim = Limits { max_decoded: cap, max_ratio: u64::MAX, ..Limits::default() };
    for enc in ALL {
        let s = zeros_bomb(enc, 1 << 30, lim);
        assert_eq!(s.err, Some(DecodeError::TooLarge(cap)), "{enc:?}");
        assert!(s.out <= cap, "{enc:?}: {} > {cap}", s.out);
        assert!(s.out + WINDOW as u64 > cap, "{enc:?}: stopped too early at {}", s.out);
    }
}

#[test]
fn ratio_bound_depends_on_the_limit() {
    // 4 MiB of a repeated short JSON value compresses far better than 50:1 with
    // every encoder, and worse than 1_000_000:1.
    let data: Vec<u8> = b"{\"a\":1},".iter().copied().cycle().take(4 << 20).collect();
    for enc in ALL {
        let z = enc.encode(&data);
        let strict = Limits { max_decoded: u64::MAX, max_ratio: 50, ..Limits::default() };
        let (out, r) = decode_chunks(enc.encoding(), strict, z.chunks(4096));
        assert_eq!(r, Err(DecodeError::Ratio(50)), "{enc:?} ratio {}", data.len() / z.len());
        assert!(out.len() as u64 <= RATIO_GRACE + WINDOW as u64);
        let lax = Limits { max_decoded: u64::MAX, max_ratio: 1_000_000, ..Limits::default() };
        let (out, r) = decode_chunks(enc.encoding(), lax, z.chunks(1));
        assert_eq!(r, Ok(()), "{enc:?} lax");
        assert_eq!(out.len(), data.len());
    }
}

/// A hand-made deflate bomb: one literal, then "copy 258 bytes at distance 1" codes
/// with the fixed Huffman table, generated lazily (13 bits per 258 output bytes).
struct RawBomb {
    acc: u64,
    bits: u32,
}

impl RawBomb {
    fn new() -> Self {
        let mut b = RawBomb { acc: 0, bits: 0 };
        b.put(0b1, 1); // BFINAL
        b.put(0b01, 2); // BTYPE = fixed
        b.put_rev(0b0011_0000, 8); // literal 0
        b
    }
    fn put(&mut self, v: u64, n: u32) {
        self.acc |= v << self.bits;
        self.bits += n;
    }
    /// Huffman codes are sent most significant bit first.
    fn put_rev(&mut self, code: u64, n: u32) {
        self.put(code.reverse_bits() >> (64 - n), n);
    }
    fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        while out.len() < n {
            while self.bits < 40 {
                self.put_rev(0b1100_0101, 8); // length code 285 = 258 bytes
                self.put_rev(0, 5); // distance code 0 = distance 1
            }
            while self.bits >= 8 {
                out.push(self.acc as u8);
                self.acc >>= 8;
                self.bits -= 8;
            }
        }
    }
}

#[test]
fn handmade_deflate_bomb_is_refused_at_max_decoded() {
    // Its ratio (≈159:1) stays under the default ratio bound: the total bound stops it,
    // after at most one window past the limit of work.
    let lim = Limits { max_decoded: 64 << 20, max_ratio: 1000, ..Limits::default() };
    let mut d = Decoder::new(Encoding::Deflate, lim);
    let mut bomb = RawBomb::new();
    let mut out = 0u64;
    let mut fed = 0u64;
    let mut buf = Vec::new();
    let err = loop {
        buf.clear();
        bomb.fill(&mut buf, 64 << 10);
        fed += buf.len() as u64;
        assert!(fed < 1 << 30, "never refused");
        if let Err(e) = d.feed(&buf, &mut |p| {
            out += p.len() as u64;
            true
        }) {
            break e;
        }
    };
    assert_eq!(err, DecodeError::TooLarge(64 << 20));
    assert!(out <= 64 << 20 && out + WINDOW as u64 > 64 << 20, "{out}");
    // About 64 MiB / 159 of input was needed, plus at most the chunk in flight.
    assert!(fed < (64 << 20) / 150 + (64 << 10), "{fed}");
}

// --- memory ------------------------------------------------------------------------------

#[test]
fn memory_is_fixed_per_decoder() {
    let data = body(300_000);
    for enc in [Enc::Gzip, Enc::Zlib, Enc::RawDeflate] {
        let z = enc.encode(&data);
        let (mut d, _, peak_new) = measure(|| Decoder::new(enc.encoding(), limits()));
        assert!(peak_new <= 2 * WINDOW, "{enc:?}: {peak_new} bytes at creation");
        // Decoding allocates nothing at all, whatever the chunking.
        let (r, allocs, _) = measure(|| {
            let mut n = 0usize;
            for c in z.chunks(7) {
                d.feed(c, &mut |p| {
                    n += p.len();
                    true
                })?;
            }
            d.finish(&mut |p| {
                n += p.len();
                true
            })?;
            Ok::<usize, DecodeError>(n)
        });
        assert_eq!(r, Ok(data.len()));
        assert_eq!(allocs, 0, "{enc:?} allocated while decoding");
    }
    // Brotli: the ring buffer is sized from the stream header (here lgwin 22 → 4 MiB,
    // shrunk for a short last meta-block), bounded by 16 MiB in any case.
    let z = Enc::Brotli.encode(&data);
    let (r, _, peak) = measure(|| decode_by(Encoding::Brotli, &z, 7));
    assert_eq!(r.1, Ok(()));
    assert!(peak <= (16 << 20) + (1 << 20) + data.len() * 2, "brotli peak {peak}");
}

// --- through the Guard ----------------------------------------------------------------

mod through_guard {
    use std::path::{Path, PathBuf};

    use misp_guard_core::decode::Limits;
    use misp_guard_core::Header;
    use misp_guard_core::{BodyKind, Guard, Inspection, Policy, Reason, RuleSetId, Side, Verdict};

    use super::{Enc, ALL};

    fn corpus() -> PathBuf {
        std::env::var_os("MISP_GUARD_CONFORMANCE").map(PathBuf::from).unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        })
    }

    fn policy() -> Policy {
        let json = std::fs::read(corpus().join("current/config.json")).unwrap();
        Policy::from_json_slice(&json).unwrap()
    }

    fn push() -> Inspection {
        Inspection {
            kind: BodyKind::Event,
            side: Side::Request,
            first: RuleSetId(0),
            count: 1,
            user_org_check: false,
        }
    }

    fn judge(p: &Policy, encoding: &[u8], body: &[u8], chunk: usize, lim: Limits) -> Verdict {
        let h = [Header { name: b"Content-Encoding", value: encoding }];
        let mut g = Guard::for_body(p, push(), &h, lim);
        for c in body.chunks(chunk.max(1)) {
            g.feed(c);
        }
        g.finish()
    }

    fn reason(v: &Verdict) -> Option<Reason> {
        match v {
            Verdict::Allow => None,
            Verdict::Block(b) => Some(b.reason),
        }
    }

    const CLEAN: &[u8] = br#"{"Event":{"uuid":"5f0c7e4c-1b7c-4e2a-9d5e-2b5a8f1e0c11","info":"x","distribution":"1","Tag":[{"name":"tlp:green"}],"Attribute":[]}}"#;
    const RED: &[u8] = br#"{"Event":{"uuid":"5f0c7e4c-1b7c-4e2a-9d5e-2b5a8f1e0c11","info":"x","distribution":"1","Tag":[{"name":"tlp:red"}],"Attribute":[]}}"#;

    fn name(enc: Enc) -> &'static [u8] {
        match enc {
            Enc::Gzip => b"gzip",
            Enc::Zlib | Enc::RawDeflate => b"deflate",
            Enc::Brotli => b"br",
        }
    }

    #[test]
    fn encoded_bodies_are_judged_like_identity() {
        let p = policy();
        let plain_clean = judge(&p, b"identity", CLEAN, 1, Limits::default());
        let plain_red = judge(&p, b"identity", RED, 1, Limits::default());
        assert_eq!(reason(&plain_red), Some(Reason::EventBlockedTag));
        for enc in ALL {
            for chunk in [1, 5, 4096] {
                let v = judge(&p, name(enc), &enc.encode(CLEAN), chunk, Limits::default());
                assert_eq!(reason(&v), reason(&plain_clean), "{enc:?} chunk {chunk}");
                let v = judge(&p, name(enc), &enc.encode(RED), chunk, Limits::default());
                // InvalidJson here means the guard stopped the decoder (its sink said
                // `false`) at the evaluator's first `Blocked`, so the evaluator, which
                // wants the whole body to pick misp-guard's reason, saw a truncated
                // document: the guard must keep feeding the evaluator.
                assert_eq!(reason(&v), Some(Reason::EventBlockedTag), "{enc:?} chunk {chunk}");
            }
        }
    }

    #[test]
    fn unknown_and_stacked_encodings_are_refused() {
        let p = policy();
        for e in [&b"gzip, br"[..], b"br,gzip", b"compress", b"zstd", b"gzip;q=1"] {
            let v = judge(&p, e, CLEAN, 4096, Limits::default());
            assert_eq!(
                reason(&v),
                Some(Reason::UnsupportedEncoding),
                "{}",
                String::from_utf8_lossy(e)
            );
        }
        // A body gzip-encoded twice but announced once is not JSON once decoded.
        let twice = Enc::Gzip.encode(&Enc::Gzip.encode(CLEAN));
        assert!(reason(&judge(&p, b"gzip", &twice, 4096, Limits::default())).is_some());
    }

    /// An event push with one attachment attribute: `mib` MiB of zero bytes but a
    /// 512-byte header, base64 as MISP sends attachments (`data`).
    fn sparse_attachment_push(mib: usize) -> Vec<u8> {
        let mut file = vec![0u8; mib << 20];
        for (i, b) in file.iter_mut().take(512).enumerate() {
            *b = (i * 131 + 7) as u8;
        }
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut data = String::with_capacity(file.len() / 3 * 4 + 4);
        for c in file.chunks(3) {
            let v = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for k in 0..4 {
                data.push(if k <= c.len() {
                    B64[(v >> (18 - 6 * k)) as usize & 63] as char
                } else {
                    '='
                });
            }
        }
        format!(
            r#"{{"Event":{{"uuid":"385283a1-b5e0-4e10-a532-dce11c365a56","info":"sparse attachment","distribution":"1","Tag":[{{"name":"tlp:green"}}],"Attribute":[{{"uuid":"5a8b2f6e-0c1d-4e2f-9a3b-4c5d6e7f8091","type":"attachment","category":"Payload delivery","distribution":"5","value":"disk.img","data":"{data}"}}],"Object":[]}}}}"#
        )
        .into_bytes()
    }

    /// MISP's own compression of a push (`ServerSyncTool::post`): brotli quality 1,
    /// text mode, window 22, or gzip level 1.
    fn misp_brotli(body: &[u8]) -> Vec<u8> {
        use std::io::Write;
        // the streaming writer: within 1 % of libbrotli 1.0.9's output size at quality 1
        // on this body (3 901:1 here, 3 916:1 with libbrotli)
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
            w.write_all(body).unwrap();
        }
        out
    }

    fn misp_gzip(body: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
        e.write_all(body).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn misp_pushes_a_sparse_8_mib_attachment_within_the_default_ratio() {
        let p = policy();
        let body = sparse_attachment_push(8);
        assert_eq!(judge(&p, b"identity", &body, 1 << 16, Limits::default()), Verdict::Allow);
        let br = misp_brotli(&body);
        let gz = misp_gzip(&body);
        let ratio = |z: &[u8]| body.len() / z.len();
        eprintln!(
            "8 MiB sparse attachment push: {} bytes; br q1 {}:1, gzip -1 {}:1",
            body.len(),
            ratio(&br),
            ratio(&gz)
        );
        // the case the old default refused: more than 1000:1
        assert!(ratio(&br) > 1000, "{}", ratio(&br));
        let old = Limits { max_ratio: 1000, ..Limits::default() };
        assert_eq!(reason(&judge(&p, b"br", &br, 1 << 16, old)), Some(Reason::RatioExceeded));
        for (enc, z) in [(&b"br"[..], &br), (b"gzip", &gz)] {
            for chunk in [1 << 16, 1400] {
                let v = judge(&p, enc, z, chunk, Limits::default());
                assert_eq!(v, Verdict::Allow, "{} chunk {chunk}", String::from_utf8_lossy(enc));
            }
        }
    }

    #[test]
    fn decoding_failures_block_with_their_reason() {
        let p = policy();
        for enc in ALL {
            let z = enc.encode(CLEAN);
            let v = judge(&p, name(enc), &z[..z.len() - 1], 1, Limits::default());
            // InvalidJson here: the guard stopped feeding at the evaluator's first
            // `Blocked`, so the decoder never reached the truncation (see above).
            assert_eq!(reason(&v), Some(Reason::DecodeError), "{enc:?} truncated");
            let mut t = z.clone();
            t.push(0);
            let v = judge(&p, name(enc), &t, 3, Limits::default());
            assert_eq!(reason(&v), Some(Reason::DecodeError), "{enc:?} trailing");
            let tight = Limits { max_decoded: 20, max_ratio: 1000, ..Limits::default() };
            let v = judge(&p, name(enc), &z, 3, tight);
            assert_eq!(reason(&v), Some(Reason::DecodedTooLarge), "{enc:?} too large");
        }
        // A ratio bomb: 8 MiB of spaces inside the event object.
        let mut bomb = br#"{"Event":{"info":"x""#.to_vec();
        bomb.resize(bomb.len() + (8 << 20), b' ');
        bomb.extend_from_slice(b"}}");
        for enc in ALL {
            let lim = Limits { max_ratio: 1000, ..Limits::default() };
            let v = judge(&p, name(enc), &enc.encode(&bomb), 65536, lim);
            assert_eq!(reason(&v), Some(Reason::RatioExceeded), "{enc:?} bomb");
        }
    }
}

/// Arbitrary bytes (and valid streams with arbitrary bytes spliced in) never panic or
/// loop: every input ends in a verdict, whatever the chunking.
#[test]
fn arbitrary_input_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let data = body(3_000);
    for enc in ALL {
        let z = enc.encode(&data);
        for round in 0..300 {
            let mut input = if round % 2 == 0 {
                (0..(next() % 300) as usize).map(|_| next() as u8).collect::<Vec<u8>>()
            } else {
                z.clone()
            };
            for _ in 0..1 + next() % 4 {
                if input.is_empty() {
                    break;
                }
                let i = (next() as usize) % input.len();
                input[i] = next() as u8;
            }
            let chunk = 1 + (next() % 64) as usize;
            let (out, r) = decode_by(enc.encoding(), &input, chunk);
            // Whatever happened, nothing beyond the limits was delivered, and an Ok
            // means a complete, checked stream.
            assert!(out.len() as u64 <= Limits::default().max_decoded);
            if r.is_ok() && matches!(enc, Enc::Gzip | Enc::Zlib) && round % 2 == 1 {
                assert!(out == data, "{enc:?}: a corrupted checksummed stream passed");
            }
        }
    }
}
