//! Rendering into fixed, caller- or evaluator-owned buffers (no allocation).

use core::fmt;

/// A `fmt::Write` into a byte buffer that always leaves room for a terminating NUL and
/// cuts at a character boundary, marking the cut with `…` when it fits.
pub(crate) struct Cut<'a> {
    buf: &'a mut [u8],
    len: usize,
    cut: bool,
}

const ELLIPSIS: &str = "…";

impl<'a> Cut<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Cut { buf, len: 0, cut: false }
    }

    /// Writes `args`, NUL-terminates (if the buffer is not empty) and returns the
    /// number of bytes before the NUL.
    pub(crate) fn render(buf: &'a mut [u8], args: fmt::Arguments<'_>) -> usize {
        let mut w = Cut::new(buf);
        let _ = fmt::write(&mut w, args);
        w.terminate()
    }

    fn terminate(self) -> usize {
        if let Some(b) = self.buf.get_mut(self.len) {
            *b = 0;
        }
        self.len
    }
}

impl fmt::Write for Cut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Ok(());
        }
        // One byte is kept for the NUL.
        let cap = self.buf.len().saturating_sub(1);
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            let c = c.encode_utf8(&mut tmp);
            if self.len + c.len() > cap {
                // Overflow: step back whole characters until the mark fits.
                self.cut = true;
                while self.len > 0 && self.len + ELLIPSIS.len() > cap {
                    self.len -= 1;
                    while self.len > 0 && self.buf[self.len] & 0xc0 == 0x80 {
                        self.len -= 1;
                    }
                }
                if self.len + ELLIPSIS.len() <= cap {
                    self.put(ELLIPSIS);
                }
                return Ok(());
            }
            self.put(c);
        }
        Ok(())
    }
}

impl Cut<'_> {
    fn put(&mut self, s: &str) {
        self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
        self.len += s.len();
    }
}

/// Counts the bytes `args` renders to.
pub(crate) fn rendered_len(args: fmt::Arguments<'_>) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = fmt::write(&mut c, args);
    c.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(cap: usize, s: &str) -> (std::vec::Vec<u8>, usize) {
        let mut buf = std::vec![0xffu8; cap];
        let n = Cut::render(&mut buf, format_args!("{s}"));
        (buf, n)
    }

    #[test]
    fn fits_exactly_without_ellipsis() {
        let (buf, n) = cut(4, "abc");
        assert_eq!(n, 3);
        assert_eq!(&buf, b"abc\0");
    }

    #[test]
    fn cut_is_marked_and_terminated() {
        let (buf, n) = cut(8, "abcdefghij");
        assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), "abcd…");
        assert_eq!(buf[n], 0);
    }

    #[test]
    fn never_splits_a_character() {
        for cap in 1..12 {
            let (buf, n) = cut(cap, "ééééé");
            assert!(core::str::from_utf8(&buf[..n]).is_ok(), "cap {cap}");
            assert!(n < cap);
            assert_eq!(buf[n], 0);
        }
    }

    #[test]
    fn empty_buffer_writes_nothing() {
        let mut buf: [u8; 0] = [];
        assert_eq!(Cut::render(&mut buf, format_args!("abc")), 0);
    }
}
