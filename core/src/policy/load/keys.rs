//! Keys the formats do not have: ignored (and reported), unless they look like a
//! misspelling of a key that is read.
//!
//! misp-guard's `config.schema.json` does not forbid extra keys (and its first release
//! read the file with plain dict lookups), so configurations annotated with keys such as
//! `"comment"` load there. They load here too, in every object with fixed fields (the
//! top level, `allowlist`, `compartments_rules`, an instance, its `taxonomies_rules`;
//! legacy `proxy`, `misp`, a block rule). Two safeguards:
//!
//! * a key that looks like one the format reads ([`suspicious`]: the same name in
//!   another case or spelling — `Blocked_Tags`, `blocked-tags`, `blocked_tag`,
//!   `blocked_distribution_level` —, a name within a small edit distance, a name the
//!   format reads elsewhere, or a name starting like a rule: `block…`, `allow…`,
//!   `require…`) is a [`ConfigErrorKind::UnknownField`] error: ignoring it would
//!   silently switch a rule off;
//! * every ignored key is kept in the [`Policy`] ([`Policy::ignored_keys`]: path,
//!   line, column), so that front ends report it (`misp-guard check`, nginx at load).
//!   At most [`MAX_IGNORED`] are kept; more are only counted
//!   ([`Policy::ignored_keys_not_shown`]): overflow never changes what loads.
//!
//! The loader runs [`check_keys`] right after the syntax check and the format
//! detection, before reading any value.

use core::fmt::Write as _;

use super::scan::{line_col, unescape, Scan};
use crate::limits::MAX_IGNORED;
use crate::policy::error::push_cut;
use crate::policy::{ConfigError, ConfigErrorKind, Format, Policy};

/// A key that was ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoredKey {
    /// JSON path of the key (`instances.a.comment`).
    pub path: heapless::String<160>,
    /// 1-based line of the key.
    pub line: u32,
    /// 1-based column of the key.
    pub column: u32,
}

impl core::fmt::Display for IgnoredKey {
    /// `LINE:COL: key ignored (no rule reads it) (at PATH)`, on one line (control
    /// characters of the key escaped); a front end prefixes the file name.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}: key ignored (no rule reads it) (at ", self.line, self.column)?;
        crate::escape::write_escaped(f, &self.path)?;
        f.write_str(")")
    }
}

/// The ignored keys of one document, in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ignored {
    pub(crate) keys: heapless::Vec<IgnoredKey, MAX_IGNORED>,
    /// Ignored keys beyond [`MAX_IGNORED`].
    pub(crate) more: u32,
}

impl Policy {
    /// Keys of the configuration that no rule reads and that were ignored (annotations
    /// such as `"comment"`), in document order: the first [`MAX_IGNORED`].
    pub fn ignored_keys(&self) -> &[IgnoredKey] {
        &self.ignored.keys
    }

    /// How many more keys were ignored than [`Policy::ignored_keys`] lists.
    pub fn ignored_keys_not_shown(&self) -> u32 {
        self.ignored.more
    }
}

/// Fields of each fixed-field object.
const TOP: &[&str] = &["allowlist", "compartments_rules", "instances", "endpoints"];
const ALLOWLIST: &[&str] = &["urls", "domains"];
const COMPARTMENTS: &[&str] = &["can_reach"];
pub(crate) const INSTANCE: &[&str] = &[
    "ip",
    "host",
    "port",
    "compartment_id",
    "affiliation",
    "taxonomies_rules",
    "blocked_distribution_levels",
    "blocked_sharing_groups_uuids",
    "blocked_attribute_types",
    "blocked_attribute_categories",
    "blocked_object_types",
];
const TAXONOMIES: &[&str] = &["required_taxonomies", "allowed_tags", "blocked_tags"];
const LEGACY_TOP: &[&str] = &["proxy", "misp", "block_rules"];
const HOST_PORT: &[&str] = &["host", "port"];
pub(crate) const RULE: &[&str] = &[
    "id",
    "description",
    "blocked_tags",
    "blocked_distribution_levels",
    "blocked_sharing_groups_uuids",
    "blocked_attribute_types",
    "blocked_attribute_categories",
    "blocked_object_types",
];

