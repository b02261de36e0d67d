//! How strings are compared: the foldings, streaming, one `char` at a time.
//!
//! | folding | used for | what it does |
//! |---|---|---|
//! | [`Fold::Ci`] | **blocked** tags, sharing-group UUIDs, attribute types, object types | what MySQL/MariaDB `_ci` collations treat as equal: default-ignorable code points removed (zero-width space/joiners, soft hyphen, BOM, variation selectors, bidi controls, tag characters, …), leading and trailing white space ignored (`PAD SPACE`, and MISP trims names), fullwidth ASCII folded to ASCII, Latin letters stripped of accents and ligatures expanded (`é`→`e`, `ß`→`ss`, `æ`→`ae`), combining marks dropped, then lowercased |
//! | [`Fold::Trim`] | blocked attribute categories | ignorables removed and ends trimmed, case kept (misp-guard compares categories case-sensitively) |
//! | [`Fold::Lower`] | allowed tags (grants passage) | Unicode lowercase only, exactly misp-guard's `str.lower()` comparison |
//! | [`Fold::Exact`] | required-taxonomy prefix, `X-UserOrgUUID` (grant passage) | the decoded string as is |
//!
//! The `_ci` folding only ever makes a match against a *blocked* value more likely;
//! checks that grant passage keep misp-guard's exact comparisons.
//!
//! ## What the receiving MISP treats as equal, and what the guard adds
//!
//! From MISP 2.5's `INSTALL/MYSQL.sql` and its receive path (`docs/receiver-model.md`):
//!
//! | value | MISP's comparison | equal to the receiver | the guard's `Ci` adds (stricter, harmless) |
//! |---|---|---|---|
//! | tag name | `Tag::captureTag`: `LOWER(name) = mb_strtolower(…)` on `tags.name` `utf8mb3_bin` | letter case; trailing U+0020 of any length (`PAD SPACE`) | other trailing/leading white space, accents, ignorables, fullwidth forms |
//! | sharing-group UUID | `SharingGroup::captureSG`: `uuid = …` on `utf8mb3_bin` | trailing U+0020 | case, white space, ignorables |
//! | object name | `objects.name` `utf8mb3_unicode_ci` (UCA 4.0.0, `PAD SPACE`) | case, accents, ignorable code points, trailing U+0020 | leading white space |
//! | attribute type | `attributes.type` `utf8mb3_unicode_ci` | as object names | as object names |
//! | category | `attributes.category` `utf8mb3_bin` | trailing U+0020 | ignorables, leading/trailing white space (case kept, as misp-guard) |
//!
//! Trailing white space never counts against a folder's bound (see [`Folder`]). What the
//! columns *cut* (more characters than the column holds, a character past U+FFFF in a
//! `utf8mb3` column) is not a folding: the rule machine refuses such compared values
//! (`rules::checks::stored_differently`).

/// A comparison folding; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    /// Collation-style folding for blocked identifiers.
    Ci,
    /// Ignorables removed, ends trimmed, case kept.
    Trim,
    /// Lowercase only.
    Lower,
    /// No folding.
    Exact,
}

