//! The rule families: what each field is compared with, and what an element must
//! carry when it ends.
//!
//! | family | fields | comparison |
//! |---|---|---|
//! | tags | `Tag[].name`, `EventTag[].Tag.name`, cluster `tag_name` | blocked: `_ci` fold; required taxonomy: exact prefix `TAX:`; allowed tags: lowercase |
//! | distribution | `distribution` of every element | numeric level (`0`, `"0"`, `0.0`, `"00"`, `false` are level 0); anything that is not a plain level 0–5 is refused |
//! | sharing groups | `SharingGroup.uuid` of every element; `X-UserOrgUUID` membership | blocked: `_ci` fold; membership: exact |
//! | attributes | `type`, `category` | type: `_ci` fold; category: trimmed, case kept |
//! | objects | `name` | `_ci` fold |
//! | search | `minimal`, `published` | numerically 1 |

use core::fmt::Write as _;

use super::schema::{key_action, Check, Field, Kind};
use super::{reason_for, Machine, RelType};
use crate::fold::Fold;
use crate::json::Scalar;
use crate::policy::{BodyKind, Format, MinimalSearch, Policy, RuleSet, RuleSetId};
use crate::verdict::{Block, Reason};

/// Folds a field's value needs besides the exact text: (`_ci`, other).
pub(super) fn folds(m: &Machine<'_>, field: Field) -> (bool, Option<Fold>) {
    let any = |f: fn(&RuleSet) -> bool| rulesets(m).any(|(_, r)| f(r));
    match field {
        Field::Type => (any(|r| r.blocked_types.len > 0), None),
        Field::Name => (any(|r| r.blocked_object_types.len > 0), None),
        Field::SgUuid => (any(|r| r.blocked_sgs.len > 0), None),
        Field::ClusterTagName => (any(|r| r.blocked_tags.len > 0), None),
        Field::TagName => {
            let lower = requires_allowed_tags(m);
            // the `_ci` fold also places local tags in required taxonomies
            let ci = any(|r| r.blocked_tags.len > 0) || requires_any_taxonomy(m);
            (ci, lower.then_some(Fold::Lower))
        }
        Field::Category => (false, any(|r| r.blocked_categories.len > 0).then_some(Fold::Trim)),
        _ => (false, None),
    }
}

/// Whether tag names must also be kept lowercased (allowed tags are configured).
fn requires_allowed_tags(m: &Machine<'_>) -> bool {
    if m.policy.format() != Format::Current {
        return false;
    }
    let r = m.policy.ruleset(m.inspection.first);
    r.required.len > 0 && r.allowed.iter().any(|l| l.len > 0)
}

/// Whether the first rule set requires taxonomies (current format).
pub(super) fn requires_any_taxonomy(m: &Machine<'_>) -> bool {
    m.policy.format() == Format::Current && m.policy.ruleset(m.inspection.first).required.len > 0
}

/// MISP's column for a compared field and how much of a value it keeps: characters
/// (`INSTALL/MYSQL.sql`), or bytes for tag names, which `Tag::beforeValidate` cuts at
/// 255 bytes (`substr`) before MariaDB sees them. The filed tag of a galaxy cluster goes
/// to `tags.name` too.
fn column(field: Field) -> (&'static str, u32, bool) {
    match field {
        Field::Type => ("attributes.type", 100, false),
        Field::Category => ("attributes.category", 255, false),
        Field::Name => ("objects.name", 255, false),
        Field::SgUuid => ("sharing_groups.uuid", 40, false),
        _ => ("tags.name", 255, true),
    }
}

/// Why MISP would not store a compared value as the guard read it, if so: longer than
/// its column (MariaDB cuts it without strict mode, or refuses the row), a character
/// its `utf8mb3` column cannot hold (cut there without strict mode), or longer than the
/// guard's folding buffer. Any of these is refused where a rule compares the value: the
/// guard cannot know what the receiver keeps, so "no match" would fail open.
#[inline]
fn stored_differently(m: &Machine<'_>, field: Field, folded: Option<&[u8]>) -> Option<Block> {
    // the common case, inlined: the value fits its column and the guard's buffer
    let (_, len, in_bytes) = column(field);
    let raw = &m.cap.raw;
    let kept = if in_bytes { raw.solid_bytes() } else { raw.solid() };
    if kept <= len && !raw.wide() && folded.is_some() {
        return None;
    }
    stored_differently_block(m, field, folded)
}

/// [`stored_differently`] past its common case: the refusal.
#[cold]
#[inline(never)]
fn stored_differently_block(m: &Machine<'_>, field: Field, folded: Option<&[u8]>) -> Option<Block> {
    let (col, len, in_bytes) = column(field);
    let raw = m.cap.raw;
    let kept = if in_bytes { raw.solid_bytes() } else { raw.solid() };
    let unit = if in_bytes { "bytes" } else { "characters" };
    enum Why {
        Column,
        Wide,
        Folded,
    }
    let why = if kept > len {
        Why::Column
    } else if raw.wide() {
        Why::Wide
    } else if folded.is_none() {
        Why::Folded
    } else {
        return None;
    };
    let ptr = m.pointer_with_key();
    let mut shown: heapless::String<64> = heapless::String::new();
    for c in exact_text(m).chars() {
        if shown.push(c).is_err() {
            break;
        }
    }
    let b = m.block(Reason::OverCapacity).with_pointer(&ptr);
    Some(match why {
        Why::Column => b.with_detail_fmt(format_args!(
            "value \"{shown}…\" longer than MISP's `{col}` ({len} {unit})"
        )),
        Why::Wide => b.with_detail_fmt(format_args!(
            "value \"{shown}…\" with a character MISP's `{col}` cannot hold (past U+FFFF)"
        )),
        Why::Folded => b.with_detail_fmt(format_args!(
            "value \"{shown}…\" longer than the guard compares ({} bytes)",
            crate::limits::VALUE_CAP
        )),
    })
}

/// The check a field belongs to (for precedence and wrong-type reports).
pub(super) fn field_check(field: Field) -> Check {
    match field {
        Field::Info => Check::Info,
        Field::Distribution => Check::Distribution,
        Field::Type => Check::Type,
        Field::Category => Check::Category,
        Field::Name => Check::Name,
        Field::TagName | Field::TagLocal => Check::Tag,
        Field::ClusterTagName | Field::ClusterType | Field::ClusterUuid => Check::ClusterTag,
        Field::SgUuid => Check::SharingGroup,
        Field::OrgUuid | Field::AllOrgs => Check::UserOrg,
        Field::RelatedType => Check::RelatedType,
        Field::Minimal | Field::Published => Check::Content,
        Field::SgId | Field::SgName => Check::SharingGroup,
        Field::TagRelation | Field::TagDeleted | Field::TagScalar => Check::Tag,
        Field::NoteType
        | Field::Data
        | Field::NoteDate
        | Field::NoteLanguage
        | Field::IndexPublished => Check::Content,
    }
}

