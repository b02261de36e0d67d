//! SIMD scanning of string interiors: the only `unsafe` in core.
//!
//! [`plain_len`] has exactly the contract of the portable [`super::scan::plain_len`]
//! (the length of the leading run of printable ASCII other than `"` and `\`) and
//! answers the same for every input; the unit tests below and `core/tests/simd.rs`
//! check that at every alignment and length.
//!
//! Which path runs:
//! * x86_64 with `std`: AVX2 (32 bytes a step) when the CPU has it, detected at run
//!   time, else SSE2 (16 bytes a step; part of the x86_64 baseline);
//! * x86_64 without `std`: AVX2 when compiled with `target_feature = "avx2"`, else SSE2;
//! * any other target, or `--cfg misp_guard_disable_simd`: the portable scan.
//!
//! Each vector step classifies a block in a handful of instructions (one signed compare
//! catches both control bytes and non-ASCII bytes, two equality compares catch `"` and
//! `\`); the tail shorter than a vector goes to the portable scan, so no load ever
//! reads past the slice.

/// Length of the leading run of bytes that need no attention inside a JSON string;
/// see [`super::scan::plain_len`].
#[inline]
pub(crate) fn plain_len(s: &[u8]) -> usize {
    #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
    {
        x86::plain_len(s)
    }
    #[cfg(not(all(target_arch = "x86_64", not(misp_guard_disable_simd))))]
    {
        super::scan::plain_len(s)
    }
}

/// Which implementation [`plain_len`] uses on this machine (for tests and reports).
#[allow(dead_code)]
pub(crate) fn implementation() -> &'static str {
    #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
    {
        if x86::has_avx2() {
            "avx2"
        } else {
            "sse2"
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(misp_guard_disable_simd))))]
    {
        "portable"
    }
}

/// Bit masks of one 64-byte block of the body: bit `k` describes byte `k`.
///
/// This is Stage 1 of the structural index: what each byte *is*, before any context.
/// [`index`] then adds the context (escaped bytes, inside or outside a string).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    /// `"`
    pub quote: u64,
    /// `\`
    pub backslash: u64,
    /// `{`, `}`, `[`, `]`, `:` and `,`
    pub structural: u64,
    /// JSON white space: space, tab, line feed, carriage return
    pub ws: u64,
    /// below 0x20 (an error inside a string; tab, LF, CR are white space outside)
    pub control: u64,
    /// 0x80 and above (a UTF-8 sequence byte)
    pub non_ascii: u64,
}

/// The context carried from one byte to the next (so across blocks *and* across
/// `feed` chunks): whether the next byte is inside a string, and whether it is
/// escaped (it follows an odd run of backslashes).
///
/// The carry at any position of the body is a function of the tokenizer's state
/// there (inside a string: `Str`/`Esc`/`Uni`/`LowEsc`/`LowU`; escaped: `Esc`/`LowU`), which
/// the tokenizer keeps across chunks; see `Tokenizer::index_carry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Carry {
    /// The next byte is inside a string (after its opening quote).
    pub in_string: bool,
    /// The next byte is escaped (odd backslash run before it).
    pub escaped: bool,
}

/// The structural index of one block, bit `k` for byte `k`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Index {
    /// Bytes that follow an odd run of backslashes.
    pub escaped: u64,
    /// Quotes that open or close a string (not escaped).
    pub quote: u64,
    /// Bytes inside a string: from the opening quote (included) to the closing
    /// quote (excluded).
    pub in_string: u64,
    /// Structural characters outside strings.
    pub structural: u64,
}

/// Classifies the 64 bytes of `block` (vector path where the target has one).
#[inline]
pub(crate) fn classify(block: &[u8; 64]) -> Masks {
    #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
    {
        x86::classify(block)
    }
    #[cfg(not(all(target_arch = "x86_64", not(misp_guard_disable_simd))))]
    {
        classify_portable(block)
    }
}