/// The fields of each fixed-field object of `format`: a misplaced one (read in
/// another object) is refused like a misspelling. Free-text fields (`affiliation`,
/// `description`) switch nothing off and are left out of that check.
fn format_fields(format: Format) -> &'static [&'static [&'static str]] {
    match format {
        Format::Current => &[TOP, ALLOWLIST, COMPARTMENTS, INSTANCE, TAXONOMIES],
        Format::Legacy => &[LEGACY_TOP, HOST_PORT, RULE],
    }
}

/// What `key`, not a field of an object with `own` fields, looks like: `Some(name)`
/// when it is (or resembles) a field the format reads, `Some("")` when it starts like
/// a rule, `None` when it is an annotation to ignore.
pub(crate) fn suspicious(key: &str, own: &[&'static str], format: Format) -> Option<&'static str> {
    let mut kb = [0u8; NORM];
    let (k, whole) = normalize(key, &mut kb);
    let all = format_fields(format).iter().flat_map(|f| f.iter());
    // A key longer than NORM bytes is far from every field name.
    for name in own.iter().chain(all).filter(|_| whole) {
        if matches!(*name, "affiliation" | "description") && !own.contains(name) {
            continue;
        }
        let mut nb = [0u8; NORM];
        let (n, _) = normalize(name, &mut nb);
        // Two-letter names (`ip`, `id`) are only matched in another spelling: one
        // edit away is every other two-letter word (`id` is no typo of `ip`).
        let budget = match n.len() {
            0..=2 => 0,
            3..=4 => 1,
            5..=10 => 2,
            _ => 3,
        };
        if k == n || osa_distance(k, n) <= budget {
            return Some(name);
        }
    }
    for prefix in [&b"block"[..], b"allow", b"require"] {
        if k.starts_with(prefix) {
            return Some("");
        }
    }
    None
}

/// Longest key compared (longer ones are far from every field name).
const NORM: usize = 64;

/// ASCII lower case, separators (`_`, `-`, `.`, space) dropped, a plural ending
/// (`ies` → `y`, `s`) dropped; `false` with the first [`NORM`] bytes when longer.
fn normalize<'b>(key: &str, buf: &'b mut [u8; NORM]) -> (&'b [u8], bool) {
    let mut n = 0;
    for b in key.bytes() {
        if matches!(b, b'_' | b'-' | b'.' | b' ') {
            continue;
        }
        let Some(slot) = buf.get_mut(n) else { return (&buf[..], false) };
        *slot = b.to_ascii_lowercase();
        n += 1;
    }
    let mut v = &mut buf[..n];
    if v.ends_with(b"ies") {
        let l = v.len();
        v[l - 3] = b'y';
        v = &mut v[..l - 2];
    } else if v.ends_with(b"s") && !v.ends_with(b"ss") {
        let l = v.len();
        v = &mut v[..l - 1];
    }
    (v, true)
}

/// Optimal string alignment distance (insertions, deletions, substitutions,
/// transpositions of neighbours) of two strings of at most [`NORM`] bytes.
fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    if a.len().abs_diff(b.len()) > 3 {
        return 4; // beyond every budget
    }
    let mut rows = [[0usize; NORM + 1]; 3];
    for (j, c) in rows[0].iter_mut().enumerate().take(b.len() + 1) {
        *c = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = d;
        }
    }
    rows[a.len() % 3][b.len()]
}

type Path = heapless::String<160>;