/// What a field must be, for wrong-type messages.
pub(super) fn field_expects(field: Field) -> &'static str {
    match field {
        Field::Distribution => "a distribution level",
        Field::AllOrgs
        | Field::Minimal
        | Field::Published
        | Field::TagLocal
        | Field::SgId
        | Field::TagRelation
        | Field::TagDeleted
        | Field::TagScalar
        | Field::Data
        | Field::IndexPublished => "a scalar",
        _ => "a string",
    }
}

/// `… is required for LABEL requests`.
pub(super) fn search_label(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::MinimalSearch(s) => s.label(),
        _ => MinimalSearch::EventsIndex.label(),
    }
}

/// The rule sets to apply, with their index among the applied ones.
fn rulesets<'a>(m: &'a Machine<'_>) -> impl Iterator<Item = (usize, &'a RuleSet)> + 'a {
    let p: &'a Policy = &m.policy;
    let first = m.inspection.first.0;
    (0..m.inspection.count).map(move |i| (i as usize, p.ruleset(RuleSetId(first + i))))
}

/// Parses a distribution level: JSON number syntax (also inside strings), integral,
/// 0..=5. `Ok(None)` never happens for text; `Err` = not a plain level.
pub(crate) fn parse_level(text: &str) -> Result<u64, ()> {
    let b = text.as_bytes();
    // the common case: one digit (what the rest gives for it, without the walk)
    if let [d @ b'0'..=b'9'] = b {
        return if *d <= b'5' { Ok((d - b'0') as u64) } else { Err(()) };
    }
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int = &b[int_start..i];
    // leading zeros are fine: `"00"` is level 0 to PHP as to us
    if int.is_empty() {
        return Err(());
    }
    let mut frac: &[u8] = &[];
    if i < b.len() && b[i] == b'.' {
        let s = i + 1;
        i = s;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac = &b[s..i];
        if frac.is_empty() {
            return Err(());
        }
    }
    let mut exp: i64 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            exp = (exp * 10 + (b[i] - b'0') as i64).min(1 << 40);
            i += 1;
        }
        if i == s {
            return Err(());
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(());
    }
    // value = digits(int ++ frac) * 10^(exp - frac.len())
    let mut e = exp - frac.len() as i64;
    let mut digits = int.iter().chain(frac.iter()).copied().skip_while(|&d| d == b'0').peekable();
    let mut sig: heapless::Vec<u8, 8> = heapless::Vec::new();
    let mut zeros_after = 0i64;
    for d in digits.by_ref() {
        if d == b'0' {
            zeros_after += 1;
            continue;
        }
        for _ in 0..zeros_after {
            sig.push(b'0').map_err(|_| ())?;
        }
        zeros_after = 0;
        sig.push(d).map_err(|_| ())?;
    }
    e += zeros_after;
    if sig.is_empty() {
        return Ok(0); // 0, -0, 0.000, 0e5
    }
    if neg || e < 0 || e + sig.len() as i64 > 1 {
        return Err(());
    }
    let mut v: u64 = 0;
    for d in sig.iter() {
        v = v * 10 + (d - b'0') as u64;
    }
    for _ in 0..e {
        v *= 10;
    }
    if v > 5 {
        return Err(());
    }
    Ok(v)
}

fn numeric_one(s: Scalar<'_>) -> bool {
    match s {
        Scalar::True => true,
        Scalar::Number(Some(t)) => parse_level(t) == Ok(1),
        _ => false,
    }
}

fn truthy(m: &Machine<'_>, s: Scalar<'_>) -> bool {
    match s {
        Scalar::True => true,
        // as misp-guard (Python) reads a JSON number: `1e-400` is 0.0, false
        Scalar::Number(Some(t)) => t.parse::<f64>().map_or(false, |v| v != 0.0),
        Scalar::String => {
            let v = m.cap.exact.get().unwrap_or(b"");
            v == b"1" || v.eq_ignore_ascii_case(b"true")
        }
        _ => false,
    }
}

/// Whether `AnalystData::beforeSave` reads a `created`/`modified` value without
/// throwing: PHP's `empty()` values are replaced by the current time; a date and time
/// as MISP writes them (`2024-05-01 12:00:00`, or ISO 8601 with `T`, a fraction and a
/// zone) are read. Anything else `new DateTime` may refuse, and is taken as refused.
fn date_read(m: &Machine<'_>, s: Scalar<'_>) -> bool {
    match php_empty(m, s) {
        Some(true) => true,
        _ => s == Scalar::String && m.cap.exact.get().is_some_and(plain_datetime),
    }
}

/// PHP's `empty()` of a scalar value: `null`, `false`, `0`, `0.0`, `""`, `"0"`. `None`
/// for a number too long to keep (it may be a long zero): each caller takes it the way
/// that fails closed.
fn php_empty(m: &Machine<'_>, s: Scalar<'_>) -> Option<bool> {
    match s {
        Scalar::Null | Scalar::False => Some(true),
        Scalar::True => Some(false),
        Scalar::Number(t) => t?.parse::<f64>().ok().map(|v| v == 0.0),
        Scalar::String => Some(matches!(m.cap.exact.get(), Some(b"" | b"0"))),
    }
}

/// `YYYY-MM-DD HH:MM:SS` (or `T` between), then an optional fraction and an optional
/// zone (`Z`, `+HH:MM`, `+HHMM`, `-…`), every field in its range (PHP's parser refuses
/// a month 13 or an hour 25; a day past the month's end it rolls over, but 32 it refuses).
fn plain_datetime(v: &[u8]) -> bool {
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    // a two-digit field within `lo..=hi`
    let two = |r: &[u8], lo: u8, hi: u8| {
        digits(r) && (lo..=hi).contains(&((r[0] - b'0') * 10 + (r[1] - b'0')))
    };
    if v.len() < 19 || !digits(&v[..4]) || v[4] != b'-' || !two(&v[5..7], 1, 12) || v[7] != b'-' {
        return false;
    }
    if !two(&v[8..10], 1, 31) || !matches!(v[10], b' ' | b'T') || !two(&v[11..13], 0, 23) {
        return false;
    }
    if v[13] != b':' || !two(&v[14..16], 0, 59) || v[16] != b':' || !two(&v[17..19], 0, 59) {
        return false;
    }
    let mut rest = &v[19..];
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &tail[n..];
    }
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            two(&[*h1, *h2], 0, 14) && two(&[*m1, *m2], 0, 59)
        }
        _ => false,
    }
}

