//! The state of one pass over the document: its mode, the JSON path of the value
//! being read, the first error (with its kind, path and position), the builder, the
//! batch and the scratch area; shared by every seed and visitor (`seed!`).

use core::fmt::Write as _;

use serde::de;

use super::batch::{text, Batch, Src, IN_SCRATCH};
use super::locate::{at_offset, locate};
use super::scan::{unescape_into, Scan};
use super::{Mode, Path};
use crate::limits::SCRATCH;
use crate::policy::error::push_cut;
use crate::policy::{Builder, ConfigError, ConfigErrorKind, Format};

/// One pass's state, borrowed by every seed of the walk.
pub(super) struct Ctx<'de, 'b> {
    pub(super) doc: &'de str,
    pub(super) mode: Mode,
    pub(super) format: Format,
    pub(super) path: Path,
    /// A detailed error, set before a visitor fails.
    pub(super) err: Option<(ConfigError, Option<usize>)>,
    pub(super) b: &'b mut Builder,
    pub(super) batch: Batch,
    pub(super) scratch: heapless::String<SCRATCH>,
    /// Offset of the opening quote of the last string read.
    pub(super) last_at: usize,
    /// Offset of the value being read: tracked by the walkers (member values, array
    /// elements) rather than found again from the path, which a key holding `.` or
    /// `[` can make ambiguous (`"instances.a.port"` as a key of its own).
    pub(super) value_at: usize,
}

/// The serde-json-core error type, as seen by the visitors.
pub(super) type DeErr = serde_json_core::de::Error;

impl<'de, 'b> Ctx<'de, 'b> {
    pub(super) fn text(&self, s: Src) -> &str {
        text(self.doc, &self.scratch, s)
    }

    /// Records a string borrowed from the document, raw (escapes not decoded): its
    /// offset, or its unescaped copy in the scratch area when it has escapes.
    pub(super) fn string<E: de::Error>(&mut self, raw: &'de str) -> Result<Src, E> {
        let off = (raw.as_ptr() as usize).wrapping_sub(self.doc.as_ptr() as usize);
        self.last_at = off.saturating_sub(1);
        if !raw.contains('\\') {
            return Ok(Src { off: off as u32, len: raw.len() as u32 });
        }
        let start = self.scratch.len();
        let scratch = &mut self.scratch;
        if unescape_into(raw, |piece| scratch.push_str(piece).ok()).is_none() {
            self.scratch.truncate(start);
            return Err(self.fail(
                ConfigErrorKind::Capacity,
                "strings written with escapes exceed 16 KiB in one instance or rule",
                None,
            ));
        }
        Ok(Src { off: start as u32 | IN_SCRATCH, len: (self.scratch.len() - start) as u32 })
    }

    /// Records the error at the current path (and byte offset, when known).
    pub(super) fn fail<E: de::Error>(
        &mut self,
        kind: ConfigErrorKind,
        msg: &str,
        at: Option<usize>,
    ) -> E {
        if self.err.is_none() {
            self.err = Some((ConfigError::semantic(kind, &self.path, msg), at));
        }
        E::custom("")
    }

    pub(super) fn fail_fmt<E: de::Error>(
        &mut self,
        kind: ConfigErrorKind,
        args: core::fmt::Arguments<'_>,
        at: Option<usize>,
    ) -> E {
        let mut m = heapless::String::<200>::new();
        let _ = m.write_fmt(args);
        self.fail(kind, &m, at)
    }

    /// A builder error, kept as is (the position comes from its path).
    pub(super) fn builder<E: de::Error>(&mut self, e: ConfigError) -> E {
        if self.err.is_none() {
            self.err = Some((e, None));
        }
        E::custom("")
    }

    /// Starts a batch (one instance, block rule or `can_reach` list): empty lists, and
    /// the scratch length to return to when it is built.
    pub(super) fn begin_batch(&mut self) -> usize {
        self.batch.clear();
        self.scratch.len()
    }

    /// Ends a batch: its unescaped strings are no longer needed.
    pub(super) fn end_batch(&mut self, scratch: usize) {
        self.scratch.truncate(scratch);
    }

    pub(super) fn push_key(&mut self, key: &str) -> usize {
        let n = self.path.len();
        if n > 0 {
            let _ = self.path.push('.');
        }
        push_cut(&mut self.path, key);
        n
    }

    pub(super) fn push_index(&mut self, i: usize) -> usize {
        let n = self.path.len();
        let _ = write!(self.path, "[{i}]");
        n
    }

    pub(super) fn pop(&mut self, n: usize) {
        self.path.truncate(n);
    }

    /// The final error, positioned.
    pub(super) fn into_error(self, e: DeErr) -> ConfigError {
        let json = self.doc.as_bytes();
        match self.err {
            Some((err, Some(off))) => at_offset(err, json, off),
            Some((err, None)) => locate(err, json),
            None => {
                let (kind, msg) = match e {
                    DeErr::InvalidType => (ConfigErrorKind::WrongType, "invalid type"),
                    DeErr::EscapedStringIsTooLong => (
                        ConfigErrorKind::Capacity,
                        "string with escapes longer than 1024 bytes after unescaping",
                    ),
                    DeErr::InvalidNumber => (ConfigErrorKind::Invalid, "invalid number"),
                    _ => (ConfigErrorKind::Syntax, "malformed JSON"),
                };
                locate(ConfigError::semantic(kind, &self.path, msg), json)
            }
        }
    }

    /// The number or literal token being read (a non-string scalar was seen there).
    pub(super) fn scalar(&self) -> Option<(usize, &'de str)> {
        let mut s = Scan { b: self.doc.as_bytes(), i: self.value_at };
        let start = s.i;
        match s.peek()? {
            b'-' | b'0'..=b'9' => {
                let (a, e) = s.number().ok()?;
                Some((a, self.doc.get(a..e)?))
            }
            _ => {
                s.literal().ok()?;
                Some((start, self.doc.get(start..s.i)?))
            }
        }
    }
}

impl Ctx<'_, '_> {
    pub(super) fn push_key_src(&mut self, k: Src) -> usize {
        let mut tmp = heapless::String::<160>::new();
        push_cut(&mut tmp, self.text(k));
        self.push_key(&tmp)
    }
}

/// Seeds share the context.
macro_rules! seed {
    ($name:ident) => {
        pub(in crate::policy::load) struct $name<'c, 'de, 'b> {
            pub(in crate::policy::load) ctx: &'c mut Ctx<'de, 'b>,
        }
    };
}
pub(super) use seed;