/// Default-ignorable code points (Unicode `Default_Ignorable_Code_Point`) plus the
/// combining diacritical marks, which `_ci` collations do not weigh.
pub fn is_ignorable(c: char) -> bool {
    // control characters carry no weight in UCA collations (and PHP's trim strips NUL)
    (c.is_control() && !c.is_whitespace())
        || matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5
        | 0x180B..=0x180F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F
        | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF
        // combining marks: accents typed as separate code points
        | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// White space as `str::trim` sees it.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Base letters for precomposed Latin letters (Latin-1 Supplement and Latin
/// Extended-A), lowercase. `None`: not a letter with an accent.
fn latin_base(c: char) -> Option<&'static str> {
    let s = match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "a",
        'Æ' | 'æ' => "ae",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Ĉ' | 'ĉ' | 'Ċ' | 'ċ' | 'Č' | 'č' => "c",
        'Ð' | 'ð' | 'Ď' | 'ď' | 'Đ' | 'đ' => "d",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ĕ' | 'ĕ' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => {
            "e"
        }
        'Ĝ' | 'ĝ' | 'Ğ' | 'ğ' | 'Ġ' | 'ġ' | 'Ģ' | 'ģ' => "g",
        'Ĥ' | 'ĥ' | 'Ħ' | 'ħ' => "h",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ĩ' | 'ĩ' | 'Ī' | 'ī' | 'Ĭ' | 'ĭ' | 'Į' | 'į' | 'İ' | 'ı' => {
            "i"
        }
        'Ĳ' | 'ĳ' => "ij",
        'Ĵ' | 'ĵ' => "j",
        'Ķ' | 'ķ' | 'ĸ' => "k",
        'Ĺ' | 'ĺ' | 'Ļ' | 'ļ' | 'Ľ' | 'ľ' | 'Ŀ' | 'ŀ' | 'Ł' | 'ł' => "l",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ņ' | 'ņ' | 'Ň' | 'ň' | 'ŉ' | 'Ŋ' | 'ŋ' => "n",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ŏ' | 'ŏ' | 'Ő' | 'ő' => "o",
        'Œ' | 'œ' => "oe",
        'Ŕ' | 'ŕ' | 'Ŗ' | 'ŗ' | 'Ř' | 'ř' => "r",
        'Ś' | 'ś' | 'Ŝ' | 'ŝ' | 'Ş' | 'ş' | 'Š' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'Ţ' | 'ţ' | 'Ť' | 'ť' | 'Ŧ' | 'ŧ' => "t",
        'Þ' | 'þ' => "th",
        'Ù'..='Ü'
        | 'ù'..='ü'
        | 'Ũ'
        | 'ũ'
        | 'Ū'
        | 'ū'
        | 'Ŭ'
        | 'ŭ'
        | 'Ů'
        | 'ů'
        | 'Ű'
        | 'ű'
        | 'Ų'
        | 'ų' => "u",
        'Ŵ' | 'ŵ' => "w",
        'Ý' | 'ý' | 'ÿ' | 'Ŷ' | 'ŷ' | 'Ÿ' => "y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "z",
        _ => return None,
    };
    Some(s)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether every byte of `s` is printable ASCII (0x20 to 0x7E): no control character,
