//! The rule machine: tokenizer events → decision, with fixed-size state.
//!
//! The machine descends only into the containers the rules read (see [`schema`]);
//! everything else is validated by the tokenizer and skipped. Each interpreted
//! container has a [`Frame`] on a fixed stack of [`MAX_FRAMES`]; each element frame
//! carries what its end-of-element checks need (fields present, required taxonomies
//! satisfied, sharing-group membership).
//!
//! Every violation gets a *precedence key*: the path of (check rank, ordinal) pairs from
//! the root to the check, in misp-guard's check order. The smallest key wins, so the
//! reason reported is the one misp-guard would have reported first, however the body
//! is ordered. Syntax errors override everything (misp-guard parses before it checks),
//! then refusals of what the guard cannot read unambiguously (duplicate keys, nesting).
//!
//! Size: see [`Evaluator::STATE_SIZE_BOUND`]; no allocation, whatever the body.

mod checks;
mod copies;
mod schema;
mod shape;

use crate::fold::{Fold, Folder};
use crate::json::{Scalar, Sink, Tokenizer, ValueType};
use crate::limits::{KEY_CAP, MAX_FRAMES, MAX_REQUIRED, VALUE_CAP};
use crate::policy::{BodyKind, Format, Inspection, PolicyRef, Side};
use crate::verdict::{Block, Reason, Verdict};
use schema::{lookup_at, rank, root, Act, Check, Field, Kind};

/// Longest galaxy cluster `type` / `uuid` kept to build the tag MISP files the cluster
/// under; longer ones are refused when tags are blocked.
const CLUSTER_TYPE_CAP: usize = 256;
const CLUSTER_UUID_CAP: usize = 64;
/// The fields compared under a folding (the others only need the exact text).
const FOLDED: [Field; 6] = [
    Field::Type,
    Field::Name,
    Field::SgUuid,
    Field::ClusterTagName,
    Field::TagName,
    Field::Category,
];
/// Room in [`Machine::folds`]: more than there are fields.
const FIELD_SLOTS: usize = 32;
const _: () = {
    let mut i = 0;
    while i < FOLDED.len() {
        assert!((FOLDED[i] as usize) < FIELD_SLOTS);
        i += 1;
    }
};
/// Whether a field's checks read its raw length ([`Capture::raw`]): every field but
/// those listed, which only read the exact text or the scalar (a field added later
/// gets its length measured unless it is listed here).
fn reads_raw(field: Field) -> bool {
    !matches!(
        field,
        Field::Info
            | Field::Distribution
            | Field::TagLocal
            | Field::OrgUuid
            | Field::AllOrgs
            | Field::RelatedType
            | Field::Minimal
            | Field::Published
            | Field::SgId
            | Field::TagDeleted
            | Field::TagScalar
            | Field::NoteType
            | Field::Data
            | Field::NoteDate
            | Field::NoteLanguage
            | Field::IndexPublished
            | Field::SgName
    )
}

/// Capacity of the JSON pointer kept while walking.
const POINTER_CAP: usize = 192;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RelType {
    Missing,
    Event,
    Object,
    Attribute,
    GalaxyCluster,
    Note,
    Opinion,
    Relationship,
    Other,
}

/// One interpreted container.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    /// `kind`'s row in the compiled key tables ([`schema::table_index`]).
    ki: u8,
    array: bool,
    /// For arrays: the check (group) their items belong to in the parent element; for
    /// objects: their check in the parent element.
    check: Check,
    /// Objects: index in the parent array (0 for object members). Arrays: next index.
    ord: u32,
    /// Pointer length before this frame's segment.
    ptr_len: u16,
    /// Keys seen (duplicate detection), by key bit.
    seen: u32,
    /// Required taxonomies satisfied, by index.
    req_sat: u16,
    rel: RelType,
    /// `related_object` readings present (bits: Event, Object, Attribute, GalaxyCluster,
    /// distribution; 32: a `related_object` was there at all).
    related: u8,
    sg_member: bool,
    sg_all_orgs: bool,
    /// An array where an object of `kind` belongs: PHP's `json_encode` writes an empty
    /// associative array as `[]`, so only an empty one is read (as `{}`).
    empty_only: bool,
    /// Distribution level 4 (sharing group) was read.
    sg_level: bool,
    /// A `SharingGroup` *object* (or PHP's empty `[]`) was read: `null` is not one
    /// (`Event::captureSGForElement` tests `isset`, then takes `sharing_group_id`).
    sg_object: bool,
    /// A `distribution` other than `null` was read.
    dist_set: bool,
    /// Analyst data: a `note_type_name` `AnalystData::deduceAnalystDataType` accepts.
    typed: bool,
    /// A `sharing_group_id` that PHP's `empty()` calls non-empty was read.
    sg_id: bool,
    /// `SharingGroup` frames: a `name` PHP's `empty()` calls non-empty was read.
    named: bool,
    /// Elements: a `SharingGroup` without such a name was read (`SharingGroup::captureSGNew`
    /// creates no group without one: the element is stored at level 0).
    sg_unnamed: bool,
    /// Analyst data and sightings where taxonomies are required: every member MISP may
    /// save as a column must be a scalar (see [`Machine::column_key`]).
    columns: bool,

    /// A tag (or `EventTag`/`AttributeTag` item) that says it is `local`.
    local: bool,
    /// Tags and tag items: the required taxonomies (by index) the tag's name falls in,
    /// compared loosely (`_ci` fold), so that a local copy can void a non-local one.
    tax: u16,
    /// Tags and tag items: the tag's identity ([`copies::identity`] of its `_ci` fold).
    id: u64,
    /// Elements: required taxonomies that a local tag names. MISP attaches a tag once
    /// and the first occurrence decides `local` (`Event::__captureObjects` takes
    /// `EventTag` items before `Tag`): a local tag of a taxonomy voids that
    /// taxonomy's satisfaction. (MISP's own sync never sends local tags:
    /// `Event::fetchEvent` sets `excludeLocalTags` for sync users.)
    local_tax: u16,
}

