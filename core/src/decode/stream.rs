//! The streaming decoders behind [`Decoder`] (feature `decode`): see the parent module
//! for the contract, the bounds and the strictness.

use core::fmt;
use std::boxed::Box;
use std::vec;

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
use miniz_oxide::inflate::core::inflate_flags::{
    TINFL_FLAG_HAS_MORE_INPUT, TINFL_FLAG_PARSE_ZLIB_HEADER,
};
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use super::{DecodeError, Encoding, Limits};
use crate::limits::{RATIO_GRACE, WINDOW};

/// Most encoded bytes handed to the brotli decoder per call (see `Brotli::run`).
const BROTLI_SLICE: usize = 4096;
/// The decoded-output sink: `false` = stop, the verdict is known.
type Sink<'a> = dyn FnMut(&[u8]) -> bool + 'a;

/// Whether to go on after handing output to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// Counts bytes in and out and enforces [`Limits`].
#[derive(Clone, Copy, Debug)]
struct Meter {
    limits: Limits,
    /// Encoded bytes consumed.
    consumed: u64,
    /// Decoded bytes admitted (delivered to the sink).
    produced: u64,
}

impl Meter {
    /// Admits `n` more decoded bytes, or refuses them (nothing is delivered then).
    fn admit(&mut self, n: usize) -> Result<(), DecodeError> {
        let out = self.produced.saturating_add(n as u64);
        if out > self.limits.max_decoded {
            return Err(DecodeError::TooLarge(self.limits.max_decoded));
        }
        if out > RATIO_GRACE && out > self.consumed.saturating_mul(self.limits.max_ratio) {
            return Err(DecodeError::Ratio(self.limits.max_ratio));
        }
        self.produced = out;
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        self.consumed = self.consumed.saturating_add(n as u64);
    }
}

/// Lifecycle of a [`Decoder`]; the last three are terminal (sticky).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Running,
    /// The sink said stop.
    Stopped,
    /// A call failed; every later call returns this error.
    Failed(DecodeError),
    /// `finish` succeeded.
    Finished,
}

/// A streaming decoder. Allocates its buffers once, at creation (see the module docs
/// for sizes), and never while decoding (brotli's ring buffer excepted: it is
/// allocated once, when the stream header announces its size).
pub struct Decoder {
    meter: Meter,
    status: Status,
    /// Any encoded byte seen (an empty body decodes to an empty body).
    fed: bool,
    engine: Engine,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("encoding", &self.encoding())
            .field("consumed", &self.meter.consumed)
            .field("decoded", &self.meter.produced)
            .field("status", &self.status)
            .finish()
    }
}

enum Engine {
    Identity,
    Gzip(Box<Gzip>),
    Deflate(Box<Deflate>),
    Brotli(Box<Brotli>),
}

impl Decoder {
    /// A decoder for `enc` within `limits`.
    pub fn new(enc: Encoding, limits: Limits) -> Self {
        let engine = match enc {
            Encoding::Identity => Engine::Identity,
            Encoding::Gzip => Engine::Gzip(Box::new(Gzip {
                stage: GzStage::Header(GzHeader::new()),
                inflate: Inflate::new(0),
                crc: crc32fast::Hasher::new(),
            })),
            Encoding::Deflate => Engine::Deflate(Box::new(Deflate {
                sniff: [0; 2],
                sniffed: 0,
                inflate: Inflate::new(0),
            })),
            Encoding::Brotli => Engine::Brotli(Box::new(Brotli {
                // `new_strict`: no large-window extension (ring buffer ≤ 16 MiB).
                state: BrotliState::new_strict(
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                    StandardAlloc::default(),
                ),
                out: vec![0; WINDOW].into_boxed_slice(),
                total_out: 0,
                done: false,
            })),
        };
        Decoder {
            meter: Meter { limits, consumed: 0, produced: 0 },
            status: Status::Running,
            fed: false,
            engine,
        }
    }

    /// The encoding this decoder reads.
    pub fn encoding(&self) -> Encoding {
        match self.engine {
            Engine::Identity => Encoding::Identity,
            Engine::Gzip(_) => Encoding::Gzip,
            Engine::Deflate(_) => Encoding::Deflate,
            Engine::Brotli(_) => Encoding::Brotli,
        }
    }

    /// Decoded bytes delivered to the sink so far.
    pub fn decoded(&self) -> u64 {
        self.meter.produced
    }

