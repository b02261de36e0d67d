//! Bodies judged by their exact shape rather than by the block rules: what MISP's sync
//! sends or answers on calls that carry no event data.
//!
//! * [`BodyKind::UuidList`] (`/sightings/filterSightingUuidsForPush` both ways): a JSON
//!   array whose items are all UUID strings ([`is_uuid`]); nothing else passes, so no
//!   sighting, event or attribute can cross on this call.
//! * [`BodyKind::ApiDescription`] (`GET /eventReports/add`, MISP's API description of
//!   the action, `RestResponseComponent::describe`): an object with only `name`,
//!   `description`, `url` (strings, all three present), `mandatory_fields` and
//!   `optional_fields` (arrays of strings), each at most once. A report, an event or
//!   any other key is refused.
//!
//! The first deviation in document order is reported; the state is a few bytes and the
//! verdict does not depend on chunking (the tokenizer delivers the same events).

use core::fmt::Write;

use crate::json::{Scalar, Sink, ValueType};
use crate::policy::{BodyKind, Side};
use crate::uuid::is_uuid;
use crate::verdict::{Block, Reason};

/// The keys of MISP's API description, in the bit order of [`Shape::seen`].
const DESCRIBE_KEYS: [&[u8]; 5] =
    [b"name", b"description", b"url", b"mandatory_fields", b"optional_fields"];
/// `name`, `description` and `url`: MISP always writes them.
const DESCRIBE_REQUIRED: u8 = 0b111;

const UUID_ITEM: &str = "a UUID string (8-4-4-4-12 hexadecimal digits)";

/// The shape judge: a [`Sink`] for the tokenizer.
#[derive(Clone, Debug)]
pub(crate) struct Shape {
    kind: BodyKind,
    side: Side,
    /// Depth of the value being read (0: before the root).
    depth: u8,
    /// Index of the next item in the array being read.
    index: u32,
    /// Keys of the description seen (duplicates are refused).
    seen: u8,
    /// Which description key the next value belongs to.
    key: Option<u8>,
    /// The string being read (a UUID item) and whether it was longer.
    buf: heapless::Vec<u8, 36>,
    over: bool,
    fault: Option<Block>,
}

impl Shape {
    pub(crate) fn new(kind: BodyKind, side: Side) -> Self {
        Shape {
            kind,
            side,
            depth: 0,
            index: 0,
            seen: 0,
            key: None,
            buf: heapless::Vec::new(),
            over: false,
            fault: None,
        }
    }

    /// Does this module judge bodies of `kind`?
    pub(crate) fn judges(kind: BodyKind) -> bool {
        matches!(kind, BodyKind::UuidList | BodyKind::ApiDescription)
    }

    pub(crate) fn blocked(&self) -> bool {
        self.fault.is_some()
    }

    /// The verdict's block once the body ended without a syntax error, if any.
    pub(crate) fn finish(&mut self) -> Option<Block> {
        if self.fault.is_none()
            && self.kind == BodyKind::ApiDescription
            && self.depth == 0
            && self.seen & DESCRIBE_REQUIRED != DESCRIBE_REQUIRED
        {
            let missing = (0..3).find(|i| self.seen & (1 << i) == 0).unwrap_or(0);
            let name = key_text(DESCRIBE_KEYS[missing]);
            let b = Block::new(Reason::MissingField, self.side).with_detail(name).with_pointer("");
            self.fault = Some(b);
        }
        self.fault.clone()
    }

    fn fail(&mut self, reason: Reason, detail: &str, pointer: core::fmt::Arguments<'_>) {
        if self.fault.is_none() {
            let mut p = heapless::String::<96>::new();
            let _ = p.write_fmt(pointer);
            self.fault = Some(Block::new(reason, self.side).with_detail(detail).with_pointer(&p));
        }
    }

    fn key_name(&self) -> &'static str {
        self.key.map(|k| key_text(DESCRIBE_KEYS[k as usize])).unwrap_or("")
    }
}

fn key_text(k: &'static [u8]) -> &'static str {
    core::str::from_utf8(k).unwrap_or("")
}

impl Sink for Shape {
    fn value_start(&mut self, t: ValueType) -> bool {
        if self.fault.is_some() {
            return false;
        }
        match (self.kind, self.depth) {
            (BodyKind::UuidList, 0) => {
                if t != ValueType::Array {
                    self.fail(Reason::WrongType, "an array of UUID strings", format_args!(""));
                    return false;
                }
                self.depth = 1;
                true
            }
            (BodyKind::UuidList, _) => {
                let i = self.index;
                self.index += 1;
                if t != ValueType::String {
                    self.fail(Reason::WrongType, UUID_ITEM, format_args!("/{i}"));
                    return false;
                }
                self.buf.clear();
                self.over = false;
                true
            }
            (_, 0) => {
                if t != ValueType::Object {
                    self.fail(
                        Reason::WrongType,
                        "MISP's API description (an object)",
                        format_args!(""),
                    );
                    return false;
                }
                self.depth = 1;
                true
            }
            (_, 1) => {
                let list = matches!(self.key, Some(3 | 4));
                match (list, t) {
                    (false, ValueType::String) => false,
                    (true, ValueType::Array) => {
                        self.depth = 2;
                        self.index = 0;
                        true
                    }
                    _ => {
                        let what = if list { "an array of strings" } else { "a string" };
                        let k = self.key_name();
                        self.fail(Reason::WrongType, what, format_args!("/{k}"));
                        false
                    }
                }
            }
            _ => {
                // an item of `mandatory_fields` / `optional_fields`
                let i = self.index;
                self.index += 1;
                if t != ValueType::String {
                    let k = self.key_name();
                    self.fail(Reason::WrongType, "a string", format_args!("/{k}/{i}"));
                }
                false
            }
        }
    }

    fn key(&mut self, key: Option<&[u8]>) {
        self.key = None;
        if self.fault.is_some() {
            return;
        }
        // only the description's root object is wanted, so this is one of its keys
        let Some(i) = key.and_then(|k| DESCRIBE_KEYS.iter().position(|d| *d == k)) else {
            let k = key.and_then(|k| core::str::from_utf8(k).ok()).unwrap_or("(a long key)");
            self.fail(Reason::WrongType, "a key of MISP's API description", format_args!("/{k}"));
            return;
        };
        if self.seen & (1 << i) != 0 {
            let name = key_text(DESCRIBE_KEYS[i]);
            self.fail(Reason::DuplicateKey, name, format_args!("/{name}"));
            return;
        }
        self.seen |= 1 << i;
        self.key = Some(i as u8);
    }

    fn str_part(&mut self, s: &[u8]) {
        if self.buf.extend_from_slice(s).is_err() {
            self.over = true;
        }
    }

    fn scalar_end(&mut self, s: Scalar<'_>) {
        // only UUID items are wanted scalars
        if s == Scalar::String && (self.over || !is_uuid(&self.buf)) {
            let i = self.index.saturating_sub(1);
            self.fail(Reason::WrongType, UUID_ITEM, format_args!("/{i}"));
        }
    }

    fn container_end(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}