impl Frame {
    fn new(kind: Kind, array: bool, check: Check, ord: u32, ptr_len: u16) -> Self {
        Frame {
            kind,
            ki: schema::table_index(kind),
            array,
            check,
            ord,
            ptr_len,
            seen: 0,
            req_sat: 0,
            rel: RelType::Missing,
            related: 0,
            sg_member: false,
            sg_all_orgs: false,
            empty_only: false,
            sg_level: false,
            sg_object: false,
            dist_set: false,
            sg_id: false,
            named: false,
            sg_unnamed: false,
            columns: false,
            typed: false,
            local: false,
            tax: 0,
            id: 0,
            local_tax: 0,
        }
    }

    fn has(&self, bit: u8) -> bool {
        self.seen & (1 << bit) != 0
    }
}

/// A captured scalar value.
#[derive(Clone, Debug)]
struct Capture {
    field: Option<Field>,
    exact: Folder<VALUE_CAP>,
    ci: Folder<VALUE_CAP>,
    other: Folder<VALUE_CAP>,
    /// Which folders this field needs: exact is always kept (it is the detail).
    want_ci: bool,
    want_other: bool,
    /// How MISP's column would take the raw value.
    raw: RawLen,
    /// `ci`, `other` and `raw` are not fed yet: the value so far is whole in `exact`,
    /// and they are made from it in one go when the value ends ([`Capture::settle`]),
    /// or when `exact` fills up (they then follow piece by piece).
    lazy: bool,
    /// Whether any check reads the text of this value (tag `colour` and the like are
    /// only typed).
    keep: bool,
    /// Whether a check reads `raw` (see [`reads_raw`]).
    want_raw: bool,
}

impl Capture {
    /// Makes `ci`, `other` and `raw` what feeding them every piece would have made.
    fn settle(&mut self) {
        if !self.lazy {
            return;
        }
        self.lazy = false;
        if !(self.want_raw || self.want_ci || self.want_other) {
            // only the exact text is read
            return;
        }
        // not overflowed: `lazy` ends before a piece that does not fit
        let v = self.exact.prefix();
        if crate::fold::printable_ascii(v) {
            // one character a byte, none past U+FFFF
            self.raw = RawLen::ascii(v);
            if self.want_ci {
                self.ci.fold_printable(v);
            }
            if self.want_other {
                self.other.fold_printable(v);
            }
        } else {
            self.raw = RawLen::default();
            self.raw.push(v);
            if self.want_ci {
                self.ci.fold_all(v);
            }
            if self.want_other {
                self.other.fold_all(v);
            }
        }
    }
}

/// The raw (decoded, unfolded) length of a captured string as MariaDB counts it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RawLen {
    /// Characters.
    chars: u32,
    /// Characters up to the last one that is not U+0020 (`PAD SPACE` ignores the rest,
    /// and MariaDB cuts trailing spaces silently even in strict mode).
    solid: u32,
    /// Bytes up to the last character that is not U+0020 (`Tag::beforeValidate` cuts a
    /// new tag's name at 255 *bytes* with `substr`).
    solid_bytes: u32,
    bytes: u32,
    /// A character past U+FFFF: MISP's `utf8mb3` columns cannot hold it (without strict
    /// mode the value is cut there).
    wide: bool,
}

impl RawLen {
    /// Adds a piece of the value: as if byte by byte, a byte that starts a character
    /// counting one character and each byte but U+0020 marking the solid end.
    #[inline]
    fn push(&mut self, s: &[u8]) {
        let sat = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let ascii = s.is_ascii();
        let chars = |t: &[u8]| {
            if ascii {
                sat(t.len())
            } else {
                sat(t.iter().filter(|&&b| b & 0xC0 != 0x80).count())
            }
        };
        // the spaces after the last solid byte are one character each
        let (head, spaces) = match s.iter().rposition(|&b| b != b' ') {
            Some(k) => {
                let head = chars(&s[..=k]);
                self.solid = self.chars.saturating_add(head);
                self.solid_bytes = self.bytes.saturating_add(sat(k + 1));
                (head, s.len() - k - 1)
            }
            None => (0, s.len()),
        };
        self.chars = self.chars.saturating_add(head).saturating_add(sat(spaces));
        self.bytes = self.bytes.saturating_add(sat(s.len()));
        // lead bytes of 4-byte sequences (continuation bytes are below 0xF0)
        self.wide |= !ascii && s.iter().any(|&b| b >= 0xF0);
    }