/// Whether a `language` fits `notes.language` (`varchar(16)`, in characters).
fn language_fits(m: &Machine<'_>, s: Scalar<'_>) -> bool {
    match s {
        Scalar::String => m
            .cap
            .exact
            .get()
            .and_then(|v| core::str::from_utf8(v).ok())
            .is_some_and(|v| v.chars().count() <= 16),
        Scalar::Number(t) => t.is_some_and(|t| t.len() <= 16),
        _ => true,
    }
}

/// The text of a distribution level (not `null`).
fn level_text<'a>(m: &'a Machine<'_>, s: Scalar<'a>) -> &'a str {
    match s {
        Scalar::True => "1",
        Scalar::False | Scalar::Null => "0",
        Scalar::Number(t) => t.unwrap_or("(too long)"),
        Scalar::String => match m.cap.exact.get() {
            // a level as MISP writes it, without a UTF-8 check
            Some(&[d @ b'0'..=b'9']) => DIGITS[(d - b'0') as usize],
            Some(_) => exact_text(m),
            None => "(too long)",
        },
    }
}

/// The digits as text.
const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The text of the captured value for messages.
fn exact_text<'a>(m: &'a Machine<'_>) -> &'a str {
    core::str::from_utf8(m.cap.exact.prefix()).unwrap_or("")
}

fn is_string(m: &mut Machine<'_>, field: Field, s: Scalar<'_>) -> bool {
    if s == Scalar::String {
        return true;
    }
    let lenient_null =
        s == Scalar::Null && m.current_element().is_some_and(|e| !m.frames[e].kind.strict());
    if !lenient_null {
        m.pending = Some((0, super::schema::Act::Field(field)));
        m.wrong_type(field_expects(field));
        m.pending = None;
    }
    false
}