/// The portable twin of [`classify`]: the same masks for every block, a byte at a
/// time (the property tests below compare the two).
#[cfg_attr(all(target_arch = "x86_64", not(misp_guard_disable_simd), not(test)), allow(dead_code))]
#[inline]
pub(crate) fn classify_portable(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (k, &b) in block.iter().enumerate() {
        let bit = 1u64 << k;
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'}' | b'[' | b']' | b':' | b',' => m.structural |= bit,
            b' ' => m.ws |= bit,
            b'\t' | b'\n' | b'\r' => {
                m.ws |= bit;
                m.control |= bit;
            }
            0..=0x1f => m.control |= bit,
            0x80..=0xff => m.non_ascii |= bit,
            _ => {}
        }
    }
    m
}

/// Bit `k` of the result: the XOR of bits `0..=k` of `x` (a carry-less multiply by
/// all ones, as a shift cascade; [`prefix_xor`] may use the `pclmulqdq` instruction).
/// Compiled for a CPU with `pclmulqdq`, only the tests call it.
#[inline]
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "pclmulqdq", not(misp_guard_disable_simd)),
    allow(dead_code)
)]
pub(crate) fn prefix_xor_portable(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// [`prefix_xor_portable`], by carry-less multiplication when the crate is compiled
/// for a CPU with `pclmulqdq` (there is no cheap run-time switch per block).
#[inline]
pub(crate) fn prefix_xor(x: u64) -> u64 {
    #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq", not(misp_guard_disable_simd)))]
    {
        x86::prefix_xor_clmul(x)
    }
    #[cfg(not(all(
        target_arch = "x86_64",
        target_feature = "pclmulqdq",
        not(misp_guard_disable_simd)
    )))]
    {
        prefix_xor_portable(x)
    }
}

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// The index of a block from its masks, of which the first `len` bytes (1 to 64) are
/// body: the rest must be classified as white space (callers pad with spaces). The
/// carry goes in as the context before byte 0 and comes out as the context after
/// byte `len - 1`, so the index of a body is the same however it is cut into blocks
/// and chunks.
///
/// Escapes are counted everywhere, also outside strings (where a backslash is a
/// syntax error the tokenizer reports anyway).
#[inline]
pub(crate) fn index(m: &Masks, len: usize, carry: &mut Carry) -> Index {
    debug_assert!((1..=64).contains(&len));
    // odd backslash runs (simdjson's method): a backslash that is itself escaped
    // starts nothing; runs starting at odd positions flip parity through the add
    let prev = carry.escaped as u64;
    let bs = m.backslash & !prev;
    let follows = (bs << 1) | prev;
    let odd_starts = bs & !EVEN_BITS & !follows;
    let (even_seqs, overflow) = odd_starts.overflowing_add(bs);
    let escaped = (EVEN_BITS ^ (even_seqs << 1)) & follows;
    let quote = m.quote & !escaped;
    let in_string = prefix_xor(quote) ^ if carry.in_string { u64::MAX } else { 0 };
    carry.in_string = (in_string >> (len - 1)) & 1 != 0;
    carry.escaped = if len == 64 { overflow } else { (escaped >> len) & 1 != 0 };
    Index { escaped, quote, in_string, structural: m.structural & !in_string }
}

/// The index of up to 64 bytes (`bytes.len()` from 1 to 64), padded with spaces.
#[inline]
pub(crate) fn index_bytes(bytes: &[u8], carry: &mut Carry) -> (Masks, Index) {
    if let Ok(full) = <&[u8; 64]>::try_from(bytes) {
        let m = classify(full);
        return (m, index(&m, 64, carry));
    }
    let mut block = [b' '; 64];
    block[..bytes.len()].copy_from_slice(bytes);
    let m = classify(&block);
    let ix = index(&m, bytes.len(), carry);
    (m, ix)
}