/// Walks the fixed-field objects of `json` (valid JSON, an object, of `format`) in
/// document order: refuses the first suspicious unknown key, collects the others.
pub(crate) fn check_keys(json: &[u8], format: Format) -> Result<Ignored, ConfigError> {
    let mut w = Walk { json, format, ignored: Ignored::default(), err: None };
    let mut s = Scan { b: json, i: 0 };
    s.ws();
    let top = match format {
        Format::Current => TOP,
        Format::Legacy => LEGACY_TOP,
    };
    let mut path = Path::new();
    w.object(&mut s, &mut path, top, &mut |w, s, path, key| match (format, key) {
        (Format::Current, "allowlist") => w.object(s, path, ALLOWLIST, &mut |_, _, _, _| {}),
        (Format::Current, "compartments_rules") => {
            w.object(s, path, COMPARTMENTS, &mut |_, _, _, _| {})
        }
        (Format::Current, "instances") => w.map(s, path, &mut |w, s, path| {
            w.object(s, path, INSTANCE, &mut |w, s, path, key| {
                if key == "taxonomies_rules" {
                    w.object(s, path, TAXONOMIES, &mut |_, _, _, _| {});
                }
            })
        }),
        (Format::Legacy, "proxy" | "misp") => w.object(s, path, HOST_PORT, &mut |_, _, _, _| {}),
        (Format::Legacy, "block_rules") => {
            w.array(s, path, &mut |w, s, path| w.object(s, path, RULE, &mut |_, _, _, _| {}))
        }
        _ => {}
    });
    match w.err {
        Some(e) => Err(e),
        None => Ok(w.ignored),
    }
}

struct Walk<'a> {
    json: &'a [u8],
    format: Format,
    ignored: Ignored,
    err: Option<ConfigError>,
}

type OnField<'f> = dyn FnMut(&mut Walk<'_>, &mut Scan<'_>, &mut Path, &str) + 'f;

