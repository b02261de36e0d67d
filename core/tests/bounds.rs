//! Resource bounds: every hostile size is refused or judged within bounded memory and
//! bounded work. Bodies are generated chunk by chunk (64 KiB at a time) and never
//! materialised; a counting allocator measures the live heap during each evaluation.
//!
//! The heavy cases (100 MiB body, 50 MiB string) are `#[ignore]`d in debug builds'
//! default run and run in release by `scripts/fuzz-smoke.sh`
//! (`cargo test -p misp-guard-core --release --test bounds -- --ignored`); scaled-down
//! versions of the same generators run by default. Measured figures: fuzz/README.md,
//! "Resource bounds". No test asserts a duration (performance targets live in the
//! benches); they assert bytes: memory and how much input was read before a refusal.

mod common;

use common::{policy, push};
use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::Ordering;
use std::alloc::System;
use std::cell::Cell;
use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use misp_guard_core::limits::MAX_DEPTH;
use misp_guard_core::Header;
use misp_guard_core::{
    decode::{DecodeError, Decoder, Encoding, Limits},
    limits::{RATIO_GRACE, WINDOW},
};
use misp_guard_core::{Evaluator, Guard, Progress, Reason, Verdict};

// --- a live-heap meter --------------------------------------------------------------

struct Meter;

thread_local! {
    // Per thread: the harness and other tests allocate on their own threads.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(n: isize) {
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + n);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

// SAFETY: forwards to the system allocator; only counts bytes.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        add(l.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        add(-(l.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static GLOBAL: Meter = Meter;

/// What the test harness itself may allocate meanwhile (starting the next test's
/// thread); the guard allocates nothing, and any body here is ≥ 1 MB.
const HEAP_SLACK: usize = 16 * 1024;

/// Tests measure the heap one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs `f` and returns its result and the peak live heap above the start, in bytes.
fn heap_peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, PEAK.with(Cell::get).saturating_sub(base).max(0) as usize)
}

// --- set-up -----------------------------------------------------------------------

const CHUNK: usize = 64 * 1024;

/// A body produced piece by piece: `head`, then `count` repetitions of `item(i)`
/// separated by `sep`, then `tail`; handed out in chunks of at most [`CHUNK`] bytes.
struct Gen<F: FnMut(u64, &mut Vec<u8>)> {
    head: Vec<u8>,
    item: F,
    sep: &'static [u8],
    count: u64,
    tail: Vec<u8>,
    next: u64,
    buf: Vec<u8>,
    done: bool,
    total: u64,
}

impl<F: FnMut(u64, &mut Vec<u8>)> Gen<F> {
    fn new(head: &str, item: F, sep: &'static [u8], count: u64, tail: &str) -> Self {
        Gen {
            head: head.as_bytes().to_vec(),
            item,
            sep,
            count,
            tail: tail.as_bytes().to_vec(),
            next: 0,
            buf: Vec::with_capacity(2 * CHUNK),
            done: false,
            total: 0,
        }
    }

    /// The next chunk (empty at the end).
    fn chunk(&mut self) -> &[u8] {
        self.buf.clear();
        if self.next == 0 && !self.head.is_empty() {
            self.buf.extend_from_slice(&core::mem::take(&mut self.head));
        }
        while self.buf.len() < CHUNK && self.next < self.count {
            if self.next > 0 {
                self.buf.extend_from_slice(self.sep);
            }
            (self.item)(self.next, &mut self.buf);
            self.next += 1;
        }
        if self.next == self.count && !self.done && self.buf.len() < CHUNK {
            self.buf.extend_from_slice(&self.tail);
            self.done = true;
        }
        self.total += self.buf.len() as u64;
        &self.buf
    }
}