/// The end of a string by the index: `s` starts just after an opening quote (or
/// anywhere inside a string, not after a backslash). Returns the position in `s` of
/// the closing quote, when it is in `s` and everything before it is a valid JSON
/// string interior (no control byte, valid UTF-8, valid escapes with paired
/// surrogates): exactly the strings the byte-at-a-time path accepts. `None`: the
/// string does not end in `s`, or something is wrong, and the caller takes the byte
/// path (which reports errors with their offsets).
#[inline]
pub(crate) fn string_end(s: &[u8]) -> Option<usize> {
    let mut carry = Carry { in_string: true, escaped: false };
    let mut at = 0;
    let mut non_ascii = false;
    // where the `\u` of a low surrogate must start (after a high one)
    let mut low_at = usize::MAX;
    while at < s.len() {
        let blk = &s[at..s.len().min(at + 64)];
        let (m, ix) = index_bytes(blk, &mut carry);
        let live = if blk.len() == 64 { u64::MAX } else { (1u64 << blk.len()) - 1 };
        // the first unescaped quote closes the string: we start inside it
        let close = ix.quote & live;
        let upto = if close != 0 { (close & close.wrapping_neg()) - 1 } else { live };
        if m.control & upto != 0 {
            return None;
        }
        non_ascii |= m.non_ascii & upto != 0;
        // escapes start at the backslashes that are not escaped themselves
        let mut starts = m.backslash & !ix.escaped & upto;
        while starts != 0 {
            let p = at + starts.trailing_zeros() as usize;
            starts &= starts - 1;
            if !escape_valid(s, p, &mut low_at) {
                return None;
            }
        }
        if close != 0 {
            let q = at + close.trailing_zeros() as usize;
            if low_at != usize::MAX {
                return None;
            }
            if non_ascii && core::str::from_utf8(&s[..q]).is_err() {
                return None;
            }
            return Some(q);
        }
        at += blk.len();
    }
    None
}

/// Whether the escape at `s[p]` (a backslash) is valid where it stands; `low_at` is
/// where a low surrogate's `\u` must start (`usize::MAX`: none pending), updated.
#[inline]
fn escape_valid(s: &[u8], p: usize, low_at: &mut usize) -> bool {
    let pending = *low_at != usize::MAX;
    if pending && p != *low_at {
        return false;
    }
    match s.get(p + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => !pending,
        Some(b'u') => {
            let Some(h) = s.get(p + 2..p + 6) else { return false };
            let mut u = 0u32;
            for &c in h {
                u = u << 4
                    | match c {
                        b'0'..=b'9' => c - b'0',
                        b'a'..=b'f' => c - b'a' + 10,
                        b'A'..=b'F' => c - b'A' + 10,
                        _ => return false,
                    } as u32;
            }
            if pending != (0xDC00..=0xDFFF).contains(&u) {
                return false;
            }
            *low_at = if (0xD800..=0xDBFF).contains(&u) { p + 6 } else { usize::MAX };
            true
        }
        _ => false,
    }
}

#[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
mod x86 {
    use core::arch::x86_64::{
        __m128i, __m256i, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8,
        _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    /// Whether the AVX2 path may run.
    #[inline]
    pub(super) fn has_avx2() -> bool {
        #[cfg(target_feature = "avx2")]
        {
            true
        }
        #[cfg(all(not(target_feature = "avx2"), feature = "std"))]
        {
            std::is_x86_feature_detected!("avx2")
        }
        #[cfg(all(not(target_feature = "avx2"), not(feature = "std")))]
        {
            false
        }
    }

    #[inline]
    pub(super) fn plain_len(s: &[u8]) -> usize {
        // Most keys and values end within 16 bytes: one inlined SSE2 step answers
        // them without a call or a feature check.
        if s.len() >= 16 {
            // SAFETY: `s.len() >= 16`, so the 16-byte load stays inside `s`; SSE2 is
            // enabled on every x86_64 target.
            let m = unsafe { special_mask16(s.as_ptr()) };
            if m != 0 {
                return m.trailing_zeros() as usize;
            }
            // UUIDs, hashes, e-mail addresses: a second inlined step
            if s.len() >= 32 {
                // SAFETY: `s.len() >= 32`, so the 16-byte load at 16 stays inside
                // `s`; SSE2 as above.
                let m = unsafe { special_mask16(s.as_ptr().add(16)) };
                if m != 0 {
                    return 16 + m.trailing_zeros() as usize;
                }
                return 32 + plain_len_long(&s[32..]);
            }
            return 16 + plain_len_long(&s[16..]);
        }
        super::super::scan::plain_len(s)
    }

    /// The rest of a run longer than 16 bytes.
    #[inline(never)]
    fn plain_len_long(s: &[u8]) -> usize {
        if s.len() >= 32 && has_avx2() {
            // SAFETY: `has_avx2` is true only when the CPU supports AVX2 (detected at
            // run time, or the whole crate was compiled for AVX2).
            return unsafe { plain_len_avx2(s) };
        }
        plain_len_sse2(s)
    }

    /// SSE2 scan (SSE2 is part of the x86_64 baseline, so this is always allowed).
    #[inline]
    fn plain_len_sse2(s: &[u8]) -> usize {
        let mut i = 0;
        while i + 16 <= s.len() {
            // SAFETY: `i + 16 <= s.len()`, so the unaligned 16-byte load stays inside
            // `s`; SSE2 is enabled on every x86_64 target.
            let m = unsafe { special_mask16(s.as_ptr().add(i)) };
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 16;
        }
        i + super::super::scan::plain_len(&s[i..])
    }

    /// Bit k set where byte k of the 16 at `p` is `"`, `\`, below 0x20 or at/above 0x80.
    ///
    /// # Safety
    /// `p` must be valid for reading 16 bytes.
    #[inline]
    unsafe fn special_mask16(p: *const u8) -> u32 {
        // SAFETY: the caller guarantees 16 readable bytes; `loadu` has no alignment
        // requirement; the rest are register-only SSE2 operations.
        unsafe {
            let v = _mm_loadu_si128(p as *const __m128i);
            // signed compare: 0x80..=0xFF are negative, so this catches controls and
            // non-ASCII at once
            let low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let b = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(low, _mm_or_si128(q, b))) as u32
        }
    }