/// A field's value ended: compare it.
pub(super) fn field(m: &mut Machine<'_>, field: Field, s: Scalar<'_>) {
    let Some(el) = m.current_element() else { return };
    let kind = m.frames[el].kind;
    match field {
        Field::Minimal | Field::Published => {
            if numeric_one(s) {
                let bit = if field == Field::Minimal { 1 } else { 2 };
                if let Some(f) = m.frames.last_mut() {
                    f.req_sat |= bit;
                }
            }
        }
        Field::Distribution => {
            if s != Scalar::Null {
                m.frames[el].dist_set = true;
            }
            if s == Scalar::Null {
                // MISP gives `null` its default level, as for a missing field
                if distribution_required(kind) {
                    missing(m, el, Check::Distribution, "distribution");
                }
                return;
            }
            // for messages only
            let shown = |m: &Machine<'_>| {
                let mut shown: heapless::String<48> = heapless::String::new();
                for c in level_text(m, s).chars() {
                    if shown.push(c).is_err() {
                        break;
                    }
                }
                shown
            };
            match parse_level(level_text(m, s)) {
                Ok(level) => {
                    // PHP's loose `true == 4` sends `true` through `captureSGForElement`
                    // (`Event::__captureObjects`, `EventReport::captureSG`,
                    // `AnalystData::captureOrganisationAndSG`, `GalaxyCluster`): without a
                    // group it is stored as level 0, with one as level 1 in that group
                    m.frames[el].sg_level |= level == 4 || s == Scalar::True;
                    let hit = rulesets(m).find(|(_, r)| r.level_blocked(level));
                    if let Some((i, _)) = hit {
                        let ptr = m.pointer_with_key();
                        let b = m
                            .block(reason_for(kind, Check::Distribution))
                            .with_detail(&shown(m))
                            .with_pointer(&ptr)
                            .with_ruleset(Some(RuleSetId(m.inspection.first.0 + i as u16)));
                        m.violate(el, Check::Distribution, 0, i, b);
                    }
                }
                Err(()) => {
                    let ptr = m.pointer_with_key();
                    let b = m.block(Reason::BadLevel).with_detail(&shown(m)).with_pointer(&ptr);
                    m.violate(el, Check::Distribution, 0, 0, b);
                }
            }
        }
        Field::Type | Field::Name | Field::SgUuid | Field::Category | Field::ClusterTagName => {
            if field == Field::Category && default_category_applies(m, kind, s) {
                if blocks_categories(m) {
                    missing(m, el, Check::Category, "category");
                }
                return;
            }
            if !is_string(m, field, s) {
                return;
            }
            let check = field_check(field);
            let v = if field == Field::Category { m.cap.other.get() } else { m.cap.ci.get() };
            let compared = if field == Field::Category { m.cap.want_other } else { m.cap.want_ci };
            let unstored = if compared { stored_differently(m, field, v) } else { None };
            let hit = {
                v.and_then(|v| {
                    rulesets(m).find(|(_, r)| {
                        let list = match field {
                            Field::Type => r.blocked_types,
                            Field::Name => r.blocked_object_types,
                            Field::SgUuid => r.blocked_sgs,
                            Field::Category => r.blocked_categories,
                            _ => r.blocked_tags,
                        };
                        m.policy.list_has(list, v)
                    })
                })
            };
            if let Some((i, _)) = hit {
                let ptr = m.pointer_with_key();
                let b = m
                    .block(reason_for(kind, check))
                    .with_detail(exact_text(m))
                    .with_pointer(&ptr)
                    .with_ruleset(Some(RuleSetId(m.inspection.first.0 + i as u16)));
                m.violate(el, check, 0, i, b);
            } else if let Some(b) = unstored {
                // cut or refused by MISP's column: it may be stored as a blocked value
                m.violate(el, check, 0, 0, b);
            }
        }
        Field::TagName => {
            if !is_string(m, field, s) {
                return;
            }
            tag_name(m, el);
        }
        Field::ClusterType | Field::ClusterUuid => {
            if !is_string(m, field, s) {
                return;
            }
            let v = m.cap.exact.get().unwrap_or(&[]);
            let kept = if field == Field::ClusterType {
                m.cluster_type.clear();
                m.cluster_type.extend_from_slice(v)
            } else {
                m.cluster_uuid.clear();
                m.cluster_uuid.extend_from_slice(v)
            };
            m.cluster_over |= kept.is_err() || m.cap.exact.overflowed();
            let raw = m.cap.raw;
            m.cluster_raw.add(&raw);
        }
        Field::TagLocal => {
            // MISP's `!empty($tag['local'])`
            let local = match s {
                Scalar::True => true,
                Scalar::Number(t) => t.map_or(true, |t| parse_level(t) != Ok(0)),
                Scalar::String => !matches!(m.cap.exact.get(), Some(b"" | b"0")),
                _ => false,
            };
            if let Some(tag) = m.frames.last_mut() {
                tag.local |= local;
            }
        }
        Field::OrgUuid => {
            if !is_string(m, field, s) {
                return;
            }
            if m.user_org_set && m.cap.exact.get() == Some(m.user_org.as_bytes()) {
                if let Some(sg) = m.frames.iter_mut().rev().find(|f| f.kind == Kind::SharingGroup) {
                    sg.sg_member = true;
                }
            }
        }
        Field::AllOrgs => {
            if truthy(m, s) {
                if let Some(sg) = m.frames.iter_mut().rev().find(|f| f.kind == Kind::SharingGroup) {
                    sg.sg_all_orgs = true;
                }
            }
        }
        Field::RelatedType => {
            if !is_string(m, field, s) {
                return;
            }
            let rel = match m.cap.exact.get().unwrap_or(b"") {
                b"Event" => RelType::Event,
                b"Object" => RelType::Object,
                b"Attribute" => RelType::Attribute,
                b"GalaxyCluster" => RelType::GalaxyCluster,
                b"Note" => RelType::Note,
                b"Opinion" => RelType::Opinion,
                b"Relationship" => RelType::Relationship,
                _ => RelType::Other,
            };
            if let Some(f) = m.frames.last_mut() {
                f.rel = rel;
            }
        }
        Field::SgId => {
            // PHP's `empty()` (a number too long to keep: set)
            m.frames[el].sg_id |= php_empty(m, s) != Some(true);
        }
        // a container was refused as a wrong type; a scalar is saved as is
        Field::TagScalar | Field::Data => {}
        Field::SgName => {
            // PHP's `empty()` is no name (a number too long to keep may be a long zero:
            // taken as none)
            let named = php_empty(m, s) == Some(false);
            if let Some(f) = m.frames.last_mut() {
                f.named |= named;
            }
        }
        Field::IndexPublished => {
            // MISP answers the sync's `published: 1` search with published events only;
            // an unpublished one means the filters were not applied (CakePHP decodes the
            // search only for an exact `application/json`, and a request without that
            // header reaches `EventsController::index` with no filter at all)
            let published = match s {
                Scalar::True => true,
                Scalar::Number(t) => t.is_some_and(|t| t.parse::<f64>().is_ok_and(|v| v != 0.0)),
                Scalar::String => matches!(m.cap.exact.get(), Some(b"1" | b"true")),
                Scalar::False | Scalar::Null => false,
            };
            if !published {
                let ptr = m.pointer_with_key();
                let label = search_label(m.inspection.kind);
                let b =
                    m.block(Reason::MinimalPublishedRequired).with_detail(label).with_pointer(&ptr);
                m.violate(el, Check::Content, 0, 0, b);
            }
        }
        Field::NoteDate | Field::NoteLanguage => {
            let saved =
                if field == Field::NoteDate { date_read(m, s) } else { language_fits(m, s) };
            if !saved && requires_any_taxonomy(m) {
                let what = if field == Field::NoteDate {
                    "analyst data with a date `AnalystData::beforeSave` cannot read: MISP throws \
                     after storing the attributes and before their tags"
                } else {
                    "analyst data with a `language` longer than its column: MISP throws after \
                     storing the attributes and before their tags"
                };
                let ptr = m.pointer_with_key();
                let b = m.block(Reason::AmbiguousBody).with_detail(what).with_pointer(&ptr);
                m.violate(el, Check::Content, 0, 0, b);
            }
        }
        Field::NoteType => {
            let typed = s == Scalar::String
                && matches!(m.cap.exact.get(), Some(b"Note" | b"Opinion" | b"Relationship"));
            m.frames[el].typed |= typed;
        }
        Field::TagDeleted => {
            // PHP's `empty()` is not deleted (a number too long to keep: deleted)
            let deleted = php_empty(m, s) != Some(true);
            // a detached copy voids the tag, as a local one does
            if let Some(tag) = m.frames.last_mut() {
                tag.local |= deleted;
            }
        }
        Field::TagRelation => {
            // `event_tags`/`attribute_tags.relationship_type` is `varchar(191)` in a
            // `latin1` table; MISP saves an element's tags in one transaction after the
            // element itself, so one tag it cannot save drops them all
            // (`Event::_add`, `MispAttribute::captureAttribute`: `saveMany`)
            let ok = match s {
                Scalar::String => {
                    m.cap.raw.solid() <= 191
                        && m.cap.exact.get().is_some_and(|v| {
                            core::str::from_utf8(v).is_ok_and(|v| v.chars().all(in_cp1252))
                        })
                }
                _ => true,
            };
            if !ok && requires_taxonomies(m, kind) {
                let ptr = m.pointer_with_key();
                let b = m
                    .block(Reason::AmbiguousBody)
                    .with_detail(
                        "`relationship_type` MISP cannot save (longer than 191 characters or \
                         not Latin-1): it would drop every tag of the element",
                    )
                    .with_pointer(&ptr);
                m.violate(el, Check::Required, 0, 0, b);
            }
        }
        Field::Info => {}
    }
}