    /// The length of `s`, printable ASCII (see [`crate::fold::printable_ascii`]): what
    /// [`RawLen::push`] makes of it, without counting characters.
    #[inline]
    fn ascii(s: &[u8]) -> Self {
        let sat = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let solid = sat(s.iter().rposition(|&b| b != b' ').map_or(0, |k| k + 1));
        RawLen { chars: sat(s.len()), solid, solid_bytes: solid, bytes: sat(s.len()), wide: false }
    }

    /// Bytes in all.
    pub(crate) fn bytes(&self) -> u32 {
        self.bytes
    }

    /// Adds another string's length (parts of one stored value).
    pub(crate) fn add(&mut self, other: &RawLen) {
        self.chars = self.chars.saturating_add(other.chars);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.solid = self.chars;
        self.solid_bytes = self.bytes;
        self.wide |= other.wide;
    }

    /// Bytes MISP stores, at most (trailing spaces not counted).
    pub(crate) fn solid_bytes(&self) -> u32 {
        self.solid_bytes
    }

    /// Characters MISP stores, at most (trailing spaces not counted).
    pub(crate) fn solid(&self) -> u32 {
        self.solid
    }

    /// Whether a character cannot be stored in a `utf8mb3` column.
    pub(crate) fn wide(&self) -> bool {
        self.wide
    }
}

/// The best (first in misp-guard's order) violation so far.
#[derive(Clone, Debug)]
struct Best {
    key: heapless::Vec<(u16, u32), { MAX_FRAMES + 1 }>,
    block: Block,
}

struct Machine<'p> {
    policy: PolicyRef<'p>,
    inspection: Inspection,
    frames: heapless::Vec<Frame, MAX_FRAMES>,
    /// Action for the next value (set by a key, or for the root).
    pending: Option<(u8, Act)>,
    /// Whether the root value was seen.
    rooted: bool,
    /// The last key read (for pointers and details): a static name, or else `key`.
    key_name: Option<&'static str>,
    key: heapless::Vec<u8, KEY_CAP>,
    pointer: heapless::String<POINTER_CAP>,
    pointer_over: bool,
    cap: Capture,
    user_org: heapless::String<64>,
    /// The current galaxy cluster's `type` and `uuid` (clusters do not nest), and
    /// whether either was too long to keep.
    cluster_type: heapless::Vec<u8, CLUSTER_TYPE_CAP>,
    cluster_uuid: heapless::Vec<u8, CLUSTER_UUID_CAP>,
    /// Raw length of the cluster's `type` and `uuid` (for the filed tag's column).
    cluster_raw: RawLen,
    cluster_over: bool,
    user_org_set: bool,
    /// Copies of required taxonomies' tags, per nested element that requires them.
    copies: [copies::Table; copies::DEPTH],
    /// [`checks::folds`] of every field, by `Field as usize`, computed once (for
    /// [`FOLDED`]; the others need none): the policy and the inspection do not change
    /// while a body is read.
    folds: [(bool, Option<Fold>); FIELD_SLOTS],
    fatal: Option<Block>,
    best: Option<Best>,
}

/// What `feed` found so far. (Defined here, with the evaluator that answers it, so that
/// `rules` does not depend on `guard`, its only driver.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing decided yet: feed more, then `finish`.
    Continue,
    /// The verdict will be a block, whatever follows.
    Blocked,
}

/// The body evaluator: tokenizer + rule machine, fixed size, no allocation.
pub struct Evaluator<'p> {
    tok: Tokenizer,
    m: Machine<'p>,
    /// Judges the bodies [`shape::Shape::judges`] (the machine sees none of their events).
    shape: Option<shape::Shape>,
}

impl<'p> Evaluator<'p> {
    /// An upper bound of `size_of::<Evaluator>()`, asserted by a test.
    pub const STATE_SIZE_BOUND: usize = 16 * 1024;

    /// An evaluator for one body, judging with `policy` (a `&Policy`, or with the
    /// `alloc` feature an `Arc<Policy>`: see [`PolicyRef`]).
    pub fn new(policy: impl Into<PolicyRef<'p>>, inspection: Inspection) -> Self {
        let mut e = Evaluator {
            tok: Tokenizer::new(),
            m: Machine {
                policy: policy.into(),
                inspection,
                frames: heapless::Vec::new(),
                pending: None,
                rooted: false,
                key_name: None,
                key: heapless::Vec::new(),
                pointer: heapless::String::new(),
                pointer_over: false,
                cap: Capture {
                    field: None,
                    exact: Folder::new(Fold::Exact),
                    ci: Folder::new(Fold::Ci),
                    other: Folder::new(Fold::Lower),
                    want_ci: false,
                    want_other: false,
                    raw: RawLen::default(),
                    lazy: false,
                    keep: false,
                    want_raw: true,
                },
                user_org: heapless::String::new(),
                cluster_type: heapless::Vec::new(),
                cluster_uuid: heapless::Vec::new(),
                cluster_over: false,
                cluster_raw: RawLen::default(),
                user_org_set: false,
                copies: Default::default(),
                folds: [(false, None); FIELD_SLOTS],
                fatal: None,
                best: None,
            },
            shape: shape::Shape::judges(inspection.kind)
                .then(|| shape::Shape::new(inspection.kind, inspection.side)),
        };
        for field in FOLDED {
            e.m.folds[field as usize] = checks::folds(&e.m, field);
        }
        e
    }

