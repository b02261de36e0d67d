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