/// A tag name ended: blocked tags, and required taxonomies of the owning element.
fn tag_name(m: &mut Machine<'_>, el: usize) {
    let n = m.frames.len();
    // the Tag object frame is the top; its ordinal in its list, through a wrapper
    let tag = m.frames[n - 1];
    let (ord, check) = match n.checked_sub(2).map(|i| m.frames[i]) {
        Some(w) if matches!(w.kind, Kind::TagWrap { .. }) => (w.ord, Check::EventTags),
        _ => (tag.ord, Check::Tag),
    };
    let kind = m.frames[el].kind;
    let blocks_tags = rulesets(m).any(|(_, r)| r.blocked_tags.len > 0);
    let unstored = stored_differently(m, Field::TagName, m.cap.ci.get());
    let hit = m
        .cap
        .ci
        .get()
        .and_then(|v| rulesets(m).find(|(_, r)| m.policy.list_has(r.blocked_tags, v)))
        .map(|(i, _)| i);
    if let (true, None, Some(b)) = (blocks_tags, hit, unstored.clone()) {
        // cut or refused by `tags.name`: it may be stored as a blocked tag
        m.violate(el, check, ord, 0, b);
    }
    if let Some(i) = hit {
        let ptr = m.pointer.clone();
        let b = m
            .block(reason_for(kind, check))
            .with_detail(exact_text(m))
            .with_pointer(&ptr)
            .with_ruleset(Some(RuleSetId(m.inspection.first.0 + i as u16)));
        m.violate(el, check, ord, i, b);
    }
    if !requires_any_taxonomy(m) {
        return;
    }
    // which required taxonomies the name falls in, loosely, and which tag it is: a local
    // or deleted copy of it voids them
    let tax = taxonomies_named(m);
    let id = m.cap.ci.get().map_or(u64::MAX, super::copies::identity);
    if let Some(tag) = m.frames.last_mut() {
        tag.tax |= tax;
        tag.id = id;
    }
    // required taxonomies: tags listed directly under a strict event or attribute, that
    // MISP stores as they are (a cut or refused name satisfies nothing)
    if check != Check::Tag || !requires_taxonomies(m, kind) || unstored.is_some() {
        return;
    }
    let r = m.policy.ruleset(m.inspection.first);
    let exact = m.cap.exact.prefix();
    let lower = m.cap.other.get();
    let mut sat = 0u16;
    for (i, tax) in m.policy.list(r.required).enumerate() {
        let t = tax.as_bytes();
        let prefixed = exact.len() > t.len() && exact.starts_with(t) && exact[t.len()] == b':';
        if !prefixed {
            continue;
        }
        let allowed = r.allowed[i];
        let ok = allowed.len == 0 || lower.is_some_and(|l| m.policy.list_has(allowed, l));
        if ok {
            sat |= 1 << i;
        }
    }
    // kept on the tag until it ends: a `local` tag (not synced) satisfies nothing
    if let Some(tag) = m.frames.last_mut() {
        tag.req_sat |= sat;
    }
}

/// The required taxonomies whose namespace the captured tag name starts with, under the
/// `_ci` fold (coarser than MISP's `LOWER(name)` identity of tags, so a local tag is
/// never missed). A name too long to fold falls in every one.
fn taxonomies_named(m: &Machine<'_>) -> u16 {
    let r = m.policy.ruleset(m.inspection.first);
    let Some(name) = m.cap.ci.get() else {
        return u16::MAX;
    };
    let mut bits = 0u16;
    for (i, tax) in m.policy.list(r.required).enumerate() {
        let mut t: crate::fold::Folder<{ crate::limits::MAX_STR + 1 }> =
            crate::fold::Folder::new(Fold::Ci);
        t.push_str(tax);
        t.push(':');
        match t.get() {
            Some(t) if !name.starts_with(t) => {}
            _ => bits |= 1 << i,
        }
    }
    bits
}

/// The copies table of element frame `el` (one per nesting level of elements that
/// require taxonomies), if it is not nested deeper than the tables.
fn copies_of(m: &Machine<'_>, el: usize) -> Option<usize> {
    let depth =
        m.frames[..=el].iter().filter(|f| !f.array && requires_taxonomies(m, f.kind)).count();
    depth.checked_sub(1).filter(|&d| d < super::copies::DEPTH)
}

/// A local or deleted copy of tag `id` (in taxonomies `tax`) on element frame `el`.
fn void_copy(m: &mut Machine<'_>, el: usize, id: u64, tax: u16) {
    if !requires_taxonomies(m, m.frames[el].kind) {
        return;
    }
    match copies_of(m, el) {
        Some(t) => m.copies[t].void(id, tax),
        None => m.frames[el].local_tax |= tax,
    }
}

fn requires_taxonomies(m: &Machine<'_>, kind: Kind) -> bool {
    m.policy.format() == Format::Current
        && matches!(kind, Kind::Event { .. } | Kind::Attribute { strict: true })
        && m.policy.ruleset(m.inspection.first).required.len > 0
}

/// MISP gives an attribute without a category (PHP's `empty()`: absent, `null`, `""`,
/// `"0"`) its type's default category, which may be a blocked one: such attributes are
/// refused when categories are blocked. (`null` on elements misp-guard reads strictly
/// stays a wrong type.)
fn default_category_applies(m: &Machine<'_>, kind: Kind, s: Scalar<'_>) -> bool {
    match s {
        Scalar::Null => !kind.strict(),
        Scalar::String => matches!(m.cap.exact.get(), Some(b"" | b"0")),
        _ => false,
    }
}

fn blocks_categories(m: &Machine<'_>) -> bool {
    rulesets(m).any(|(_, r)| r.blocked_categories.len > 0)
}

/// Elements MISP stores with the sharing group of `SharingGroup`, or else the local
/// one numbered `sharing_group_id` (which the rules cannot name): with distribution 4
/// they must carry the object. MISP's own sync always does (`Event::fetchEvent`,
/// `GalaxyCluster` and `AnalystData` fetches attach it).
fn stored_with_sharing_group(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Event { full: true }
            | Kind::Attribute { .. }
            | Kind::Object { .. }
            | Kind::EventReport { .. }
            | Kind::Cluster { .. }
            | Kind::ClusterRelation
            | Kind::Analyst { .. }
            | Kind::Relationship { .. }
    )
}

/// Elements whose missing (or `null`) `distribution` misp-guard trips over.
fn distribution_required(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Event { .. }
            | Kind::Object { strict: true }
            | Kind::EventReport { strict: true }
            | Kind::Analyst { strict: true }
            | Kind::Cluster { strict: true }
            | Kind::Relationship { strict: true }
    )
}

