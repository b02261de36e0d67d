//! Word-at-a-time scanning of string content (portable, safe).

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Length of the leading run of bytes that need no attention inside a JSON string:
/// printable ASCII other than `"` and `\`. Stops at a quote, a backslash, a control
/// byte or a non-ASCII byte.
#[inline]
pub(crate) fn plain_len(s: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let q = w ^ (LO * b'"' as u64);
        let b = w ^ (LO * b'\\' as u64);
        // per byte: high bit set where the byte is `"`, `\`, < 0x20 or >= 0x80; bytes
        // above the first flagged one may be flagged falsely (borrows), the first is exact
        let m = ((q.wrapping_sub(LO) & !q)
            | (b.wrapping_sub(LO) & !b)
            | (w.wrapping_sub(LO * 0x20) & !w)
            | w)
            & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() {
        let c = s[i];
        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
            return i;
        }
        i += 1;
    }
    i
}

/// Length of the leading run of string text: every byte but `"`, `\` and control
/// bytes (below 0x20); non-ASCII bytes do not stop it (unlike [`plain_len`]).
#[inline]
pub(crate) fn text_len(s: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let q = w ^ (LO * b'"' as u64);
        let b = w ^ (LO * b'\\' as u64);
        // as in `plain_len`, without the non-ASCII term: the first flagged byte is
        // exact (`!w` keeps bytes at/above 0x80 from counting as below 0x20)
        let m = ((q.wrapping_sub(LO) & !q)
            | (b.wrapping_sub(LO) & !b)
            | (w.wrapping_sub(LO * 0x20) & !w))
            & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() {
        let c = s[i];
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Length of the leading run of spaces (`0x20`) in `s`.
#[inline]
pub(crate) fn spaces_len(s: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let y = u64::from_le_bytes(w) ^ (LO * b' ' as u64);
        // exact per byte (no borrows): high bit set where the byte is not a space
        let m = (((y & !HI).wrapping_add(!HI)) | y) & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && s[i] == b' ' {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::{plain_len, spaces_len};

    #[test]
    fn spaces_len_agrees_with_the_naive_scan() {
        for stop in [b'a', b'\n', b'\t', 0u8, 0x80, 0xa0, 0x21, 0x1f, 0x60, 0xff] {
            for len in 0..40 {
                for pos in 0..=len {
                    let mut v = std::vec![b' '; len];
                    if pos < len {
                        v[pos] = stop;
                    }
                    let naive = v.iter().position(|&c| c != b' ').unwrap_or(v.len());
                    assert_eq!(spaces_len(&v), naive, "{stop:#x} len {len} pos {pos}");
                }
            }
        }
    }

    fn naive(s: &[u8]) -> usize {
        s.iter()
            .position(|&c| c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c))
            .unwrap_or(s.len())
    }

    #[test]
    fn text_len_agrees_with_the_naive_scan_on_every_position() {
        let naive = |s: &[u8]| s.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        for stop in [b'"', b'\\', 0u8, 0x1f, 0x0a] {
            for fill in [b'a', 0x80, 0xc3, 0xff, 0xa2, 0x7f, 0x20] {
                for len in 0..40 {
                    for pos in 0..=len {
                        let mut v = std::vec![fill; len];
                        if pos < len {
                            v[pos] = stop;
                        }
                        // a byte that must not stop the scan, before and after
                        if len > 3 && pos != 2 {
                            v[2] = 0xe9;
                        }
                        let want = naive(&v).unwrap_or(v.len());
                        assert_eq!(super::text_len(&v), want, "{stop:#x} {fill:#x} {len} {pos}");
                    }
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_naive_scan_on_every_position() {
        for special in [b'"', b'\\', 0u8, 0x1f, 0x80, 0xff, 0xc3, 0x7f] {
            for len in 0..40 {
                for pos in 0..=len {
                    let mut v = std::vec![b'a'; len];
                    if pos < len {
                        v[pos] = special;
                    }
                    // bytes that must not stop the scan
                    if len > 3 && pos != 2 {
                        v[2] = b' ';
                    }
                    assert_eq!(plain_len(&v), naive(&v), "{special:#x} len {len} pos {pos}");
                }
            }
        }
    }
}