    /// Makes this evaluator what [`Evaluator::new`] with these arguments makes, in place:
    /// no state of the previous body is left (every field is named below, so a field
    /// added later does not compile until it is reset here), and the buffers are emptied
    /// rather than rewritten — a new evaluator is ~10 KiB to build and move.
    pub fn reset(&mut self, policy: impl Into<PolicyRef<'p>>, inspection: Inspection) {
        let Evaluator { tok, m, shape } = self;
        *tok = Tokenizer::new();
        let Machine {
            policy: m_policy,
            inspection: m_inspection,
            frames,
            pending,
            rooted,
            key_name,
            key,
            pointer,
            pointer_over,
            cap,
            user_org,
            cluster_type,
            cluster_uuid,
            cluster_raw,
            cluster_over,
            user_org_set,
            copies,
            folds,
            fatal,
            best,
        } = m;
        *m_policy = policy.into();
        *m_inspection = inspection;
        frames.clear();
        *pending = None;
        *rooted = false;
        *key_name = None;
        key.clear();
        pointer.clear();
        *pointer_over = false;
        let Capture { field, exact, ci, other, want_ci, want_other, raw, lazy, keep, want_raw } =
            cap;
        *field = None;
        exact.reset_with(Fold::Exact);
        ci.reset_with(Fold::Ci);
        other.reset_with(Fold::Lower);
        *want_ci = false;
        *want_other = false;
        *raw = RawLen::default();
        *lazy = false;
        *keep = false;
        *want_raw = true;
        user_org.clear();
        cluster_type.clear();
        cluster_uuid.clear();
        *cluster_raw = RawLen::default();
        *cluster_over = false;
        *user_org_set = false;
        for t in copies.iter_mut() {
            t.clear();
        }
        *folds = [(false, None); FIELD_SLOTS];
        *fatal = None;
        *best = None;
        *shape = shape::Shape::judges(inspection.kind)
            .then(|| shape::Shape::new(inspection.kind, inspection.side));
        for field in FOLDED {
            self.m.folds[field as usize] = checks::folds(&self.m, field);
        }
    }

    /// Sets the `X-UserOrgUUID` response header value: every element with a sharing
    /// group must then list that organisation (or a server with `all_orgs`).
    pub fn set_user_org_uuid(&mut self, uuid: &[u8]) {
        if !self.m.inspection.user_org_check {
            return;
        }
        self.m.user_org.clear();
        match core::str::from_utf8(uuid) {
            // HTTP's optional white space only (SP, HTAB), as mitmproxy strips it: other
            // white space is part of the value misp-guard compares
            Ok(s) if self.m.user_org.push_str(s.trim_matches([' ', '\t'])).is_ok() => {
                self.m.user_org_set = true
            }
            _ => {
                // not a UUID: no organisation can match it
                self.m.user_org_set = true;
                let _ = self.m.user_org.push_str("\u{fffd}");
            }
        }
    }

    /// Which side this body is.
    pub fn side(&self) -> Side {
        self.m.inspection.side
    }

    /// Feeds the next chunk of the decoded body.
    pub fn feed(&mut self, chunk: &[u8]) -> Progress {
        if self.tok.error().is_none() {
            match &mut self.shape {
                Some(s) => self.tok.feed(chunk, s),
                None => self.tok.feed(chunk, &mut self.m),
            }
        }
        self.progress()
    }

    /// [`Progress::Blocked`] once the verdict can only be a block.
    pub fn progress(&self) -> Progress {
        if self.tok.error().is_some()
            || self.m.fatal.is_some()
            || self.m.best.is_some()
            || self.shape.as_ref().is_some_and(|s| s.blocked())
        {
            Progress::Blocked
        } else {
            Progress::Continue
        }
    }

    /// Ends the body and returns the verdict. Calling it again returns the same verdict.
    pub fn finish(&mut self) -> Verdict {
        match &mut self.shape {
            Some(s) => self.tok.finish(s),
            None => self.tok.finish(&mut self.m),
        }
        let side = self.m.inspection.side;
        if let Some(e) = self.tok.error() {
            let b = Block::new(e.reason, side);
            return Verdict::Block(match e.reason {
                Reason::TooDeep => b.with_detail(e.what),
                _ => b.with_detail_fmt(format_args!("{} at offset {}", e.what, e.offset)),
            });
        }
        if let Some(s) = &mut self.shape {
            return s.finish().map_or(Verdict::Allow, Verdict::Block);
        }
        if let Some(b) = &self.m.fatal {
            return Verdict::Block(b.clone());
        }
        match &self.m.best {
            Some(best) => Verdict::Block(best.block.clone()),
            None => Verdict::Allow,
        }
    }
}