/// A galaxy cluster ends: the tag MISP files it under (`GalaxyCluster::captureCluster`
/// builds `misp-galaxy:TYPE="UUID"`) is judged as a tag name.
fn cluster_tag_as_filed(m: &mut Machine<'_>, i: usize) {
    let (t, u) = (core::mem::take(&mut m.cluster_type), core::mem::take(&mut m.cluster_uuid));
    let over = core::mem::take(&mut m.cluster_over);
    let raw = core::mem::take(&mut m.cluster_raw);
    if !rulesets(m).any(|(_, r)| r.blocked_tags.len > 0) {
        return;
    }
    // `misp-galaxy:` + TYPE + `="` + UUID + `"` goes to `tags.name` (255 characters,
    // utf8mb3): what MISP would cut or refuse there, or the guard cannot keep, is refused
    let bytes = raw.bytes().saturating_add(15);
    if over || bytes > 255 || raw.wide() {
        let ptr = m.pointer.clone();
        let b = m
            .block(Reason::OverCapacity)
            .with_detail_fmt(format_args!(
                "galaxy cluster `type` and `uuid` make a tag MISP's `tags.name` cannot hold \
                 as given ({bytes} bytes{})",
                if raw.wide() { ", past U+FFFF" } else { "" }
            ))
            .with_pointer(&ptr);
        m.violate(i, Check::ClusterTag, 0, 0, b);
        return;
    }
    m.cap.ci.reset();
    for part in [&b"misp-galaxy:"[..], &t, b"=\"", &u, b"\""] {
        m.cap.ci.push_bytes(part);
    }
    let hit = m
        .cap
        .ci
        .get()
        .and_then(|v| rulesets(m).find(|(_, r)| m.policy.list_has(r.blocked_tags, v)))
        .map(|(i, _)| i);
    if let Some(r) = hit {
        let mut name: heapless::String<220> = heapless::String::new();
        let (tt, ut) = (core::str::from_utf8(&t), core::str::from_utf8(&u));
        let _ = write!(
            name,
            "misp-galaxy:{}=\"{}\"",
            tt.unwrap_or("\u{fffd}"),
            ut.unwrap_or("\u{fffd}")
        );
        let ptr = m.pointer.clone();
        let b = m
            .block(reason_for(m.frames[i].kind, Check::ClusterTag))
            .with_detail(&name)
            .with_pointer(&ptr)
            .with_ruleset(Some(RuleSetId(m.inspection.first.0 + r as u16)));
        m.violate(i, Check::ClusterTag, 0, r, b);
        return;
    }
    // `GalaxyCluster::captureCluster` finds the cluster it updates by `uuid` alone: a
    // blocked cluster's tag (`misp-galaxy:TYPE="UUID"`) blocks its uuid under any type
    if u.is_empty() {
        return;
    }
    let mut fu: crate::fold::Folder<{ CLUSTER_UUID_FOLD }> = crate::fold::Folder::new(Fold::Ci);
    fu.push_bytes(&u);
    let Some(fu) = fu.get() else { return };
    let hit = rulesets(m).find_map(|(r, rs)| {
        m.policy.list(rs.blocked_tags).find(|e| cluster_uuid_of(e) == Some(fu)).map(|e| (r, e))
    });
    if let Some((r, e)) = hit {
        let ptr = m.pointer.clone();
        let b = m
            .block(reason_for(m.frames[i].kind, Check::ClusterTag))
            .with_detail(e)
            .with_pointer(&ptr)
            .with_ruleset(Some(RuleSetId(m.inspection.first.0 + r as u16)));
        m.violate(i, Check::ClusterTag, 0, r, b);
    }
}

/// Room for a folded galaxy cluster uuid (kept raw in 64 bytes).
const CLUSTER_UUID_FOLD: usize = 256;

/// The `UUID` of a (folded) blocked tag `misp-galaxy:TYPE="UUID"`.
fn cluster_uuid_of(tag: &str) -> Option<&[u8]> {
    let rest = tag.strip_prefix("misp-galaxy:")?.strip_suffix('"')?;
    let at = rest.rfind("=\"")?;
    Some(rest[at + 2..].as_bytes())
}

/// Whether MariaDB's `latin1` (Windows-1252, with 0x81, 0x8D, 0x8F, 0x90 and 0x9D
/// passed through) holds `c`.
fn in_cp1252(c: char) -> bool {
    matches!(c as u32,
        0..=0x7F | 0xA0..=0xFF | 0x81 | 0x8D | 0x8F | 0x90 | 0x9D
        | 0x20AC | 0x201A | 0x0192 | 0x201E | 0x2026 | 0x2020 | 0x2021 | 0x02C6 | 0x2030
        | 0x0160 | 0x2039 | 0x0152 | 0x017D | 0x2018 | 0x2019 | 0x201C | 0x201D | 0x2022
        | 0x2013 | 0x2014 | 0x02DC | 0x2122 | 0x0161 | 0x203A | 0x0153 | 0x017E | 0x0178)
}

/// An element that names a receiver-local `sharing_group_id`, where MISP would file it
/// under that group rather than the `SharingGroup` the rules judged:
/// * without `distribution` (or with `null`): `_edit` recovers the stored level
///   (`MispAttribute::editAttribute`, `EventReport::editReport` save only what is sent)
///   and keeps the body's `sharing_group_id`;
/// * an event report at level 4 when sharing groups are blocked: `EventReport::editReport`
///   saves an existing report with the body's `sharing_group_id` and never reads
///   `SharingGroup`.
fn local_sharing_group_id(m: &mut Machine<'_>, i: usize, f: super::Frame) {
    // `/events/add` captures a new event's reports with `EventReport::captureReport`
    // (through `captureSGForElement`: the `SharingGroup` object wins); a pulled event the
    // receiver has, and `/events/edit`, go through `editReport`
    let report = matches!(f.kind, Kind::EventReport { .. })
        && f.sg_level
        && !m.inspection.adds_event()
        && rulesets(m).any(|(_, r)| r.blocked_sgs.len > 0);
    let what = if !f.dist_set {
        "`sharing_group_id` without `distribution`: MISP keeps the stored level and files \
         the element under its own group with this id"
    } else if report {
        "`sharing_group_id` on a report at level 4: MISP's `EventReport::editReport` files \
         it under its own group with this id, whatever `SharingGroup` says"
    } else {
        return;
    };
    let ptr = m.pointer.clone();
    let b = m.block(Reason::AmbiguousBody).with_detail(what).with_pointer(&ptr);
    m.violate(i, Check::SharingGroup, 0, 0, b);
}

fn missing(m: &mut Machine<'_>, el: usize, check: Check, name: &str) {
    let ptr = m.pointer.clone();
    let b = m.block(Reason::MissingField).with_detail(name).with_pointer(&ptr);
    m.violate(el, check, 0, 0, b);
}