/// Feeds a generated body; returns the verdict, bytes fed, and bytes fed when the guard
/// first reported `Blocked` (feeding goes on to the end, as a front end may).
fn drive<F: FnMut(u64, &mut Vec<u8>)>(
    g: &mut Guard<'_>,
    gen: &mut Gen<F>,
) -> (Verdict, u64, Option<u64>) {
    let mut blocked_at = None;
    loop {
        let c = gen.chunk();
        if c.is_empty() {
            break;
        }
        let n = c.len() as u64;
        if g.feed(c) == Progress::Blocked && blocked_at.is_none() {
            blocked_at = Some(gen.total - n + 1);
        }
    }
    (g.finish(), gen.total, blocked_at)
}

fn block(v: &Verdict) -> &misp_guard_core::Block {
    match v {
        Verdict::Block(b) => b,
        Verdict::Allow => panic!("allowed"),
    }
}

fn attribute(i: u64, out: &mut Vec<u8>) {
    write!(
        out,
        r#"{{"id":"{i}","type":"ip-dst","category":"Network activity","value":"198.51.{}.{}","distribution":"5","to_ids":true,"Tag":[{{"name":"tlp:green"}}]}}"#,
        (i >> 8) & 255,
        i & 255
    )
    .unwrap();
}

/// An event of about `mib` MiB of attributes; with `plant`, the last attribute has a
/// blocked type.
fn big_event(mib: u64, plant: bool) -> Gen<impl FnMut(u64, &mut Vec<u8>)> {
    let mut probe = vec![];
    attribute(0, &mut probe);
    let count = mib * 1024 * 1024 / (probe.len() as u64 + 1);
    let tail = if plant {
        r#",{"type":"email","category":"Other","value":"a@b.c"}],"Object":[]}}"#
    } else {
        r#"],"Object":[]}}"#
    };
    Gen::new(
        r#"{"Event":{"info":"big","distribution":"1","Tag":[{"name":"tlp:green"}],"Attribute":["#,
        attribute,
        b",",
        count,
        tail,
    )
}

// --- 100 MiB body -------------------------------------------------------------------

fn judge_big_event(mib: u64) {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    for plant in [false, true] {
        let mut gen = big_event(mib, plant);
        let t = Instant::now();
        let ((v, total, _), peak) = heap_peak(|| {
            let mut g = Guard::new(&p, insp);
            drive(&mut g, &mut gen)
        });
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "big event {mib} MiB (plant {plant}): {total} bytes in {secs:.2} s ({:.0} MiB/s), \
             heap peak {peak} bytes (generator buffer {} bytes)",
            total as f64 / 1048576.0 / secs,
            2 * CHUNK
        );
        assert!(total >= mib * 1024 * 1024 * 99 / 100, "generated only {total} bytes");
        // the generator's 2×64 KiB buffer (allocated before) is the only heap in use:
        // the guard allocates nothing and the body is never held whole
        assert!(peak < HEAP_SLACK, "heap peak {peak}");
        if plant {
            let b = block(&v);
            assert_eq!(b.reason, Reason::AttributeBlockedType);
            assert_eq!(b.detail(), "email");
        } else {
            assert_eq!(v, Verdict::Allow);
        }
    }
    let size = core::mem::size_of::<Evaluator<'_>>();
    eprintln!(
        "size_of::<Evaluator>() = {size}, size_of::<Guard>() = {}",
        core::mem::size_of::<Guard<'_>>()
    );
    assert!(size <= Evaluator::STATE_SIZE_BOUND);
}

#[test]
fn event_of_4_mib_in_64_kib_chunks() {
    judge_big_event(4);
}

#[test]
#[ignore = "heavy: run in release (scripts/fuzz-smoke.sh)"]
fn event_of_100_mib_in_64_kib_chunks() {
    judge_big_event(100);
}

// --- 50 MiB string --------------------------------------------------------------------