    /// AVX2 scan: 32 bytes a step, then SSE2 and the portable scan for the tail.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn plain_len_avx2(s: &[u8]) -> usize {
        let mut i = 0;
        while i + 32 <= s.len() {
            // SAFETY: `i + 32 <= s.len()`, so the unaligned 32-byte load stays inside
            // `s`; the caller guarantees AVX2.
            let m = unsafe {
                let v = _mm256_loadu_si256(s.as_ptr().add(i) as *const __m256i);
                let low = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v);
                let q = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
                let b = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
                _mm256_movemask_epi8(_mm256_or_si256(low, _mm256_or_si256(q, b))) as u32
            };
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i += 32;
        }
        i + plain_len_sse2(&s[i..])
    }

    /// [`super::classify`]: four SSE2 steps of 16 bytes (or two AVX2 steps when the
    /// crate is compiled for AVX2; a run-time switch would cost a call per block).
    #[inline]
    pub(super) fn classify(block: &[u8; 64]) -> super::Masks {
        #[cfg(target_feature = "avx2")]
        {
            // SAFETY: the crate is compiled for AVX2; `block` has 64 readable bytes,
            // so both 32-byte loads stay inside it.
            unsafe {
                let lo = classify32(block.as_ptr());
                let hi = classify32(block.as_ptr().add(32));
                combine(lo, hi, 32)
            }
        }
        #[cfg(not(target_feature = "avx2"))]
        {
            // SAFETY: `block` has 64 readable bytes, so the four 16-byte loads at 0,
            // 16, 32 and 48 stay inside it; SSE2 is enabled on every x86_64 target.
            unsafe {
                let a = classify16(block.as_ptr());
                let b = classify16(block.as_ptr().add(16));
                let c = classify16(block.as_ptr().add(32));
                let d = classify16(block.as_ptr().add(48));
                combine(combine(a, b, 16), combine(c, d, 16), 32)
            }
        }
    }

    #[inline]
    fn combine(lo: super::Masks, hi: super::Masks, shift: u32) -> super::Masks {
        super::Masks {
            quote: lo.quote | hi.quote << shift,
            backslash: lo.backslash | hi.backslash << shift,
            structural: lo.structural | hi.structural << shift,
            ws: lo.ws | hi.ws << shift,
            control: lo.control | hi.control << shift,
            non_ascii: lo.non_ascii | hi.non_ascii << shift,
        }
    }

    /// Masks of the 16 bytes at `p` (bits 0 to 15).
    ///
    /// # Safety
    /// `p` must be valid for reading 16 bytes.
    #[cfg(any(test, not(target_feature = "avx2")))]
    #[inline]
    unsafe fn classify16(p: *const u8) -> super::Masks {
        // SAFETY: the caller guarantees 16 readable bytes; `loadu` has no alignment
        // requirement; the rest are register-only SSE2 operations.
        unsafe {
            let v = _mm_loadu_si128(p as *const __m128i);
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let mm = |x: __m128i| _mm_movemask_epi8(x) as u32 as u64;
            // `[`/`{` and `]`/`}` differ only in bit 0x20
            let v20 = _mm_or_si128(v, _mm_set1_epi8(0x20));
            let brackets = _mm_or_si128(
                _mm_cmpeq_epi8(v20, _mm_set1_epi8(b'{' as i8)),
                _mm_cmpeq_epi8(v20, _mm_set1_epi8(b'}' as i8)),
            );
            let structural = _mm_or_si128(brackets, _mm_or_si128(eq(b':'), eq(b',')));
            let ws =
                _mm_or_si128(_mm_or_si128(eq(b' '), eq(b'\t')), _mm_or_si128(eq(b'\n'), eq(b'\r')));
            // signed: 0x80..=0xFF are negative and fall below 0x20 as well
            let below = mm(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            let non_ascii = mm(v);
            super::Masks {
                quote: mm(eq(b'"')),
                backslash: mm(eq(b'\\')),
                structural: mm(structural),
                ws: mm(ws),
                control: below & !non_ascii,
                non_ascii,
            }
        }
    }

    /// Masks of the 32 bytes at `p` (bits 0 to 31).
    ///
    /// # Safety
    /// `p` must be valid for reading 32 bytes and the CPU must support AVX2.
    #[cfg(target_feature = "avx2")]
    #[inline]
    unsafe fn classify32(p: *const u8) -> super::Masks {
        use core::arch::x86_64::{_mm256_cmpgt_epi8, _mm256_or_si256};
        // SAFETY: the caller guarantees 32 readable bytes and AVX2; `loadu` has no
        // alignment requirement; the rest are register-only operations.
        unsafe {
            let v = _mm256_loadu_si256(p as *const __m256i);
            let eq = |c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
            let mm = |x: __m256i| _mm256_movemask_epi8(x) as u32 as u64;
            let v20 = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
            let brackets = _mm256_or_si256(
                _mm256_cmpeq_epi8(v20, _mm256_set1_epi8(b'{' as i8)),
                _mm256_cmpeq_epi8(v20, _mm256_set1_epi8(b'}' as i8)),
            );
            let structural = _mm256_or_si256(brackets, _mm256_or_si256(eq(b':'), eq(b',')));
            let ws = _mm256_or_si256(
                _mm256_or_si256(eq(b' '), eq(b'\t')),
                _mm256_or_si256(eq(b'\n'), eq(b'\r')),
            );
            let below = mm(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v));
            let non_ascii = mm(v);
            super::Masks {
                quote: mm(eq(b'"')),
                backslash: mm(eq(b'\\')),
                structural: mm(structural),
                ws: mm(ws),
                control: below & !non_ascii,
                non_ascii,
            }
        }
    }

    /// [`super::prefix_xor`] by one carry-less multiplication with all ones.
    #[cfg(any(test, target_feature = "pclmulqdq"))]
    #[inline]
    pub(super) fn prefix_xor_clmul(x: u64) -> u64 {
        #[cfg(target_feature = "pclmulqdq")]
        {
            use core::arch::x86_64::{_mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x};
            // SAFETY: the crate is compiled for `pclmulqdq`; register-only operations.
            unsafe {
                let r =
                    _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set_epi64x(0, -1i64), 0);
                _mm_cvtsi128_si64(r) as u64
            }
        }
        #[cfg(not(target_feature = "pclmulqdq"))]
        {
            if std::is_x86_feature_detected!("pclmulqdq") {
                // SAFETY: the CPU supports `pclmulqdq`, detected just above.
                unsafe { clmul_detected(x) }
            } else {
                super::prefix_xor_portable(x)
            }
        }
    }

    /// # Safety
    /// The CPU must support `pclmulqdq`.
    #[cfg(all(test, not(target_feature = "pclmulqdq")))]
    #[target_feature(enable = "pclmulqdq,sse2")]
    unsafe fn clmul_detected(x: u64) -> u64 {
        use core::arch::x86_64::{_mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x};
        let r = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set_epi64x(0, -1i64), 0);
        _mm_cvtsi128_si64(r) as u64
    }

    #[cfg(test)]
    pub(super) fn classify_sse2_for_tests(block: &[u8; 64]) -> super::Masks {
        // SAFETY: as in `classify`: four 16-byte loads inside the 64-byte block.
        unsafe {
            let a = classify16(block.as_ptr());
            let b = classify16(block.as_ptr().add(16));
            let c = classify16(block.as_ptr().add(32));
            let d = classify16(block.as_ptr().add(48));
            combine(combine(a, b, 16), combine(c, d, 16), 32)
        }
    }

    #[cfg(test)]
    pub(super) fn sse2_for_tests(s: &[u8]) -> usize {
        plain_len_sse2(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::scan;
    use std::vec::Vec;

    fn naive(s: &[u8]) -> usize {
        s.iter()
            .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
            .unwrap_or(s.len())
    }

    /// xorshift: deterministic, no dependency
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    fn check(s: &[u8]) {
        let want = naive(s);
        assert_eq!(super::plain_len(s), want, "{s:?}");
        assert_eq!(scan::plain_len(s), want, "portable {s:?}");
        #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
        assert_eq!(super::x86::sse2_for_tests(s), want, "sse2 {s:?}");
    }

    #[test]
    fn every_special_byte_at_every_position_length_and_alignment() {
        let specials = [b'"', b'\\', 0u8, 0x1f, 0x7f, 0x80, 0xc3, 0xff, b' ', b'!', b'~'];
        let mut buf = std::vec![b'a'; 160];
        for align in 0..32 {
            for len in 0..100 {
                for pos in 0..=len {
                    for &sp in &specials {
                        buf.iter_mut().for_each(|b| *b = b'a');
                        if pos < len {
                            buf[align + pos] = sp;
                        }
                        check(&buf[align..align + len]);
                    }
                }
            }
        }
        assert!(!super::implementation().is_empty());
    }

    #[test]
    fn random_inputs_agree() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut buf: Vec<u8> = Vec::new();
        for _ in 0..20_000 {
            let len = (rng(&mut seed) % 200) as usize;
            let align = (rng(&mut seed) % 32) as usize;
            buf.clear();
            buf.resize(align, 0xAA);
            // mostly plain bytes, with a rare special one
            for _ in 0..len {
                let r = rng(&mut seed);
                let b = if r % 97 == 0 { (r >> 8) as u8 } else { 0x20 + ((r >> 8) % 0x60) as u8 };
                buf.push(b);
            }
            check(&buf[align..]);
        }
    }
}