impl Machine<'_> {
    fn top(&self) -> Option<&Frame> {
        self.frames.last()
    }

    /// Index of the nearest element frame at or below `i`.
    fn element_at(&self, mut i: usize) -> Option<usize> {
        loop {
            let f = &self.frames[i];
            if !f.array && f.kind.is_element() {
                return Some(i);
            }
            if i == 0 {
                return None;
            }
            i -= 1;
        }
    }

    fn current_element(&self) -> Option<usize> {
        if self.frames.is_empty() {
            None
        } else {
            self.element_at(self.frames.len() - 1)
        }
    }

    fn set_fatal(&mut self, b: Block) {
        if self.fatal.is_none() {
            self.fatal = Some(b);
        }
    }

    fn pointer_with_key(&self) -> heapless::String<POINTER_CAP> {
        let mut p = self.pointer.clone();
        write_key_segment(self.cur_key(), &mut p);
        p
    }

    /// The last key read.
    fn cur_key(&self) -> &[u8] {
        match self.key_name {
            Some(name) => name.as_bytes(),
            None => &self.key,
        }
    }

    /// Records a violation found in element frame `el` by `check` (ordinal `ord`,
    /// rule set `rule` among those applied).
    fn violate(&mut self, el: usize, check: Check, ord: u32, rule: usize, block: Block) {
        let format = self.policy.format();
        let mut key: heapless::Vec<(u16, u32), { MAX_FRAMES + 1 }> = heapless::Vec::new();
        let mut parent: Option<Kind> = None;
        for f in self.frames[..=el].iter() {
            if f.array || !f.kind.is_element() {
                continue;
            }
            let r = match parent {
                Some(pk) => rank(format, pk, f.check, 0),
                None => 0,
            };
            let _ = key.push((r, f.ord));
            parent = Some(f.kind);
        }
        let _ = key.push((rank(format, self.frames[el].kind, check, rule), ord));
        let better = match &self.best {
            None => true,
            Some(b) => key.as_slice() < b.key.as_slice(),
        };
        if better {
            let block = if block.pointer().is_empty() {
                let p = if self.pointer.is_empty() { "" } else { self.pointer.as_str() };
                block.with_pointer(p)
            } else {
                block
            };
            self.best = Some(Best { key, block });
        }
    }

    fn block(&self, reason: Reason) -> Block {
        Block::new(reason, self.inspection.side)
    }

    fn wrong_type(&mut self, expected: &'static str) {
        let Some(el) = self.current_element() else {
            let b = self.block(Reason::WrongType).with_detail(expected).with_pointer("");
            self.violate_root(b);
            return;
        };
        let check = match self.pending {
            Some((_, Act::Object(_, c) | Act::Array(_, c))) => c,
            Some((_, Act::Field(f))) => checks::field_check(f),
            Some((_, Act::Refuse(_))) => Check::Content,
            None => self.top().map(|f| f.check).unwrap_or(Check::Content),
        };
        let ptr = if self.top().is_some_and(|f| f.array) {
            self.pointer.clone()
        } else {
            self.pointer_with_key()
        };
        let ord = self.top().filter(|f| f.array).map(|f| f.ord).unwrap_or(0);
        let b = self.block(Reason::WrongType).with_detail(expected).with_pointer(&ptr);
        self.violate(el, check, ord, 0, b);
    }

    fn violate_root(&mut self, b: Block) {
        let better = self.best.as_ref().map_or(true, |x| !x.key.is_empty());
        if better {
            self.best = Some(Best { key: heapless::Vec::new(), block: b });
        }
    }

    /// Pushes an interpreted container; `false` (and a fatal refusal) when the frame
    /// stack is full, so the tokenizer skips it.
    fn push_frame(&mut self, f: Frame, seg: Option<u32>) -> bool {
        let len = self.pointer.len() as u16;
        let mut f = f;
        f.ptr_len = len;
        match seg {
            Some(i) => {
                if !write_index_segment(i, &mut self.pointer) {
                    self.pointer_over = true;
                }
            }
            None => {
                let ok = match self.key_name {
                    // a name: ASCII, nothing to escape
                    Some(name) => {
                        self.pointer.push('/').is_ok() && self.pointer.push_str(name).is_ok()
                    }
                    None => write_key_segment(&self.key, &mut self.pointer),
                };
                if !ok {
                    self.pointer_over = true;
                }
            }
        }
        if self.frames.push(f).is_err() {
            let ptr = self.pointer.clone();
            let b = self
                .block(Reason::OverCapacity)
                .with_detail("elements nested deeper than the evaluator's bound (40)")
                .with_pointer(&ptr);
            self.set_fatal(b);
            return false;
        }
        true
    }

    fn start_capture(&mut self, field: Field) {
        let (ci, other) = self.folds.get(field as usize).copied().unwrap_or((false, None));
        debug_assert_eq!((ci, other), checks::folds(self, field), "{field:?}");
        self.cap.field = Some(field);
        self.cap.exact.reset();
        self.cap.ci.reset();
        self.cap.other.reset_with(other.unwrap_or(Fold::Lower));
        self.cap.want_ci = ci;
        self.cap.want_other = other.is_some();
        self.cap.raw = RawLen::default();
        self.cap.lazy = true;
        self.cap.keep = !matches!(field, Field::TagScalar | Field::Data);
        self.cap.want_raw = reads_raw(field);
    }
}