    /// Encoded bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.meter.consumed
    }

    /// Decodes the next chunk into `sink`.
    pub fn feed(&mut self, input: &[u8], sink: &mut Sink<'_>) -> Result<(), DecodeError> {
        match self.status {
            Status::Running => {}
            Status::Stopped => return Ok(()),
            Status::Failed(e) => return Err(e),
            Status::Finished => return self.fail(DecodeError::Corrupt("data after the end")),
        }
        if input.is_empty() {
            return Ok(());
        }
        self.fed = true;
        let m = &mut self.meter;
        let r = match &mut self.engine {
            Engine::Identity => {
                m.consume(input.len());
                m.admit(input.len()).map(|()| if sink(input) { Flow::Go } else { Flow::Stop })
            }
            Engine::Gzip(g) => g.feed(input, m, sink),
            Engine::Deflate(d) => d.feed(input, m, sink),
            Engine::Brotli(b) => b.feed(input, m, sink),
        };
        self.settle(r)
    }

    /// Ends the stream: flushes what is left into `sink` and checks that the stream
    /// is complete (a truncated stream is [`DecodeError::Corrupt`]).
    pub fn finish(&mut self, sink: &mut Sink<'_>) -> Result<(), DecodeError> {
        match self.status {
            Status::Running => {}
            Status::Stopped | Status::Finished => return Ok(()),
            Status::Failed(e) => return Err(e),
        }
        let r = if !self.fed {
            Ok(Flow::Go)
        } else {
            let m = &mut self.meter;
            match &mut self.engine {
                Engine::Identity => Ok(Flow::Go),
                Engine::Gzip(g) => g.finish(m, sink),
                Engine::Deflate(d) => d.finish(m, sink),
                Engine::Brotli(b) => b.finish(m, sink),
            }
        };
        self.settle(r)?;
        if self.status == Status::Running {
            self.status = Status::Finished;
        }
        Ok(())
    }

    fn settle(&mut self, r: Result<Flow, DecodeError>) -> Result<(), DecodeError> {
        match r {
            Ok(Flow::Go) => Ok(()),
            Ok(Flow::Stop) => {
                self.status = Status::Stopped;
                Ok(())
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: DecodeError) -> Result<(), DecodeError> {
        self.status = Status::Failed(e);
        Err(e)
    }
}

// --- deflate core ------------------------------------------------------------------

/// miniz_oxide's decompressor over a fixed, wrapping 32 KiB window: each call writes
/// at most up to the end of the window, the written run is handed to the sink, then
/// the position wraps. Back-references read the window itself, so no copy is kept.
struct Inflate {
    r: Box<DecompressorOxide>,
    window: Box<[u8]>,
    pos: usize,
    flags: u32,
    done: bool,
}

impl Inflate {
    fn new(flags: u32) -> Self {
        Inflate {
            r: Box::default(),
            window: vec![0; WINDOW].into_boxed_slice(),
            pos: 0,
            flags,
            done: false,
        }
    }

    /// Inflates from `input` until it is used up or the deflate stream ends
    /// (`self.done`). `last`: no more input will come (a stream that needs more is
    /// truncated). Returns the bytes consumed; bytes after the end are not consumed.
    fn run(
        &mut self,
        input: &[u8],
        last: bool,
        meter: &mut Meter,
        out: &mut Sink<'_>,
    ) -> Result<(usize, Flow), DecodeError> {
        let mut off = 0;
        while !self.done {
            let flags = self.flags | if last { 0 } else { TINFL_FLAG_HAS_MORE_INPUT };
            let (status, used, wrote) =
                decompress(&mut self.r, &input[off..], &mut self.window, self.pos, flags);
            off += used;
            meter.consume(used);
            if wrote > 0 {
                meter.admit(wrote)?;
                if !out(&self.window[self.pos..self.pos + wrote]) {
                    return Ok((off, Flow::Stop));
                }
                self.pos = (self.pos + wrote) & (WINDOW - 1);
            }
            match status {
                TINFLStatus::Done => self.done = true,
                // Everything given was consumed; wait for the next chunk.
                TINFLStatus::NeedsMoreInput => break,
                // The window end was reached: it wrapped above, go on.
                TINFLStatus::HasMoreOutput if used > 0 || wrote > 0 => {}
                TINFLStatus::HasMoreOutput => {
                    return Err(DecodeError::Corrupt("deflate decoder made no progress"))
                }
                TINFLStatus::FailedCannotMakeProgress => {
                    return Err(DecodeError::Corrupt("truncated deflate stream"))
                }
                TINFLStatus::Adler32Mismatch => {
                    return Err(DecodeError::Corrupt("zlib Adler-32 checksum mismatch"))
                }
                _ => return Err(DecodeError::Corrupt("invalid deflate data")),
            }
        }
        Ok((off, Flow::Go))
    }
}

// --- gzip ----------------------------------------------------------------------------

struct Gzip {
    stage: GzStage,
    inflate: Inflate,
    /// CRC-32 of the decoded member.
    crc: crc32fast::Hasher,
}

enum GzStage {
    Header(GzHeader),
    Body,
    /// CRC32 and ISIZE, little-endian.
    Trailer([u8; 8], u8),
    Done,
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// RFC 1952 member header, parsed one byte at a time (so any chunking works) with
/// O(1) state: optional fields are skipped, not stored.
struct GzHeader {
    step: HStep,
    flags: u8,
    /// Bytes read in the current step.
    n: u16,
    /// `XLEN`, then the `FEXTRA` bytes still to skip.
    xlen: u16,
    /// First byte of the stored header CRC16.
    hcrc_lo: u8,
    /// CRC-32 of the header bytes before `FHCRC`.
    crc: crc32fast::Hasher,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HStep {
    /// ID1 ID2 CM FLG MTIME(4) XFL OS.
    Fixed,
    XLen,
    Extra,
    Name,
    Comment,
    Hcrc,
    Done,
}

impl GzHeader {
    fn new() -> Self {
        GzHeader {
            step: HStep::Fixed,
            flags: 0,
            n: 0,
            xlen: 0,
            hcrc_lo: 0,
            crc: crc32fast::Hasher::new(),
        }
    }

    /// The optional field after `step`, or `Done`.
    fn next(&self, after: HStep) -> HStep {
        let order = [
            (HStep::XLen, FEXTRA),
            (HStep::Name, FNAME),
            (HStep::Comment, FCOMMENT),
            (HStep::Hcrc, FHCRC),
        ];
        let from = match after {
            HStep::Fixed => 0,
            HStep::XLen | HStep::Extra => 1,
            HStep::Name => 2,
            HStep::Comment => 3,
            HStep::Hcrc | HStep::Done => 4,
        };
        order[from..].iter().find(|(_, f)| self.flags & f != 0).map_or(HStep::Done, |(s, _)| *s)
    }

    /// Reads header bytes from `input`; returns how many were used (stops right after
    /// the header, `self.step == Done`).
    fn consume(&mut self, input: &[u8]) -> Result<usize, DecodeError> {
        let mut used = 0;
        while self.step != HStep::Done {
            let Some(&b) = input.get(used) else { break };
            // Skip long optional fields in bulk (still hashed for FHCRC).
            if matches!(self.step, HStep::Name | HStep::Comment) {
                let rest = &input[used..];
                match memchr::memchr(0, rest) {
                    Some(z) => {
                        self.crc.update(&rest[..=z]);
                        used += z + 1;
                        self.step = self.next(self.step);
                    }
                    None => {
                        self.crc.update(rest);
                        used += rest.len();
                    }
                }
                continue;
            }
            if self.step == HStep::Extra {
                let rest = &input[used..];
                let k = rest.len().min(self.xlen as usize);
                self.crc.update(&rest[..k]);
                used += k;
                self.xlen -= k as u16;
                if self.xlen == 0 {
                    self.step = self.next(HStep::Extra);
                }
                continue;
            }
            used += 1;
            if self.step != HStep::Hcrc {
                self.crc.update(&[b]);
            }
            match self.step {
                HStep::Fixed => {
                    match (self.n, b) {
                        (0, 0x1f) | (1, 0x8b) => {}
                        (0, _) | (1, _) => return Err(DecodeError::Corrupt("not a gzip stream")),
                        (2, 8) => {}
                        (2, _) => {
                            return Err(DecodeError::Corrupt("unsupported gzip compression method"))
                        }
                        (3, f) if f & FRESERVED != 0 => {
                            return Err(DecodeError::Corrupt("reserved gzip header flag set"))
                        }
                        (3, f) => self.flags = f,
                        _ => {} // MTIME, XFL, OS: informational.
                    }
                    self.n += 1;
                    if self.n == 10 {
                        self.n = 0;
                        self.step = self.next(HStep::Fixed);
                    }
                }
                HStep::XLen => {
                    if self.n == 0 {
                        self.xlen = u16::from(b);
                        self.n = 1;
                    } else {
                        self.xlen |= u16::from(b) << 8;
                        self.n = 0;
                        self.step =
                            if self.xlen == 0 { self.next(HStep::Extra) } else { HStep::Extra };
                    }
                }
                HStep::Hcrc => {
                    if self.n == 0 {
                        self.hcrc_lo = b;
                        self.n = 1;
                    } else {
                        let stored = u16::from(self.hcrc_lo) | u16::from(b) << 8;
                        let actual = self.crc.clone().finalize() as u16;
                        if stored != actual {
                            return Err(DecodeError::Corrupt("gzip header CRC mismatch"));
                        }
                        self.step = HStep::Done;
                    }
                }
                HStep::Extra | HStep::Name | HStep::Comment | HStep::Done => {}
            }
        }
        Ok(used)
    }
}

impl Gzip {
    fn feed(
        &mut self,
        input: &[u8],
        m: &mut Meter,
        sink: &mut Sink<'_>,
    ) -> Result<Flow, DecodeError> {
        let mut i = 0;
        loop {
            match &mut self.stage {
                GzStage::Header(h) => {
                    if i == input.len() {
                        return Ok(Flow::Go);
                    }
                    let used = h.consume(&input[i..])?;
                    m.consume(used);
                    i += used;
                    if h.step == HStep::Done {
                        self.stage = GzStage::Body;
                    }
                }
                GzStage::Body => {
                    let crc = &mut self.crc;
                    let (used, flow) = self.inflate.run(&input[i..], false, m, &mut |piece| {
                        crc.update(piece);
                        sink(piece)
                    })?;
                    i += used;
                    if flow == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                    if !self.inflate.done {
                        return Ok(Flow::Go);
                    }
                    self.stage = GzStage::Trailer([0; 8], 0);
                }
                GzStage::Trailer(buf, n) => {
                    let k = (8 - *n as usize).min(input.len() - i);
                    buf[*n as usize..*n as usize + k].copy_from_slice(&input[i..i + k]);
                    *n += k as u8;
                    i += k;
                    m.consume(k);
                    if *n < 8 {
                        return Ok(Flow::Go);
                    }
                    let crc = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
                    let isize = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
                    if crc != self.crc.clone().finalize() {
                        return Err(DecodeError::Corrupt("gzip CRC-32 mismatch"));
                    }
                    // ISIZE is the decoded length modulo 2^32 (RFC 1952 §2.3.1).
                    if isize != m.produced as u32 {
                        return Err(DecodeError::Corrupt("gzip ISIZE mismatch"));
                    }
                    self.stage = GzStage::Done;
                }
                GzStage::Done => {
                    return if i < input.len() {
                        // A second member, padding or garbage: see the module docs.
                        Err(DecodeError::Corrupt("data after the end of the gzip member"))
                    } else {
                        Ok(Flow::Go)
                    };
                }
            }
        }
    }

    fn finish(&mut self, m: &mut Meter, sink: &mut Sink<'_>) -> Result<Flow, DecodeError> {
        match self.stage {
            GzStage::Header(_) => Err(DecodeError::Corrupt("truncated gzip header")),
            GzStage::Body => {
                let crc = &mut self.crc;
                let (_, flow) = self.inflate.run(&[], true, m, &mut |piece| {
                    crc.update(piece);
                    sink(piece)
                })?;
                if flow == Flow::Stop {
                    return Ok(Flow::Stop);
                }
                // `run` with `last` either ends the stream or fails; the trailer is
                // missing either way.
                Err(DecodeError::Corrupt("truncated gzip trailer"))
            }
            GzStage::Trailer(..) => Err(DecodeError::Corrupt("truncated gzip trailer")),
            GzStage::Done => Ok(Flow::Go),
        }
    }
}

// --- deflate (zlib or raw) ---------------------------------------------------------

struct Deflate {
    /// The first two bytes, to tell zlib from raw deflate.
    sniff: [u8; 2],
    sniffed: u8,
    inflate: Inflate,
}

/// RFC 1950 §2.2: CM = 8, CINFO ≤ 7, FCHECK makes CMF·256 + FLG a multiple of 31.
/// (FDICT streams are taken as zlib, and miniz_oxide refuses them.)
fn is_zlib_header(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

impl Deflate {
    fn feed(
        &mut self,
        input: &[u8],
        m: &mut Meter,
        sink: &mut Sink<'_>,
    ) -> Result<Flow, DecodeError> {
        let mut input = input;
        if self.sniffed < 2 {
            let k = (2 - self.sniffed as usize).min(input.len());
            self.sniff[self.sniffed as usize..self.sniffed as usize + k]
                .copy_from_slice(&input[..k]);
            self.sniffed += k as u8;
            input = &input[k..];
            if self.sniffed < 2 {
                return Ok(Flow::Go);
            }
            if is_zlib_header(self.sniff[0], self.sniff[1]) {
                self.inflate.flags = TINFL_FLAG_PARSE_ZLIB_HEADER;
            }
            let head = self.sniff;
            let (used, flow) = self.inflate.run(&head, false, m, sink)?;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
            if used < head.len() {
                return Err(DecodeError::Corrupt("data after the end of the deflate stream"));
            }
        }
        let (used, flow) = self.inflate.run(input, false, m, sink)?;
        if flow == Flow::Stop {
            return Ok(Flow::Stop);
        }
        if used < input.len() {
            return Err(DecodeError::Corrupt("data after the end of the deflate stream"));
        }
        Ok(Flow::Go)
    }

    fn finish(&mut self, m: &mut Meter, sink: &mut Sink<'_>) -> Result<Flow, DecodeError> {
        if self.sniffed < 2 {
            // No complete deflate stream is shorter than two bytes.
            return Err(DecodeError::Corrupt("truncated deflate stream"));
        }
        let (_, flow) = self.inflate.run(&[], true, m, sink)?;
        if flow == Flow::Go && !self.inflate.done {
            return Err(DecodeError::Corrupt("truncated deflate stream"));
        }
        Ok(flow)
    }
}

// --- brotli --------------------------------------------------------------------------

struct Brotli {
    state: BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    /// Fixed output buffer: each call produces at most [`WINDOW`] bytes.
    out: Box<[u8]>,
    total_out: usize,
    done: bool,
}

impl Brotli {
    /// Like [`Inflate::run`]. Input is handed over at most [`BROTLI_SLICE`] bytes at a
    /// time: the decoder pushes its output out whenever it needs more input, so limits
    /// are checked (and a stop is honoured) about every slice rather than only when its
    /// ring buffer wraps. A single slice can still expand to one ring buffer (≤ 16 MiB).
    fn run(
        &mut self,
        input: &[u8],
        last: bool,
        m: &mut Meter,
        sink: &mut Sink<'_>,
    ) -> Result<(usize, Flow), DecodeError> {
        let mut off = 0;
        while !self.done {
            let slice = (input.len() - off).min(BROTLI_SLICE);
            let mut avail_in = slice;
            let mut in_off = off;
            let mut avail_out = self.out.len();
            let mut out_off = 0;
            let r = BrotliDecompressStream(
                &mut avail_in,
                &mut in_off,
                input,
                &mut avail_out,
                &mut out_off,
                &mut self.out,
                &mut self.total_out,
                &mut self.state,
            );
            let end = in_off.clamp(off, off + slice);
            let used = end - off;
            off = end;
            m.consume(used);
            if out_off > 0 {
                m.admit(out_off)?;
                if !sink(&self.out[..out_off]) {
                    return Ok((off, Flow::Stop));
                }
            }
            match r {
                BrotliResult::ResultSuccess => self.done = true,
                BrotliResult::NeedsMoreInput if used < slice => {
                    // The decoder buffers partial input itself: it takes all it is given.
                    return Err(DecodeError::Corrupt("brotli decoder made no progress"));
                }
                BrotliResult::NeedsMoreInput if off < input.len() => {}
                BrotliResult::NeedsMoreInput if last => {
                    return Err(DecodeError::Corrupt("truncated brotli stream"))
                }
                BrotliResult::NeedsMoreInput => break,
                BrotliResult::NeedsMoreOutput if used > 0 || out_off > 0 => {}
                BrotliResult::NeedsMoreOutput => {
                    return Err(DecodeError::Corrupt("brotli decoder made no progress"))
                }
                BrotliResult::ResultFailure => {
                    return Err(DecodeError::Corrupt("invalid brotli data"))
                }
            }
        }
        Ok((off, Flow::Go))
    }

    fn feed(
        &mut self,
        input: &[u8],
        m: &mut Meter,
        sink: &mut Sink<'_>,
    ) -> Result<Flow, DecodeError> {
        let (used, flow) = self.run(input, false, m, sink)?;
        if flow == Flow::Go && used < input.len() {
            return Err(DecodeError::Corrupt("data after the end of the brotli stream"));
        }
        Ok(flow)
    }

    fn finish(&mut self, m: &mut Meter, sink: &mut Sink<'_>) -> Result<Flow, DecodeError> {
        let (_, flow) = self.run(&[], true, m, sink)?;
        if flow == Flow::Go && !self.done {
            return Err(DecodeError::Corrupt("truncated brotli stream"));
        }
        Ok(flow)
    }
}