/// Property tests of the structural index: the vector classifier against its portable
/// twin, both prefix-XORs, and the bit-parallel index against a byte-at-a-time
/// reference, for every carry-in and however the bytes are cut into blocks.
#[cfg(test)]
mod index_tests {
    use super::{classify, classify_portable, index, index_bytes, prefix_xor, Carry, Index};
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Bytes that matter to the index, often, and anything else, sometimes.
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => proptest::sample::select(&b"\"\\{}[]:, \t\n\rau0\x00\x1f\x7f\x80\xc3\xff"[..]),
            1 => any::<u8>(),
        ]
    }

    fn block() -> impl Strategy<Value = [u8; 64]> {
        proptest::collection::vec(byte(), 64).prop_map(|v| {
            let mut b = [0u8; 64];
            b.copy_from_slice(&v);
            b
        })
    }

    /// The index a byte at a time, from its definition: a byte is escaped when it
    /// follows an unescaped backslash; an unescaped quote opens or closes a string.
    fn reference(bytes: &[u8], carry: &mut Carry) -> Index {
        let mut ix = Index::default();
        for (k, &b) in bytes.iter().enumerate() {
            let bit = 1u64 << k;
            let escaped = carry.escaped;
            if escaped {
                ix.escaped |= bit;
            }
            carry.escaped = !escaped && b == b'\\';
            let mut inside = carry.in_string;
            if b == b'"' && !escaped {
                ix.quote |= bit;
                carry.in_string = !carry.in_string;
                inside = carry.in_string;
            }
            if inside {
                ix.in_string |= bit;
            }
            if !inside && matches!(b, b'{' | b'}' | b'[' | b']' | b':' | b',') {
                ix.structural |= bit;
            }
        }
        ix
    }

    fn mask(len: usize) -> u64 {
        if len == 64 {
            u64::MAX
        } else {
            (1u64 << len) - 1
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn vector_and_portable_classifiers_agree(b in block()) {
            let want = classify_portable(&b);
            prop_assert_eq!(classify(&b), want);
            #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
            prop_assert_eq!(super::x86::classify_sse2_for_tests(&b), want);
        }

        #[test]
        fn prefix_xors_agree(x in any::<u64>()) {
            let mut naive = 0u64;
            let mut acc = 0u64;
            for k in 0..64 {
                acc ^= (x >> k) & 1;
                naive |= acc << k;
            }
            prop_assert_eq!(super::prefix_xor_portable(x), naive);
            prop_assert_eq!(prefix_xor(x), naive);
            #[cfg(all(target_arch = "x86_64", not(misp_guard_disable_simd)))]
            prop_assert_eq!(super::x86::prefix_xor_clmul(x), naive);
        }

        #[test]
        fn index_matches_the_reference_for_every_carry_in(
            b in block(),
            len in 1usize..=64,
            in_string in any::<bool>(),
            escaped in any::<bool>(),
        ) {
            let start = Carry { in_string, escaped };
            let mut want_carry = start;
            let want = reference(&b[..len], &mut want_carry);
            // the full block: its masks, and the padded block of `len` bytes
            let mut carry = start;
            let (_, got) = index_bytes(&b[..len], &mut carry);
            let m = mask(len);
            prop_assert_eq!(carry, want_carry);
            prop_assert_eq!(got.escaped & m, want.escaped);
            prop_assert_eq!(got.quote & m, want.quote);
            prop_assert_eq!(got.in_string & m, want.in_string);
            prop_assert_eq!(got.structural & m, want.structural);
            // the portable classifier gives the same index
            let mut padded = [b' '; 64];
            padded[..len].copy_from_slice(&b[..len]);
            let mut c2 = start;
            prop_assert_eq!(index(&classify_portable(&padded), len, &mut c2), got);
            prop_assert_eq!(c2, carry);
        }

        #[test]
        fn index_does_not_depend_on_the_cuts(
            body in proptest::collection::vec(byte(), 1..400),
            cuts in proptest::collection::vec(1usize..80, 1..20),
        ) {
            // per-byte index bits, as (escaped, quote, in_string, structural)
            let bits = |pieces: &mut dyn Iterator<Item = &[u8]>| {
                let mut carry = Carry::default();
                let mut out = Vec::new();
                for p in pieces {
                    for blk in p.chunks(64) {
                        let (_, ix) = index_bytes(blk, &mut carry);
                        for k in 0..blk.len() {
                            let at = |m: u64| (m >> k) & 1 != 0;
                            out.push((at(ix.escaped), at(ix.quote), at(ix.in_string), at(ix.structural)));
                        }
                    }
                }
                (out, carry)
            };
            let whole = bits(&mut core::iter::once(&body[..]));
            let mut pieces = Vec::new();
            let mut rest = &body[..];
            let mut c = cuts.iter().cycle();
            while !rest.is_empty() {
                let n = (*c.next().unwrap()).min(rest.len());
                pieces.push(&rest[..n]);
                rest = &rest[n..];
            }
            prop_assert_eq!(bits(&mut pieces.iter().copied()), whole.clone());
            let mut c = Carry::default();
            for blk in body.chunks(64) {
                reference(blk, &mut c);
            }
            prop_assert_eq!(whole.1, c);
        }
    }

    #[test]
    fn escaped_quotes_and_backslash_runs() {
        let body = br#"{"a\\":"b\"c\\\"d","e":[1,"\\\\"]}"#;
        let mut carry = Carry::default();
        let (_, ix) = index_bytes(body, &mut carry);
        let got: std::string::String = (0..body.len())
            .map(|k| {
                if (ix.structural >> k) & 1 != 0 {
                    's'
                } else if (ix.quote >> k) & 1 != 0 {
                    'q'
                } else {
                    '.'
                }
            })
            .collect();
        assert_eq!(got, "sq...qsq.........qsq.qss.sq....qss");
        assert_eq!(carry, Carry::default());
    }
}