/// An object frame `i` (the top) ends: what it must carry.
pub(super) fn element_end(m: &mut Machine<'_>, i: usize) {
    let f = m.frames[i];
    // the key's duplicate bit in this kind, as the schema numbers it
    let lacks = |key: &[u8]| key_action(f.kind, key).is_some_and(|(bit, _)| !f.has(bit));
    if distribution_required(f.kind) && lacks(b"distribution") {
        missing(m, i, Check::Distribution, "distribution");
    }
    if f.sg_level && stored_with_sharing_group(f.kind) && !f.sg_object {
        // `null` is no object: MISP takes the local group `sharing_group_id` names
        missing(m, i, Check::SharingGroup, "SharingGroup");
    }
    if f.sg_id && stored_with_sharing_group(f.kind) {
        local_sharing_group_id(m, i, f);
    }
    if f.sg_level && f.sg_unnamed && stored_with_sharing_group(f.kind) {
        // a group the receiver does not have yet is created only with a name
        // (`SharingGroup::captureSGNew`); without one `captureSGForElement` stores the
        // element at level 0
        missing(m, i, Check::SharingGroup, "SharingGroup name");
    }
    match f.kind {
        Kind::EventWrapper => {
            if !f.has(0) {
                let b = m.block(Reason::NoEventWrapper).with_pointer("");
                m.violate_root(b);
            }
        }
        Kind::Event { full } => {
            if full && !f.has(0) {
                missing(m, i, Check::Info, "info");
            }
            if full && !f.has(9) {
                missing(m, i, Check::Attributes, "Attribute");
            }
            if full && !f.has(10) {
                missing(m, i, Check::Objects, "Object");
            }
            required_taxonomies(m, i, f, f.has(2), Reason::EventMissingRequiredTaxonomies);
        }
        Kind::Attribute { strict: true } => {
            if !f.has(0) {
                missing(m, i, Check::Category, "category");
            }
            if !f.has(1) {
                missing(m, i, Check::Type, "type");
            }
            required_taxonomies(m, i, f, f.has(3), Reason::AttributeMissingRequiredTaxonomies);
        }
        Kind::Attribute { strict: false } => {
            // MISP would give it its type's default category
            if !f.has(0) && f.has(1) && blocks_categories(m) {
                missing(m, i, Check::Category, "category");
            }
        }
        Kind::Object { strict: true } => {
            if !f.has(2) {
                missing(m, i, Check::Name, "name");
            }
            // no `Attribute` list: MISP leaves it out when push filters removed every
            // attribute, and sends related objects without one (nothing to judge)
        }
        Kind::Cluster { .. } => cluster_tag_as_filed(m, i),
        Kind::Relationship { strict } => {
            untyped_analyst_data(m, i, f);
            child_without_level(m, i, f);
            relationship_end(m, i, f, strict, 2)
        }
        Kind::Analyst { strict: false } => {
            untyped_analyst_data(m, i, f);
            child_without_level(m, i, f);
        }
        Kind::Related => {
            // tell the relationship which readings were there
            let bits = (f.has(0) as u8)
                | (f.has(1) as u8) << 1
                | (f.has(2) as u8) << 2
                | (f.has(3) as u8) << 3
                | (f.has(4) as u8) << 4
                | RELATED_PRESENT;
            if i > 0 {
                m.frames[i - 1].related |= bits;
            }
            if f.rel != RelType::Missing {
                relationship_end(m, i, f, true, 6);
            }
        }
        Kind::ClusterItem { strict: true } | Kind::ShadowItem => {
            if !f.has(0) {
                let name =
                    if f.kind == Kind::ShadowItem { "ShadowAttribute" } else { "GalaxyCluster" };
                missing(m, i, Check::Content, name);
            }
        }
        Kind::Tag => {
            let wrapped = i > 0 && matches!(m.frames[i - 1].kind, Kind::TagWrap { .. });
            if wrapped {
                // `EventTag`/`AttributeTag` item: MISP reads `local` on the item; the
                // tag's own `local` is counted too (never missed)
                let w = &mut m.frames[i - 1];
                w.tax |= f.tax;
                w.id = f.id;
                w.local |= f.local;
            } else if let Some(el) = m.element_at(i) {
                if f.local {
                    void_copy(m, el, f.id, f.tax);
                } else if f.req_sat != 0 {
                    match copies_of(m, el) {
                        Some(t) => m.copies[t].satisfy(f.id, f.req_sat),
                        None => m.frames[el].req_sat |= f.req_sat,
                    }
                }
            }
            if !f.has(0) {
                if let Some(el) = m.element_at(i) {
                    let ptr = m.pointer.clone();
                    let b = m.block(Reason::MissingField).with_detail("name").with_pointer(&ptr);
                    m.violate(el, Check::Tag, f.ord, 0, b);
                }
            }
        }
        Kind::TagWrap { .. } => {
            let Some(el) = m.element_at(i) else { return };
            if f.local {
                void_copy(m, el, f.id, f.tax);
            }
            // `Event::__captureAttributeTags` keeps an `AttributeTag` item whose tag MISP
            // cannot attach (a false id), and `AttributeTag->saveMany` then drops every tag
            // of the attribute; MISP's own JSON lists attribute tags under `Tag` only
            let kind = m.frames[el].kind;
            if matches!(kind, Kind::Attribute { .. }) && requires_taxonomies(m, kind) {
                let ptr = m.pointer.clone();
                let b = m
                    .block(Reason::AmbiguousBody)
                    .with_detail(
                        "`AttributeTag` item where taxonomies are required: one MISP cannot \
                         attach drops every tag of the attribute",
                    )
                    .with_pointer(&ptr);
                m.violate(el, Check::Required, 0, 0, b);
            }
        }
        Kind::SharingGroup => {
            let Some(el) = (if i > 0 { m.element_at(i - 1) } else { None }) else { return };
            if !f.named {
                m.frames[el].sg_unnamed = true;
            }
            if !f.has(0) && m.frames[el].kind.strict() {
                missing(m, el, Check::SharingGroup, "uuid");
            }
            if m.user_org_set && !f.sg_member && !f.sg_all_orgs {
                let ptr = m.pointer.clone();
                let uo = m.user_org.clone();
                let b =
                    m.block(Reason::UserOrgNotInSharingGroup).with_detail(&uo).with_pointer(&ptr);
                m.violate(el, Check::UserOrg, 0, 0, b);
            }
        }
        Kind::Search { .. } if i == 0 => {
            if f.has(2) || f.req_sat & 3 != 3 {
                let label = search_label(m.inspection.kind);
                let b =
                    m.block(Reason::MinimalPublishedRequired).with_detail(label).with_pointer("");
                m.violate_root(b);
            }
        }
        _ => {}
    }
}