impl Walk<'_> {
    /// Members of the object at `s` (anything else is skipped: the loaders refuse it
    /// later with its type): known fields go to `on` with the scanner at their value,
    /// unknown ones are ignored or refused. Leaves `s` after the value.
    fn object(
        &mut self,
        s: &mut Scan<'_>,
        path: &mut Path,
        own: &[&'static str],
        on: &mut OnField<'_>,
    ) {
        self.members(s, path, &mut |w, s, path, key, key_at| {
            if own.contains(&key) {
                on(w, s, path, key);
            } else {
                w.unknown(path, key, key_at, own);
            }
        });
    }

    /// Members of a free-form object (instances by name): each value goes to `on`.
    fn map(
        &mut self,
        s: &mut Scan<'_>,
        path: &mut Path,
        on: &mut dyn FnMut(&mut Walk<'_>, &mut Scan<'_>, &mut Path),
    ) {
        self.members(s, path, &mut |w, s, path, _, _| on(w, s, path));
    }

    /// Elements of the array at `s`.
    fn array(
        &mut self,
        s: &mut Scan<'_>,
        path: &mut Path,
        on: &mut dyn FnMut(&mut Walk<'_>, &mut Scan<'_>, &mut Path),
    ) {
        s.ws();
        if s.peek() != Some(b'[') {
            let _ = s.value();
            return;
        }
        s.i += 1;
        for n in 0.. {
            s.ws();
            if s.peek() != Some(b']') {
                let mark = path.len();
                let _ = write!(path, "[{n}]");
                let at = s.i;
                let mut sub = Scan { b: s.b, i: at };
                on(self, &mut sub, path);
                path.truncate(mark);
                s.i = at;
                if s.value().is_err() {
                    return;
                }
                s.ws();
            }
            if !next_member(s) {
                return;
            }
        }
    }

    /// Members of the object at `s`, with the key on the path.
    fn members(
        &mut self,
        s: &mut Scan<'_>,
        path: &mut Path,
        on: &mut dyn FnMut(&mut Walk<'_>, &mut Scan<'_>, &mut Path, &str, usize),
    ) {
        s.ws();
        if s.peek() != Some(b'{') {
            let _ = s.value();
            return;
        }
        s.i += 1;
        s.ws();
        if s.peek() == Some(b'}') {
            s.i += 1;
            return;
        }
        loop {
            if self.err.is_some() {
                return;
            }
            s.ws();
            let key_at = s.i;
            let Ok((ks, ke)) = s.key() else { return };
            s.ws();
            let value_at = s.i;
            let mut buf = [0u8; 256];
            // A key longer than 256 bytes (unescaped) is none of the format's: it is
            // judged and shown as written.
            let raw = core::str::from_utf8(&self.json[ks..ke]).unwrap_or("");
            let key = unescape(&self.json[ks..ke], &mut buf).unwrap_or(raw);
            let mark = path.len();
            if mark > 0 {
                let _ = path.push('.');
            }
            push_cut(path, key);
            let mut sub = Scan { b: s.b, i: value_at };
            on(self, &mut sub, path, key, key_at);
            path.truncate(mark);
            s.i = value_at;
            if s.value().is_err() {
                return;
            }
            s.ws();
            if !next_member(s) {
                return;
            }
        }
    }

    /// An unknown key at `path`: refused when suspicious, else recorded.
    fn unknown(&mut self, path: &Path, key: &str, key_at: usize, own: &[&'static str]) {
        let (line, column) = line_col(self.json, key_at);
        if let Some(like) = suspicious(key, own, self.format) {
            let mut msg = heapless::String::<200>::new();
            let _ = write!(msg, "unknown field `");
            push_key(&mut msg, key);
            let _ = match like {
                "" => write!(msg, "` looks like a rule"),
                n if own.contains(&n) => write!(msg, "`, did you mean `{n}`?"),
                n => write!(msg, "` looks like `{n}`, which is not read here"),
            };
            let _ = write!(msg, " (refused: ignoring it could switch a rule off)");
            let e = ConfigError::semantic(ConfigErrorKind::UnknownField, path, &msg);
            self.err = Some(e.at(line, column));
            return;
        }
        let k = IgnoredKey { path: path.clone(), line, column };
        if self.ignored.keys.push(k).is_err() {
            self.ignored.more = self.ignored.more.saturating_add(1);
        }
    }
}

/// The key as quoted in a message: at most 48 characters, `…` when cut.
fn push_key(msg: &mut heapless::String<200>, key: &str) {
    for (n, c) in key.chars().enumerate() {
        if n == 48 {
            let _ = msg.push('…');
            return;
        }
        let _ = msg.push(c);
    }
}

/// After a value of a list or an object (white space skipped): steps over a `,` and
/// says `true` (another item follows), or over the closing bracket and says `false`.
fn next_member(s: &mut Scan<'_>) -> bool {
    let more = s.peek() == Some(b',');
    s.i += 1;
    more
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspellings_are_suspicious_annotations_are_not() {
        let f = Format::Current;
        for (key, own, like) in [
            ("blocked_tag", TAXONOMIES, "blocked_tags"),
            ("Blocked_Tags", TAXONOMIES, "blocked_tags"),
            ("blocked-tags", TAXONOMIES, "blocked_tags"),
            ("blockedtags", TAXONOMIES, "blocked_tags"),
            ("blocked_tgas", TAXONOMIES, "blocked_tags"),
            ("required_taxonomy", TAXONOMIES, "required_taxonomies"),
            ("blocked_distribution_level", INSTANCE, "blocked_distribution_levels"),
            ("IP", INSTANCE, "ip"),
            ("ips", INSTANCE, "ip"),
            ("i-p", INSTANCE, "ip"),
            ("hosts", INSTANCE, "host"),
            ("blocked_tags", INSTANCE, "blocked_tags"), // misplaced
            ("allow_list", TOP, "allowlist"),
            ("blocked_objects", INSTANCE, ""),
            ("allowedtag", TAXONOMIES, "allowed_tags"),
        ] {
            assert_eq!(suspicious(key, own, f), Some(like), "{key}");
        }
        for key in ["comment", "_comment", "comments", "note", "notes", "owner", "x", "$id", "id"] {
            for own in [TOP, ALLOWLIST, COMPARTMENTS, INSTANCE, TAXONOMIES] {
                assert_eq!(suspicious(key, own, f), None, "{key} in {own:?}");
            }
        }
        assert_eq!(suspicious("prot", HOST_PORT, Format::Legacy), Some("port"));
        assert_eq!(suspicious("comment", RULE, Format::Legacy), None);
    }

    #[test]
    fn distance() {
        assert_eq!(osa_distance(b"abc", b"abc"), 0);
        assert_eq!(osa_distance(b"abc", b"acb"), 1);
        assert_eq!(osa_distance(b"abc", b""), 3);
        assert_eq!(osa_distance(b"kitten", b"sitting"), 3);
    }
}