impl Machine<'_> {
    /// [`Sink::value_start`] past its fast path.
    #[inline(never)]
    fn value_start_slow(&mut self, t: ValueType) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        // What is this value?
        if let Some(&f) = self.top().filter(|f| f.empty_only) {
            // an item in `[…]` where MISP expects an object
            self.pending = Some((0, Act::Object(f.kind, f.check)));
            self.wrong_type("an object");
            self.pending = None;
            return false;
        }
        let (act, seg) = if !self.rooted {
            self.rooted = true;
            let (kind, array) = root(self.inspection.kind);
            let check = Check::Content;
            (
                Some((0, if array { Act::Array(kind, check) } else { Act::Object(kind, check) })),
                None,
            )
        } else {
            match self.top() {
                Some(f) if f.array => (Some((0, Act::Object(f.kind, f.check))), Some(f.ord)),
                _ => (self.pending.take(), None),
            }
        };
        let Some((_, act)) = act else { return false };
        match (act, t) {
            (Act::Refuse(what), _) => {
                let ptr = self.pointer_with_key();
                let b = self
                    .block(Reason::AmbiguousBody)
                    .with_detail_fmt(format_args!("`{}` {}", key_str(self.cur_key()), what))
                    .with_pointer(&ptr);
                self.violate_root(b);
                false
            }
            // an object, or `[]` for an empty one (not at the root: bodies keep their shape)
            (Act::Object(kind, check), ValueType::Object | ValueType::Array)
                if t == ValueType::Object || !self.frames.is_empty() =>
            {
                let ord = seg.unwrap_or(0);
                if let Some(f) = self.frames.last_mut() {
                    if f.array {
                        f.ord += 1;
                    }
                }
                let empty_only = t == ValueType::Array;
                if kind == Kind::SharingGroup {
                    if let Some(el) = self.current_element() {
                        self.frames[el].sg_object = true;
                    }
                }
                let mut frame = Frame::new(kind, empty_only, check, ord, 0);
                frame.empty_only = empty_only;
                frame.columns = matches!(
                    kind,
                    Kind::Analyst { .. } | Kind::Relationship { .. } | Kind::Sighting
                ) && checks::requires_any_taxonomy(self);
                if self.frames.is_empty() {
                    self.frames.push(frame).is_ok()
                } else {
                    self.push_frame(frame, seg)
                }
            }
            (Act::Array(kind, check), ValueType::Array) => {
                let frame = Frame::new(kind, true, check, 0, 0);
                if self.frames.is_empty() {
                    self.frames.push(frame).is_ok()
                } else {
                    self.push_frame(frame, None)
                }
            }
            // presence is all misp-guard needs of `info`
            (Act::Field(Field::Info), _) => false,
            (Act::Field(field), _) => match t {
                ValueType::Object | ValueType::Array => {
                    self.pending = Some((0, Act::Field(field)));
                    let what = checks::field_expects(field);
                    self.wrong_type(what);
                    self.pending = None;
                    false
                }
                _ => {
                    self.start_capture(field);
                    true
                }
            },
            (act, t) => {
                // a container of the wrong type, or a scalar where a container belongs
                if self.frames.is_empty() {
                    // the root
                    let (kind, _) = root(self.inspection.kind);
                    let b = if kind == Kind::EventWrapper {
                        self.block(Reason::NoEventWrapper)
                    } else if matches!(self.inspection.kind, BodyKind::MinimalSearch(_)) {
                        self.block(Reason::MinimalPublishedRequired)
                            .with_detail(checks::search_label(self.inspection.kind))
                    } else if let (Some(kind), ValueType::Object) =
                        (schema::object_root(self.inspection.kind), t)
                    {
                        // search results wrapped in `{"response": […]}`, a single sighting
                        let frame = Frame::new(kind, false, Check::Content, 0, 0);
                        self.frames.push(frame).ok();
                        return true;
                    } else {
                        self.block(Reason::WrongType).with_detail(match act {
                            Act::Array(..) => "an array",
                            _ => "an object",
                        })
                    };
                    self.violate_root(b.with_pointer(""));
                    return false;
                }
                // lenient elements may say `null` for an absent list
                let lenient = self.current_element().is_some_and(|e| !self.frames[e].kind.strict());
                if t == ValueType::Null && lenient {
                    return false;
                }
                self.pending = Some((0, act));
                self.wrong_type(match act {
                    Act::Array(..) => "an array",
                    _ => "an object",
                });
                self.pending = None;
                if let Some(f) = self.frames.last_mut() {
                    if f.array {
                        f.ord += 1;
                    }
                }
                false
            }
        }
    }
}