fn long_strings(mib: u64) {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    let n = mib * 1024 * 1024 / 64;
    let cases: [(&str, &'static [u8], &str, Option<Reason>); 5] = [
        // a long info: judged on the rest
        (r#"{"Event":{"info":""#, b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", r#"","distribution":"1","Attribute":[],"Object":[]}}"#, None),
        // a long tag name, compared with blocked tags: longer than MISP's `tags.name`,
        // which cuts it (or refuses the row), so refused — never "no match" (issue 11)
        (r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"Tag":[{"name":"tlp:red"#, b"\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046\\u0047\\u0048\\u0049\\u004A", r#""}]}}"#, Some(Reason::OverCapacity)),
        // a blocked tag followed by megabytes of spaces: `PAD SPACE` makes it the
        // blocked tag to MISP, whatever the length (issue 11, class 1)
        (r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"Tag":[{"name":"tlp:red"#, b"                                                                ", r#""}]}}"#, Some(Reason::EventBlockedTag)),
        // the same with escaped spaces and tabs
        (r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"Tag":[{"name":"TLP:RED"#, b"\\u0020\\t\\u0020 \\u0020\\u0020\\t ", r#""}]}}"#, Some(Reason::EventBlockedTag)),
        // a long string then a violation: still found
        (r#"{"Event":{"info":""#, b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", r#"","distribution":0,"Attribute":[],"Object":[]}}"#, Some(Reason::EventBlockedDistribution)),
    ];
    for (head, piece, tail, want) in cases {
        let count = n * 64 / piece.len() as u64;
        let mut gen = Gen::new(
            head,
            move |_, out: &mut Vec<u8>| out.extend_from_slice(piece),
            b"",
            count,
            tail,
        );
        let t = Instant::now();
        let ((v, total, _), peak) = heap_peak(|| {
            let mut g = Guard::new(&p, insp);
            drive(&mut g, &mut gen)
        });
        eprintln!(
            "string of {total} bytes ({}…): {:.2} s, heap peak {peak}, verdict {:?}",
            String::from_utf8_lossy(&piece[..8]),
            t.elapsed().as_secs_f64(),
            v.is_allow()
        );
        assert!(peak < HEAP_SLACK, "heap peak {peak}");
        assert_eq!(
            match &v {
                Verdict::Allow => None,
                Verdict::Block(b) => Some(b.reason),
            },
            want,
            "{v:?}"
        );
    }
}

#[test]
fn strings_of_2_mib() {
    long_strings(2);
}

#[test]
#[ignore = "heavy: run in release (scripts/fuzz-smoke.sh)"]
fn strings_of_50_mib() {
    long_strings(50);
}

// --- 10^6 nesting -----------------------------------------------------------------------

#[test]
fn nesting_of_a_million_is_refused_after_max_depth_bytes() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    let cases: [(&str, &'static [u8]); 3] = [
        (r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"x":"#, b"["),
        (r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"x":"#, b"{\"a\":"),
        // nesting through keys the rules read
        (
            r#"{"Event":{"info":"x","distribution":"1","Object":[],"Attribute":"#,
            b"[{\"ShadowAttribute\":",
        ),
    ];
    for (head, piece) in cases {
        let head_len = head.len() as u64;
        let mut gen = Gen::new(
            head,
            move |_, out: &mut Vec<u8>| out.extend_from_slice(piece),
            b"",
            1_000_000,
            "",
        );
        let t = Instant::now();
        let ((v, total, blocked_at), peak) = heap_peak(|| {
            let mut g = Guard::new(&p, insp);
            drive(&mut g, &mut gen)
        });
        let b = block(&v);
        eprintln!(
            "nesting 10^6 × {:?}: {total} bytes, blocked in chunk starting at {blocked_at:?}, \
             {:.3} s, reason {:?}, heap peak {peak}",
            String::from_utf8_lossy(piece),
            t.elapsed().as_secs_f64(),
            b.reason
        );
        assert!(
            matches!(b.reason, Reason::TooDeep | Reason::WrongType | Reason::OverCapacity),
            "{b:?}"
        );
        // decided within the first chunk: depth is bounded by MAX_DEPTH (JSON) and the
        // rule machine's frame stack, far below one chunk of input
        let limit = head_len + (MAX_DEPTH as u64 + 2) * piece.len() as u64;
        assert!(limit < CHUNK as u64);
        assert_eq!(blocked_at, Some(1), "not blocked in the first chunk");
        assert!(peak < HEAP_SLACK, "heap peak {peak}");
    }
}

#[test]
fn nesting_at_the_bound_is_judged_one_past_is_refused() {
    // every test holds SERIAL: the heap meter is process-wide
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    let judge = |depth: usize| {
        let mut body = String::from(
            r#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"x":"#,
        );
        // the wrapper and the event are 2 levels
        body.push_str(&"[".repeat(depth - 2));
        body.push_str(&"]".repeat(depth - 2));
        body.push_str("}}");
        let mut g = Guard::new(&p, insp);
        g.feed(body.as_bytes());
        g.finish()
    };
    assert_eq!(judge(MAX_DEPTH), Verdict::Allow);
    assert_eq!(block(&judge(MAX_DEPTH + 1)).reason, Reason::TooDeep);
}

// --- 10^6 tiny tags -----------------------------------------------------------------------

#[test]
fn a_hundred_thousand_tiny_tags_are_judged() {
    tiny_tags(100_000);
}

#[test]
#[ignore = "heavy: run in release (scripts/fuzz-smoke.sh)"]
fn a_million_tiny_tags_are_judged() {
    tiny_tags(1_000_000);
}

fn tiny_tags(n: u64) {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    for plant in [false, true] {
        let tail = if plant {
            r#",{"name":"TLP:RED"}],"Attribute":[],"Object":[]}}"#
        } else {
            r#"],"Attribute":[],"Object":[]}}"#
        };
        let mut gen = Gen::new(
            r#"{"Event":{"info":"x","distribution":"1","Tag":["#,
            |i, out: &mut Vec<u8>| {
                out.extend_from_slice(if i % 2 == 0 {
                    br#"{"name":"a"}"#
                } else {
                    br#"{"name":"tlp:green"}"#
                })
            },
            b",",
            n,
            tail,
        );
        let t = Instant::now();
        let ((v, total, _), peak) = heap_peak(|| {
            let mut g = Guard::new(&p, insp);
            drive(&mut g, &mut gen)
        });
        eprintln!(
            "{n} tags (plant {plant}): {total} bytes, {:.2} s, heap peak {peak}, {v:?}",
            t.elapsed().as_secs_f64()
        );
        assert!(peak < HEAP_SLACK, "heap peak {peak}");
        if plant {
            let b = block(&v);
            assert_eq!(b.reason, Reason::EventBlockedTag);
            assert_eq!(b.detail(), "TLP:RED");
            assert_eq!(b.pointer(), format!("/Event/Tag/{n}"));
        } else {
            assert_eq!(v, Verdict::Allow);
        }
    }
}

// --- decompression bombs ---------------------------------------------------------------------

/// Streams `total` bytes of `fill` (after `head`) through a compressor, handing each
/// piece of compressed output to `sink` as soon as it exists; stops when `sink` says so.
/// Returns the uncompressed bytes pushed into the compressor.
fn compress_streaming(
    enc: Encoding,
    head: &[u8],
    fill: u8,
    total: u64,
    sink: &mut dyn FnMut(&[u8]) -> bool,
) -> u64 {
    struct Tap<'a> {
        sink: &'a mut dyn FnMut(&[u8]) -> bool,
        stop: bool,
    }
    impl Write for Tap<'_> {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if !self.stop && !b.is_empty() && !(self.sink)(b) {
                self.stop = true;
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let block = vec![fill; 1 << 20];
    let mut tap = Tap { sink, stop: false };
    let mut w: Box<dyn Write + '_> = match enc {
        Encoding::Gzip => {
            Box::new(flate2::write::GzEncoder::new(&mut tap, flate2::Compression::best()))
        }
        Encoding::Deflate => {
            Box::new(flate2::write::ZlibEncoder::new(&mut tap, flate2::Compression::best()))
        }
        Encoding::Brotli => Box::new(brotli::CompressorWriter::new(&mut tap, 1 << 16, 5, 22)),
        Encoding::Identity => unreachable!(),
    };
    w.write_all(head).unwrap();
    let mut pushed = head.len() as u64;
    // The compressors buffer: check `stop` through a raw pointer-free flag poll by
    // re-borrowing after each megabyte is impossible while `w` borrows `tap`, so the
    // sink itself keeps returning `false` once the consumer is done and we bound the
    // loop by `total`; `stopped` below lets the caller see how far it went.
    while pushed < total {
        w.write_all(&block).unwrap();
        pushed += block.len() as u64;
        if STOP.load(Ordering::SeqCst) {
            break;
        }
    }
    drop(w);
    pushed
}

static STOP: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

#[test]
fn decompression_bombs_are_refused_after_bounded_work() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = policy();
    let insp = push(&p);
    const GIB: u64 = 1 << 30;
    for (enc, name) in
        [(Encoding::Gzip, "gzip"), (Encoding::Deflate, "deflate"), (Encoding::Brotli, "br")]
    {
        // 1 GiB of JSON whitespace inside an event: valid as far as it goes, so only the
        // decoding bounds can stop it
        let hdrs = [Header { name: b"Content-Encoding", value: name.as_bytes() }];
        // 1000:1: deflate cannot reach the default ratio (above MISP's brotli pushes),
        // so with the defaults only the 256 MiB size bound would stop gzip
        let lim = Limits { max_ratio: 1000, ..Limits::default() };
        let mut g = Guard::for_body(&p, insp, &hdrs, lim);
        let mut fed = 0u64;
        STOP.store(false, Ordering::SeqCst);
        let t = Instant::now();
        let ((pushed, v), peak) = heap_peak(|| {
            let pushed =
                compress_streaming(enc, br#"{"Event":{"info":"x","x":"#, b' ', GIB, &mut |c| {
                    fed += c.len() as u64;
                    if g.feed(c) == Progress::Blocked {
                        STOP.store(true, Ordering::SeqCst);
                        return false;
                    }
                    true
                });
            (pushed, g.finish())
        });
        let b = block(&v);
        eprintln!(
            "{name} bomb: refused {:?} ({}) after {fed} encoded bytes ({pushed} plain bytes \
             compressed), {:.2} s, heap peak {peak} (incl. the compressor)",
            b.reason,
            b.detail(),
            t.elapsed().as_secs_f64()
        );
        assert!(matches!(b.reason, Reason::RatioExceeded | Reason::DecodedTooLarge), "{b:?}");
        // refused long before the 1 GiB: the ratio bound applies past RATIO_GRACE
        assert!(pushed < GIB / 4, "compressed {pushed} bytes before the refusal");
    }
}

#[test]
fn a_gibibyte_of_zeros_through_the_bare_decoder() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (enc, limits) in [
        (Encoding::Gzip, Limits { max_ratio: 1000, ..Limits::default() }),
        (Encoding::Brotli, Limits::default()),
        // ratio off: the size bound stops it
        (
            Encoding::Deflate,
            Limits { max_decoded: 8 << 20, max_ratio: u64::MAX, ..Limits::default() },
        ),
    ] {
        let mut d = Decoder::new(enc, limits);
        let mut out = 0u64;
        let mut err = None;
        STOP.store(false, Ordering::SeqCst);
        let ((), peak) = heap_peak(|| {
            compress_streaming(enc, b"", 0, 1 << 30, &mut |c| {
                let r = d.feed(c, &mut |piece: &[u8]| {
                    assert!(piece.len() <= WINDOW);
                    out += piece.len() as u64;
                    true
                });
                if let Err(e) = r {
                    err = Some(e);
                    STOP.store(true, Ordering::SeqCst);
                    return false;
                }
                true
            });
        });
        eprintln!(
            "{enc:?} 1 GiB zeros: {err:?} after {} encoded bytes, {out} decoded, heap peak {peak}",
            d.consumed()
        );
        assert!(out <= limits.max_decoded);
        match err {
            Some(DecodeError::Ratio(_)) => {
                assert!(out <= RATIO_GRACE.max(d.consumed() * limits.max_ratio) + WINDOW as u64)
            }
            Some(DecodeError::TooLarge(n)) => assert_eq!(n, limits.max_decoded),
            other => panic!("{enc:?}: {other:?}"),
        }
    }
}

// --- Limits::max_body: the body as sent ------------------------------------------------

/// Feeds `head`, then spaces (valid after the JSON value) up to `n` bytes in all, in
/// chunks of up to 1 MiB; returns the verdict and whether the guard said it was over
/// its bound `max` (reading stops with the chunk that crosses it).
fn padded(g: &mut Guard<'_>, head: &[u8], n: u64, max: u64) -> (Verdict, bool) {
    let pad = vec![b' '; 1 << 20];
    let _ = g.feed(head);
    let mut left = n - head.len() as u64;
    while left > 0 {
        let k = left.min(pad.len() as u64) as usize;
        let _ = g.feed(&pad[..k]);
        left -= k as u64;
    }
    let over = g.over_body_bound();
    if over {
        // reading stopped with the chunk that crossed the bound
        let fed = g.fed();
        assert!(fed <= n && fed > max && fed - max <= pad.len() as u64, "{fed} of {n}");
    } else {
        assert_eq!(g.fed(), n);
    }
    (g.finish(), over)
}

fn reason(v: &Verdict) -> Option<Reason> {
    match v {
        Verdict::Allow => None,
        Verdict::Block(b) => Some(b.reason),
    }
}

const ALLOWED: &[u8] = br#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[]}}"#;
const TAGGED: &[u8] = br#"{"Event":{"info":"x","distribution":"1","Attribute":[],"Object":[],"Tag":[{"name":"tlp:red"}]}}"#;

/// The verdict table at a bound: −1, =, +1, ×10; past the bound the size refusal wins
/// over what the body holds (as nginx's `misp_guard_max_body_size` always did).
fn max_body_table(max: u64, new: impl Fn() -> Guard<'static>) {
    for (step, n) in [("-1", max - 1), ("=", max), ("+1", max + 1), ("x10", max * 10)] {
        for (head, under) in [(ALLOWED, None), (TAGGED, Some(Reason::EventBlockedTag))] {
            let (v, over) = padded(&mut new(), head, n, max);
            assert_eq!(over, n > max, "{step}");
            if n <= max {
                assert_eq!(reason(&v), under, "{step}: {v:?}");
            } else {
                let b = block(&v);
                assert_eq!((b.reason, b.detail()), (Reason::BodyTooLarge, &*max.to_string()));
            }
        }
    }
}

#[test]
fn max_body_at_its_bound() {
    let p = std::sync::Arc::new(policy());
    let insp = push(&p);
    let lim = Limits { max_body: 1000, ..Limits::default() };
    max_body_table(1000, || Guard::for_body(p.clone(), insp, &[], lim));
    // the bound counts bytes as sent: 1000 encoded bytes may decode to far more
    let hdrs = [Header { name: b"Content-Encoding", value: b"gzip" }];
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(ALLOWED).unwrap();
    z.write_all(&vec![b' '; 1 << 20]).unwrap();
    let gz = z.finish().unwrap();
    for (n, lim, want) in [
        (gz.len() as u64, gz.len() as u64, None),
        (gz.len() as u64, gz.len() as u64 - 1, Some(Reason::BodyTooLarge)),
    ] {
        let mut g =
            Guard::for_body(&*p, insp, &hdrs, Limits { max_body: lim, ..Limits::default() });
        let _ = g.feed(&gz);
        assert_eq!(g.fed(), n);
        let v = g.finish();
        assert_eq!(reason(&v), want, "{v:?}");
    }
}

#[test]
#[ignore = "heavy: 256 MiB judged per row, run in release (scripts/fuzz-smoke.sh)"]
fn max_body_at_its_default_bound() {
    let _s = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let p = std::sync::Arc::new(policy());
    let insp = push(&p);
    let max = misp_guard_core::limits::DEFAULT_MAX_BODY;
    assert_eq!(Limits::default().max_body, max);
    // `Guard::new` and `Guard::for_body` with the default limits
    max_body_table(max, || Guard::new(p.clone(), insp));
    max_body_table(max, || Guard::for_body(p.clone(), insp, &[], Limits::default()));
}