/// no other white space than U+0020, nothing the foldings map but ASCII letters.
/// Eight bytes a step.
#[inline]
pub fn printable_ascii(s: &[u8]) -> bool {
    // a byte's bit 7 marks it: not ASCII, below 0x20 (its subtraction borrows), or 0x7F
    // (0x7F + 1 carries into bit 7). Borrows can only mark more bytes after a marked
    // one, never a word with none.
    let bad =
        |w: u64| (w | (w.wrapping_sub(ONES * 0x20) & !w) | (w & !HIGH).wrapping_add(ONES)) & HIGH;
    let mut words = s.chunks_exact(8);
    let mut acc = 0;
    for w in &mut words {
        acc |= bad(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
    }
    let mut last = [b'a'; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    acc |= bad(u64::from_le_bytes(last));
    acc == 0
}

/// ASCII lowercase of eight ASCII bytes.
#[inline]
fn ascii_lower(w: u64) -> u64 {
    // bit 7 of each byte: at least `A`, above `Z` (bytes below 0x80 never carry)
    let ge_a = w.wrapping_add(ONES * (0x80 - b'A' as u64));
    let gt_z = w.wrapping_add(ONES * (0x7f - b'Z' as u64));
    w | ((ge_a & !gt_z & HIGH) >> 2)
}

/// A bounded folding sink: push decoded `char`s, read the folded bytes.
///
/// Trimming is streaming: leading white space is never stored, trailing white space is
/// stored but not counted until a non-space follows. White space that does not fit is
/// not an overflow by itself: it only becomes one when a non-space character follows
/// it (MISP's columns compare `PAD SPACE`: `tlp:red` followed by any number of spaces
/// *is* `tlp:red` to the receiver, so the bound must not decide that comparison).
/// A value whose trimmed folded form does not fit is marked `overflow`; callers refuse
/// it rather than read it as "no match" (see `rules::checks`).
#[derive(Clone, Debug)]
pub struct Folder<const N: usize> {
    fold: Fold,
    buf: [u8; N],
    len: usize,
    /// Length up to the last non-space character (trimming folds only).
    solid: usize,
    overflow: bool,
    /// Trimming folds: white space after `solid` was dropped for lack of room; a
    /// non-space character after it overflows.
    space_over: bool,
}

impl<const N: usize> Folder<N> {
    /// An empty sink for `fold`.
    pub const fn new(fold: Fold) -> Self {
        Folder { fold, buf: [0; N], len: 0, solid: 0, overflow: false, space_over: false }
    }

    /// Clears the sink and sets its folding.
    pub fn reset_with(&mut self, fold: Fold) {
        self.fold = fold;
        self.reset();
    }

    /// Clears the sink, keeping its folding.
    pub fn reset(&mut self) {
        self.len = 0;
        self.solid = 0;
        self.overflow = false;
        self.space_over = false;
    }

    /// Adds one decoded character.
    #[inline]
    pub fn push(&mut self, c: char) {
        match self.fold {
            Fold::Exact => self.put(c),
            Fold::Lower => {
                if c.is_ascii() {
                    self.put(c.to_ascii_lowercase());
                } else {
                    for l in c.to_lowercase() {
                        self.put(l);
                    }
                }
            }
            Fold::Trim => {
                if is_ignorable(c) {
                    return;
                }
                self.put_trimmed(c);
            }
            Fold::Ci => {
                if is_ignorable(c) {
                    return;
                }
                if c.is_ascii() {
                    self.put_trimmed(c.to_ascii_lowercase());
                    return;
                }
                let c = match c as u32 {
                    // fullwidth ASCII variants
                    0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                    0x3000 => ' ',
                    _ => c,
                };
                if let Some(base) = latin_base(c) {
                    for b in base.chars() {
                        self.put_trimmed(b);
                    }
                    return;
                }
                // the lower case may itself have a base (`ẞ` → `ß` → `ss`, the Ångström
                // sign → `å` → `a`): MySQL's `_unicode_ci` weighs them as the letters
                for l in c.to_lowercase() {
                    if is_ignorable(l) {
                        continue;
                    }
                    match latin_base(l) {
                        Some(base) => {
                            for b in base.chars() {
                                self.put_trimmed(b);
                            }
                        }
                        None => self.put_trimmed(l),
                    }
                }
            }
        }
    }

    /// Whether `n` more bytes fit as they are (the [`Fold::Exact`] room).
    #[inline]
    pub fn fits(&self, n: usize) -> bool {
        !self.overflow && self.len + n <= N
    }

    /// Clears the sink and folds `s` (valid UTF-8): the same state as [`Folder::reset`]
    /// then [`Folder::push_bytes`], by a fast path when `s` fits and is printable ASCII
    /// (most MISP values; see [`printable_ascii`]).
    pub fn fold_all(&mut self, s: &[u8]) {
        if printable_ascii(s) {
            self.fold_printable(s);
        } else {
            self.reset();
            self.push_bytes(s);
        }
    }

    /// [`Folder::fold_all`] of a value `s` that [`printable_ascii`] accepts: one copy,
    /// eight bytes a step. The trimming folds drop leading spaces and mark where
    /// trailing spaces start; `_ci` and lower fold the letters on the way.
    pub fn fold_printable(&mut self, s: &[u8]) {
        debug_assert!(printable_ascii(s));
        self.reset();
        if s.len() > N {
            self.push_bytes(s);
            return;
        }
        let (body, solid) = match self.fold {
            Fold::Exact | Fold::Lower => (s, s.len()),
            Fold::Ci | Fold::Trim => {
                // leading white space is never stored; trailing is stored, not counted
                let lead = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
                let body = &s[lead..];
                (body, body.iter().rposition(|&b| b != b' ').map_or(0, |k| k + 1))
            }
        };
        let dst = &mut self.buf[..body.len()];
        if matches!(self.fold, Fold::Ci | Fold::Lower) {
            let mut src = body.chunks_exact(8);
            let mut out = dst.chunks_exact_mut(8);
            for (d, w) in (&mut out).zip(&mut src) {
                let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                d.copy_from_slice(&ascii_lower(w).to_le_bytes());
            }
            for (d, &b) in out.into_remainder().iter_mut().zip(src.remainder()) {
                *d = b.to_ascii_lowercase();
            }
        } else {
            dst.copy_from_slice(body);
        }
        self.len = body.len();
        self.solid = solid;
    }

    /// Adds every character of `s`.
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// [`Folder::push_bytes`] for an exact sink that [`Folder::fits`] `s`: one copy,
    /// inlined where a captured value's pieces arrive.
    #[inline]
    pub fn push_fitting(&mut self, s: &[u8]) {
        debug_assert!(self.fold == Fold::Exact && self.fits(s.len()));
        self.buf[self.len..self.len + s.len()].copy_from_slice(s);
        self.len += s.len();
        self.solid = self.len;
    }

    /// Adds every character of `s`, which must be valid UTF-8 (invalid input is
    /// folded as U+FFFD). ASCII takes a fast path.
    pub fn push_bytes(&mut self, s: &[u8]) {
        if self.fold == Fold::Exact {
            // no folding: one copy
            if self.overflow {
                return;
            }
            if self.len + s.len() > N {
                // keep what fits, whole characters only (for messages)
                let mut cut = N - self.len;
                while cut > 0 && s[cut] & 0xC0 == 0x80 {
                    cut -= 1;
                }
                self.buf[self.len..self.len + cut].copy_from_slice(&s[..cut]);
                self.len += cut;
                self.solid = self.len;
                self.overflow = true;
                return;
            }
            self.buf[self.len..self.len + s.len()].copy_from_slice(s);
            self.len += s.len();
            self.solid = self.len;
            return;
        }
        let mut i = 0;
        while i < s.len() {
            // bulk path: a run of visible ASCII (no spaces, no controls)
            let run = s[i..].iter().take_while(|&&b| (0x21..0x7f).contains(&b)).count();
            if run > 0 {
                if self.overflow {
                    return;
                }
                if self.space_over || self.len + run > N {
                    for &b in &s[i..i + run] {
                        self.push_ascii(b);
                    }
                } else {
                    let dst = &mut self.buf[self.len..self.len + run];
                    dst.copy_from_slice(&s[i..i + run]);
                    if self.fold != Fold::Trim {
                        dst.make_ascii_lowercase();
                    }
                    self.len += run;
                    self.solid = self.len;
                }
                i += run;
                continue;
            }
            let b = s[i];
            if b < 0x80 {
                self.push_ascii(b);
                i += 1;
                continue;
            }
            let n = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let end = (i + n).min(s.len());
            match core::str::from_utf8(&s[i..end]) {
                Ok(c) => c.chars().for_each(|c| self.push(c)),
                Err(_) => self.push('\u{fffd}'),
            }
            i = end;
        }
    }

    #[inline]
    fn push_ascii(&mut self, b: u8) {
        match self.fold {
            Fold::Exact => self.put_byte(b),
            Fold::Lower => self.put_byte(b.to_ascii_lowercase()),
            Fold::Trim | Fold::Ci => {
                if b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r') || b == 0x7f {
                    return; // controls are ignorable
                }
                let b = if self.fold == Fold::Ci { b.to_ascii_lowercase() } else { b };
                if matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
                    if self.len != 0 {
                        self.put_space(b as char);
                    }
                } else {
                    self.put_solid(b as char);
                }
            }
        }
    }

    #[inline]
    fn put_byte(&mut self, b: u8) {
        if self.overflow {
            return;
        }
        if self.len == N {
            self.overflow = true;
            return;
        }
        self.buf[self.len] = b;
        self.len += 1;
        if !matches!(self.fold, Fold::Ci | Fold::Trim) {
            self.solid = self.len;
        }
    }

    #[inline]
    fn put_trimmed(&mut self, c: char) {
        if is_space(c) {
            if self.len == 0 {
                return; // leading space
            }
            self.put_space(c);
        } else {
            self.put_solid(c);
        }
    }

    /// Trimming folds: white space inside or after the value. What does not fit is
    /// remembered, not an overflow: it may be trailing.
    #[inline]
    fn put_space(&mut self, c: char) {
        if self.overflow || self.space_over {
            return;
        }
        if self.len + c.len_utf8() > N {
            self.space_over = true;
            return;
        }
        self.put(c);
    }

    /// Trimming folds: a character that is not white space.
    #[inline]
    fn put_solid(&mut self, c: char) {
        if self.space_over {
            // white space that did not fit is inside the value after all
            self.overflow = true;
            return;
        }
        self.put(c);
        if !self.overflow {
            self.solid = self.len;
        }
    }

    #[inline]
    fn put(&mut self, c: char) {
        if self.overflow {
            return;
        }
        let n = c.len_utf8();
        if self.len + n > N {
            self.overflow = true;
            return;
        }
        c.encode_utf8(&mut self.buf[self.len..self.len + n]);
        self.len += n;
        if !matches!(self.fold, Fold::Ci | Fold::Trim) {
            self.solid = self.len;
        }
    }

    /// The folded value (trailing space dropped for trimming folds); `None` when the
    /// value did not fit.
    pub fn get(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            Some(&self.buf[..self.solid])
        }
    }

    /// The first bytes of the value, even after an overflow.
    pub fn prefix(&self) -> &[u8] {
        &self.buf[..self.solid.max(if self.overflow { self.len } else { 0 })]
    }

    /// `true` when the value did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ci(s: &str) -> std::string::String {
        let mut f: Folder<256> = Folder::new(Fold::Ci);
        f.push_str(s);
        std::string::String::from_utf8(f.get().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn ci_folds_what_mysql_ci_collations_equate() {
        assert_eq!(ci("tlp:red"), "tlp:red");
        assert_eq!(ci("TLP:RED"), "tlp:red");
        assert_eq!(ci("tlp:red   "), "tlp:red");
        assert_eq!(ci("  tlp:red"), "tlp:red");
        assert_eq!(ci("tlp:\u{200b}red"), "tlp:red");
        assert_eq!(ci("tlp:r\u{00ad}ed"), "tlp:red");
        assert_eq!(ci("tlp:r\u{e9}d"), "tlp:red");
        assert_eq!(ci("tlp:re\u{301}d"), "tlp:red");
        assert_eq!(ci("\u{ff54}\u{ff4c}\u{ff50}:red"), "tlp:red");
        assert_eq!(ci("\u{feff}tlp:red\u{2060}"), "tlp:red");
        assert_eq!(ci("tlp:red\u{0}"), "tlp:red");
        assert_eq!(ci("\u{1}tlp:red\u{b}"), "tlp:red");
        assert_eq!(ci("STRASSE"), ci("straße"));
        // letters whose lower case is a letter with a base: capital sharp s, the
        // Ångström and Kelvin signs
        assert_eq!(ci("STRA\u{1e9e}E"), "strasse");
        assert_eq!(ci("\u{212b}land"), "aland");
        assert_eq!(ci("\u{212a}ey"), "key");
        // inner spaces are significant
        assert_eq!(ci("tlp: red"), "tlp: red");
    }

    #[test]
    fn lower_and_exact_do_not_fold_more() {
        let mut f: Folder<64> = Folder::new(Fold::Lower);
        f.push_str("TLP:Green ");
        assert_eq!(f.get().unwrap(), b"tlp:green ");
        let mut f: Folder<64> = Folder::new(Fold::Exact);
        f.push_str("tlp:\u{200b}x");
        assert_eq!(f.get().unwrap(), "tlp:\u{200b}x".as_bytes());
    }

    #[test]
    fn trim_keeps_case() {
        let mut f: Folder<64> = Folder::new(Fold::Trim);
        f.push_str(" Pers\u{200b}on \t");
        assert_eq!(f.get().unwrap(), b"Person");
    }

    /// Issue 11, class 1: MISP's columns compare PAD SPACE, so trailing white space of
    /// any length must leave the value equal to its trimmed self, at and past the bound.
    #[test]
    fn trailing_space_never_overflows() {
        const N: usize = 16;
        let value = "tlp:red"; // 7 bytes
        for fold in [Fold::Ci, Fold::Trim] {
            for spaces in [N - 7 - 1, N - 7, N - 7 + 1, 10 * N, 1000] {
                for sp in [" ", "\t", "\u{3000}", " \n"] {
                    let mut f: Folder<N> = Folder::new(fold);
                    f.push_str(value);
                    for _ in 0..spaces {
                        f.push_str(sp);
                    }
                    let want: &[u8] = if fold == Fold::Ci { b"tlp:red" } else { b"tlp:red" };
                    assert_eq!(f.get(), Some(want), "{fold:?} {spaces} x {sp:?}");
                    // the same value pushed char by char
                    let mut g: Folder<N> = Folder::new(fold);
                    value.chars().for_each(|c| g.push(c));
                    for _ in 0..spaces {
                        sp.chars().for_each(|c| g.push(c));
                    }
                    assert_eq!(g.get(), Some(want), "{fold:?} {spaces} x {sp:?} by char");
                }
            }
        }
    }

    /// White space that did not fit is inside the value once a character follows: the
    /// value is then longer than the bound, which is an overflow (never a shorter value).
    #[test]
    fn inner_space_past_the_bound_overflows() {
        const N: usize = 16;
        for fold in [Fold::Ci, Fold::Trim] {
            for spaces in [8, 9, 10, 160] {
                for tail in ["x", "\u{e9}", "XY"] {
                    let mut f: Folder<N> = Folder::new(fold);
                    f.push_str("tlp:red");
                    for _ in 0..spaces {
                        f.push_str(" ");
                    }
                    f.push_str(tail);
                    // `é` folds to `e` under `_ci`
                    let folded = if fold == Fold::Ci && tail == "\u{e9}" { 1 } else { tail.len() };
                    let fits = 7 + spaces + folded <= N;
                    assert_eq!(f.get().is_some(), fits, "{fold:?} {spaces} {tail:?}");
                }
            }
        }
        // a multi-byte space that does not fit, then one ASCII byte that would
        for fold in [Fold::Ci, Fold::Trim] {
            let mut f: Folder<16> = Folder::new(fold);
            f.push_str("abcdefghijklmn"); // 14
            f.push_str("\u{2003}"); // an em space, 3 bytes: does not fit
            f.push_str("z"); // 1 byte would fit, but the space is inside the value
            assert!(f.get().is_none(), "{fold:?}");
        }
    }

    /// `fold_all` leaves the state `reset` + `push_bytes` leaves, for every folding, at
    /// and past the bound, with and without its fast path's conditions.
    #[test]
    fn fold_all_is_reset_then_push_bytes() {
        fn same<const N: usize>(a: &Folder<N>, b: &Folder<N>) -> bool {
            (a.fold, a.len, a.solid, a.overflow, a.space_over, &a.buf[..a.len])
                == (b.fold, b.len, b.solid, b.overflow, b.space_over, &b.buf[..b.len])
        }
        let atoms: [&str; 14] = [
            " ",
            "\t",
            "\r\n",
            "\u{b}",
            "\u{1}",
            "\u{7f}",
            "a",
            "Z",
            "tlp:",
            "\u{e9}",
            "\u{200b}",
            "\u{3000}",
            "\u{1f600}",
            "K",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..40_000 {
            let mut v = std::string::String::new();
            let n = next() % 12;
            for _ in 0..n {
                // mostly ASCII, so that the fast path is taken often
                let k = next() as usize;
                let a = if k % 4 == 0 { atoms[k / 4 % atoms.len()] } else { atoms[6 + k / 4 % 2] };
                v.push_str(a);
            }
            for fold in [Fold::Ci, Fold::Trim, Fold::Lower, Fold::Exact] {
                let mut a: Folder<16> = Folder::new(fold);
                let mut b: Folder<16> = Folder::new(fold);
                // a used sink: whatever it held must not show
                a.push_str("Old  ");
                b.push_str("Old  ");
                a.fold_all(v.as_bytes());
                b.reset();
                b.push_bytes(v.as_bytes());
                assert!(same(&a, &b), "{round} {fold:?} {v:?}: {a:?} vs {b:?}");
            }
        }
    }

    /// The word-at-a-time test says what a byte-at-a-time one says, at every length,
    /// position and byte value (lowercase likewise).
    #[test]
    fn printable_ascii_and_lower_by_words() {
        for len in 0..20usize {
            for at in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut v = [b'A'; 20];
                    for (i, x) in v.iter_mut().enumerate().take(len) {
                        *x = b"Tlp:Red ZZ@[`{az~ 09"[i];
                    }
                    if len > 0 {
                        v[at] = b;
                    }
                    let v = &v[..len];
                    let want = v.iter().all(|&b| (0x20..0x7f).contains(&b));
                    assert_eq!(printable_ascii(v), want, "{v:?}");
                }
            }
        }
        for b in 0..0x80u8 {
            let w = u64::from_le_bytes([b, b'A', b'Z', b'@', b'[', b'a', b'z', b ^ 0x20]);
            let want = u64::from_le_bytes(
                [b, b'A', b'Z', b'@', b'[', b'a', b'z', b ^ 0x20].map(|b| b.to_ascii_lowercase()),
            );
            assert_eq!(ascii_lower(w), want, "{b}");
        }
    }

    #[test]
    fn overflow_is_reported_not_truncated() {
        let mut f: Folder<4> = Folder::new(Fold::Exact);
        f.push_str("abcdef");
        assert!(f.get().is_none());
        assert_eq!(f.prefix(), b"abcd");
        // ignorables do not count against the bound
        let mut f: Folder<8> = Folder::new(Fold::Ci);
        for _ in 0..1000 {
            f.push('\u{200b}');
        }
        f.push_str("tlp:red");
        assert_eq!(f.get().unwrap(), b"tlp:red");
    }
}