impl Machine<'_> {
    /// [`Sink::key`] for a key the rules read.
    #[inline]
    fn read_key(&mut self, k: &[u8], bit: u8, act: Act, name: Option<&'static str>) {
        // only keys the rules read are kept (for pointers)
        self.key_name = name;
        if name.is_none() {
            self.key.clear();
            let _ = self.key.extend_from_slice(k);
        }
        if let Some(top) = self.frames.last_mut() {
            if top.has(bit) {
                self.duplicate_key(k);
                return;
            }
            top.seen |= 1 << bit;
        }
        self.pending = Some((bit, act));
    }

    /// A key no rule reads, of analyst data or a sighting where taxonomies are required
    /// ([`Frame::columns`]): MISP saves the element's members as columns
    /// (`AnalystData::captureAnalystData` → `save`, `Sighting::captureSightings` →
    /// `existing`, `saveMany`), and a list or an object in one makes the query throw —
    /// on `/events/edit` inside `MispAttribute::editAttributePostProcessing`, after the
    /// attributes are stored and before their tags. Its value must be a scalar (as a
    /// tag's `colour`); the organisation objects MISP reads apart (`Org`, `Orgc`,
    /// `Organisation`) and a relationship's `related_object` (no column; not read in a
    /// cluster's analyst data) are left as they are.
    #[cold]
    #[inline(never)]
    fn column_key(&mut self, k: &[u8]) {
        if matches!(k, b"Org" | b"Orgc" | b"Organisation" | b"related_object") {
            return;
        }
        self.key_name = None;
        self.key.clear();
        let _ = self.key.extend_from_slice(k);
        self.pending = Some((0, Act::Field(Field::TagScalar)));
    }

    /// A key the rules read, seen twice in one object: refused.
    #[cold]
    #[inline(never)]
    fn duplicate_key(&mut self, k: &[u8]) {
        let ptr = self.pointer_with_key();
        let b = self
            .block(Reason::DuplicateKey)
            .with_detail_fmt(format_args!("\"{}\"", key_str(k)))
            .with_pointer(&ptr);
        self.set_fatal(b);
    }
}

impl Machine<'_> {
    /// A member of an element that no rule reads: `value_start` answers `false`
    /// without effect (the full path would find no pending action and answer the same).
    #[inline]
    fn unread_member(&self) -> bool {
        self.rooted && self.pending.is_none() && self.frames.last().is_some_and(|f| !f.array)
    }
}

impl Sink for Machine<'_> {
    #[inline]
    fn value_start(&mut self, t: ValueType) -> bool {
        // the common case first
        if self.unread_member() {
            return false;
        }
        // a scalar of a read field of an element: what `value_start_slow` does for it
        if let Some((_, Act::Field(field))) = self.pending {
            if field != Field::Info
                && !matches!(t, ValueType::Object | ValueType::Array)
                && self.fatal.is_none()
                && self.rooted
                && self.frames.last().is_some_and(|f| !f.array && !f.empty_only)
            {
                self.pending = None;
                self.start_capture(field);
                return true;
            }
        }
        self.value_start_slow(t)
    }

    #[inline]
    fn member_wanted(&self) -> bool {
        !self.unread_member()
    }

    /// The top element's read keys: any other key of it finds no action in `key`
    /// (whose only effect then is clearing `pending`, which no later event reads
    /// before a delivered key or the container's end clears it too) and its value
    /// meets the `value_start` fast path.
    fn key_filter(&self) -> u128 {
        match self.frames.last() {
            Some(f) if self.rooted && !f.array && !f.columns => schema::read_slots_at(f.ki),
            _ => u128::MAX,
        }
    }

    #[inline]
    fn key(&mut self, key: Option<&[u8]>) {
        self.pending = None;
        let Some(k) = key else { return };
        let Some(top) = self.frames.last() else { return };
        // most keys are not read: they end here, inlined in the tokenizer
        let Some((bit, act, name)) = lookup_at(top.ki, top.kind, k) else {
            if top.columns {
                self.column_key(k);
            }
            return;
        };
        self.read_key(k, bit, act, name);
    }

    fn str_part(&mut self, s: &[u8]) {
        let cap = &mut self.cap;
        if !cap.keep {
            return;
        }
        if cap.lazy {
            if cap.exact.fits(s.len()) {
                // the common case: a short value, folded when it ends
                cap.exact.push_fitting(s);
                return;
            }
            cap.settle();
        }
        cap.raw.push(s);
        cap.exact.push_bytes(s);
        if cap.want_ci {
            cap.ci.push_bytes(s);
        }
        if cap.want_other {
            cap.other.push_bytes(s);
        }
    }

    fn scalar_end(&mut self, s: Scalar<'_>) {
        let Some(field) = self.cap.field.take() else { return };
        if s == Scalar::String {
            self.cap.settle();
        }
        checks::field(self, field, s);
    }

    fn container_end(&mut self) {
        let Some(mut f) = self.frames.pop() else { return };
        if f.empty_only {
            // `[]` ends: it was `{}`
            f.array = false;
            f.empty_only = false;
        }
        if !f.array {
            self.frames.push(f).ok();
            let i = self.frames.len() - 1;
            checks::element_end(self, i);
            self.frames.pop();
        }
        if !self.pointer_over || self.frames.is_empty() {
            self.pointer.truncate(f.ptr_len as usize);
        }
        if self.frames.is_empty() {
            self.pointer.clear();
        }
        self.pending = None;
    }
}