fn required_taxonomies(
    m: &mut Machine<'_>,
    i: usize,
    f: super::Frame,
    has_tags: bool,
    none: Reason,
) {
    if !requires_taxonomies(m, f.kind) {
        return;
    }
    let r = m.policy.ruleset(m.inspection.first);
    if !has_tags {
        if let Some(t) = copies_of(m, i) {
            m.copies[t].take_satisfied();
        }
        let ptr = m.pointer.clone();
        let b = m.block(none).with_pointer(&ptr).with_ruleset(Some(m.inspection.first));
        m.violate(i, Check::Required, 0, 0, b);
        return;
    }
    // satisfied by a tag with no local or deleted copy (see `copies`); elements nested
    // deeper than the tables: by a tag of a taxonomy no local or deleted tag names
    let sat = match copies_of(m, i) {
        Some(t) => m.copies[t].take_satisfied(),
        None => f.req_sat & !f.local_tax,
    };
    let first_missing = m.policy.list(r.required).enumerate().find(|(k, _)| sat & (1 << k) == 0);
    if let Some((k, tax)) = first_missing {
        let ptr = m.pointer.clone();
        let b = m
            .block(Reason::MissingRequiredTaxonomy)
            .with_detail(tax)
            .with_pointer(&ptr)
            .with_ruleset(Some(m.inspection.first));
        m.violate(i, Check::Required, k as u32, 0, b);
    }
}

/// Nested analyst data MISP cannot type: `AnalystData::deduceAnalystDataType` takes a
/// valid `note_type_name`, else a `Note`/`Opinion`/`Relationship` key, else throws — on
/// `_edit` and pulls after the attributes are stored and before their tags are
/// (`MispAttribute::editAttributePostProcessing`), so they lose every tag. Refused where
/// taxonomies are required.
fn untyped_analyst_data(m: &mut Machine<'_>, i: usize, f: super::Frame) {
    if f.kind.strict() || f.typed || f.has(4) || f.has(5) || f.has(6) {
        return;
    }
    // only children of analyst data are typed so (elements type theirs by the key)
    let parent = if i > 0 { m.element_at(i - 1) } else { None };
    if !parent.is_some_and(|p| {
        matches!(m.frames[p].kind, Kind::Analyst { .. } | Kind::Relationship { .. })
    }) {
        return;
    }
    if !requires_any_taxonomy(m) {
        return;
    }
    let ptr = m.pointer.clone();
    let b = m
        .block(Reason::AmbiguousBody)
        .with_detail(
            "analyst data without a `note_type_name` MISP reads: MISP throws after storing \
             the attributes and before their tags",
        )
        .with_pointer(&ptr);
    m.violate(i, Check::Content, 0, 0, b);
}

/// Analyst data on analyst data without a `distribution` (absent or `null`):
/// `AnalystData::beforeSave` gives it the receiver's `MISP.default_event_distribution`
/// (`!isset`), a level the guard cannot know, and when that setting is unset the row
/// (`distribution` is `NOT NULL`) throws after the attributes are stored and before
/// their tags. Refused where a level is blocked or taxonomies are required (elsewhere
/// the child is judged on what is there, as misp-guard does). MISP's own export always
/// writes the level.
fn child_without_level(m: &mut Machine<'_>, i: usize, f: super::Frame) {
    if f.kind.strict() || f.dist_set {
        return;
    }
    if !requires_any_taxonomy(m) && !rulesets(m).any(|(_, r)| r.blocked_levels != 0) {
        return;
    }
    let parent = if i > 0 { m.element_at(i - 1) } else { None };
    if parent.is_some_and(|p| {
        matches!(m.frames[p].kind, Kind::Analyst { .. } | Kind::Relationship { .. })
    }) {
        missing(m, i, Check::Distribution, "distribution");
    }
}

/// `Frame::related` bit: a `related_object` was there (with or without readings).
const RELATED_PRESENT: u8 = 32;

/// A relationship (or a related relationship) ends: misp-guard reads
/// `related_object_type` and, for the types it knows, the matching reading of
/// `related_object`.
fn relationship_end(m: &mut Machine<'_>, i: usize, f: super::Frame, strict: bool, type_bit: u8) {
    if !strict {
        return;
    }
    if !f.has(type_bit) {
        missing(m, i, Check::RelatedType, "related_object_type");
        return;
    }
    if f.related == RELATED_PRESENT {
        // an empty `related_object` (`[]` from MISP when it does not embed the target:
        // galaxy clusters, elements the user cannot see) carries nothing to judge
        return;
    }
    let need = match f.rel {
        RelType::Event => Some((1u8, "related_object.Event")),
        RelType::Object => Some((2, "related_object.Object")),
        RelType::Attribute => Some((4, "related_object.Attribute")),
        RelType::GalaxyCluster => Some((8, "related_object.GalaxyCluster")),
        RelType::Note | RelType::Opinion | RelType::Relationship => {
            Some((16, "related_object.distribution"))
        }
        RelType::Other | RelType::Missing => None,
    };
    if let Some((bit, name)) = need {
        if f.related & bit == 0 {
            missing(m, i, Check::Related, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_level;

    #[test]
    fn levels_compare_numerically() {
        for (t, v) in [
            ("0", Ok(0)),
            ("-0", Ok(0)),
            ("0.0", Ok(0)),
            ("0e5", Ok(0)),
            ("1", Ok(1)),
            ("1.0", Ok(1)),
            ("10e-1", Ok(1)),
            ("0.5e1", Ok(5)),
            ("5", Ok(5)),
            ("00", Ok(0)),
            ("01", Ok(1)),
        ] {
            assert_eq!(parse_level(t), v, "{t}");
        }
        for t in ["6", "0.5", "-1", "", " 0", "0 ", "+0", "1e", "1.", ".5", "0x0", "1e999999", "99"]
        {
            assert_eq!(parse_level(t), Err(()), "{t}");
        }
        // one digit (the fast path) reads as the same digit with a leading zero, a
        // fraction or an exponent (the full walk); any other single byte is no level
        for d in 0..=255u8 {
            let one = [d];
            let Ok(t) = core::str::from_utf8(&one) else { continue };
            let walked = std::format!("0{t}.0e0");
            let want = if d.is_ascii_digit() { parse_level(&walked) } else { Err(()) };
            assert_eq!(parse_level(t), want, "{t:?}");
        }
        assert_eq!(parse_level("4"), Ok(4));
        assert_eq!(parse_level("7"), Err(()));
    }
}