/// Appends `/index` to a pointer; `false` when it did not fit. What it leaves on
/// failure is what `write!(p, "/{index}")` leaves: the `/` alone when only it fits.
fn write_index_segment(index: u32, p: &mut heapless::String<POINTER_CAP>) -> bool {
    if p.push('/').is_err() {
        return false;
    }
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut v = index;
    loop {
        at -= 1;
        digits[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // all-or-nothing, like `push_str`
    if p.len() + (digits.len() - at) > POINTER_CAP {
        return false;
    }
    for &d in &digits[at..] {
        let _ = p.push(d as char);
    }
    true
}

/// Appends `/key` (RFC 6901 escaped) to a pointer; `false` when it did not fit.
fn write_key_segment(key: &[u8], p: &mut heapless::String<POINTER_CAP>) -> bool {
    if p.push('/').is_err() {
        return false;
    }
    if !key.iter().any(|&b| b == b'~' || b == b'/') {
        return p.push_str(key_str(key)).is_ok();
    }
    for c in key_str(key).chars() {
        let r = match c {
            '~' => p.push_str("~0"),
            '/' => p.push_str("~1"),
            c => p.push(c),
        };
        if r.is_err() {
            return false;
        }
    }
    true
}

/// A key as text (keys come from the tokenizer as valid UTF-8).
fn key_str(k: &[u8]) -> &str {
    core::str::from_utf8(k).unwrap_or("\u{fffd}")
}

/// Which reason a rule produces on which element kind.
pub(crate) fn reason_for(kind: Kind, check: Check) -> Reason {
    use Reason::*;
    let k = match kind {
        Kind::Event { .. } | Kind::IndexEvent | Kind::IndexItem | Kind::EventWrapper => 0,
        Kind::Attribute { .. } | Kind::ShadowItem => 1,
        Kind::Object { .. } => 2,
        Kind::EventReport { .. } => 3,
        Kind::Cluster { .. } | Kind::ClusterItem { .. } | Kind::Galaxy | Kind::ClusterRelation => 4,
        Kind::Sighting | Kind::SightingItem => 6,
        _ => 5, // analyst data
    };
    const DIST: [Reason; 7] = [
        EventBlockedDistribution,
        AttributeBlockedDistribution,
        ObjectBlockedDistribution,
        EventReportBlockedDistribution,
        GalaxyClusterBlockedDistribution,
        AnalystDataBlockedDistribution,
        SightingBlockedDistribution,
    ];
    const SG: [Reason; 7] = [
        EventBlockedSharingGroup,
        AttributeBlockedSharingGroup,
        ObjectBlockedSharingGroup,
        EventReportBlockedSharingGroup,
        GalaxyClusterBlockedSharingGroup,
        AnalystDataBlockedSharingGroup,
        SightingBlockedSharingGroup,
    ];
    match check {
        Check::Distribution => DIST[k],
        Check::SharingGroup => SG[k],
        Check::Tag | Check::EventTags => match k {
            0 => EventBlockedTag,
            4 => GalaxyClusterBlockedTag,
            _ => AttributeBlockedTag,
        },
        Check::ClusterTag => GalaxyClusterBlockedTag,
        Check::Type => AttributeBlockedType,
        Check::Category => AttributeBlockedCategory,
        Check::Name => ObjectBlockedType,
        Check::UserOrg => UserOrgNotInSharingGroup,
        _ => Internal,
    }
}

#[allow(dead_code)]
fn _assert_bounds() {
    let _ = MAX_REQUIRED;
    let _ = Format::Current;
}

#[cfg(test)]
mod tests {
    use super::RawLen;

    /// The definition: byte by byte.
    fn naive(r: &mut RawLen, s: &[u8]) {
        for &b in s {
            r.bytes = r.bytes.saturating_add(1);
            if b & 0xC0 != 0x80 {
                r.chars = r.chars.saturating_add(1);
                r.wide |= b >= 0xF0;
            }
            if b != b' ' {
                r.solid = r.chars;
                r.solid_bytes = r.bytes;
            }
        }
    }

    fn same(a: &RawLen, b: &RawLen) -> bool {
        (a.chars, a.solid, a.solid_bytes, a.bytes, a.wide)
            == (b.chars, b.solid, b.solid_bytes, b.bytes, b.wide)
    }

    #[test]
    fn raw_len_counts_as_byte_by_byte() {
        let atoms: [&str; 7] = [" ", "a", "é", "\u{2013}", "😀", "  ", "tlp"];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            let (mut fast, mut slow) = (RawLen::default(), RawLen::default());
            for _ in 0..(seed % 4) {
                let mut piece = std::string::String::new();
                for _ in 0..(seed >> 8) % 6 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    piece.push_str(atoms[(seed % atoms.len() as u64) as usize]);
                }
                fast.push(piece.as_bytes());
                naive(&mut slow, piece.as_bytes());
                assert!(same(&fast, &slow), "{piece:?}: {fast:?} vs {slow:?}");
            }
            seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
        }
        // printable ASCII without counting
        for v in ["", " ", "a", "tlp:red", "tlp:red   ", "  a b  ", "x y"] {
            let mut slow = RawLen::default();
            naive(&mut slow, v.as_bytes());
            let fast = RawLen::ascii(v.as_bytes());
            assert!(same(&fast, &slow), "{v:?}: {fast:?} vs {slow:?}");
        }
        // saturation
        let (mut fast, mut slow) = (RawLen::default(), RawLen::default());
        fast.bytes = u32::MAX - 1;
        fast.chars = u32::MAX - 1;
        slow.bytes = u32::MAX - 1;
        slow.chars = u32::MAX - 1;
        fast.push("é a ".as_bytes());
        naive(&mut slow, "é a ".as_bytes());
        assert!(same(&fast, &slow), "{fast:?} vs {slow:?}");
    }
}
