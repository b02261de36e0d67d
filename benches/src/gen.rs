//! Deterministic, seedable generator of realistic MISP bodies.
//!
//! The same [`Spec`] always yields the same bytes (a splitmix64 stream seeded from
//! [`Spec::seed`]; no external RNG), so benches, property tests and regression
//! fixtures can name a body by its spec instead of storing it.
//!
//! Shapes follow what MISP sends on sync (field names and order as in MISP's JSON
//! exports): an event with metadata, `Org`/`Orgc`, a `Tag` list, thousands of
//! `Attribute`s (~20 fields each, 0–3 tags, some with a `SharingGroup`), `Galaxy` with
//! clusters, `Object`s with nested attribute lists, `EventReport`s; the
//! `/events/index` result list, a `/shadow_attributes/index` list, a galaxy cluster
//! list, analyst-data lists and single analyst-data pushes. Long values carry `\"`,
//! `\n`, `\\` and `\u00e9` escapes. Output is compact JSON (as MISP's `json_encode`).
//!
//! Size: elements are added until the body reaches [`Spec::target_bytes`]; the body
//! ends up slightly larger (by less than one element, ~1–4 KiB), never smaller,
//! except that a tiny target still gets one complete element.
//!
//! Violations: a [`Plant`] puts exactly one rule violation (against
//! [`crate::bench_config`]'s rules) into an element chosen by position, so the same
//! generator serves "allowed" and "blocked" cases. Nothing else in a generated body
//! violates those rules.
//!
//! Memory: bodies are written through a 64 KiB staging buffer into any
//! [`std::io::Write`], so a 100 MiB body can go to a file in constant memory.

use std::io::{self, Write};

/// Organisation UUID used for `Org`/`Orgc` and as a member of every sharing group.
pub const HOST_ORG_UUID: &str = "10c8f445-888b-4a2d-bac8-4e1e8861d595";
/// A sharing group that the bench rules do **not** block.
pub const ALLOWED_SG_UUID: &str = "4a1e3b2c-8d7f-4e6a-9b0c-1d2e3f4a5b6c";
/// The sharing group the bench rules block.
pub const BLOCKED_SG_UUID: &str = "5f1c2a3b-6d7e-4f80-9a1b-2c3d4e5f6a7b";
/// The tag the bench rules block.
pub const BLOCKED_TAG: &str = "tlp:red";
/// An attribute type the bench rules block.
pub const BLOCKED_TYPE: &str = "passport-number";
/// An attribute category the bench rules block.
pub const BLOCKED_CATEGORY: &str = "Person";
/// An object type (`name`) the bench rules block.
pub const BLOCKED_OBJECT_TYPE: &str = "person";
/// The distribution level the bench rules block.
pub const BLOCKED_LEVEL: &str = "0";

/// splitmix64: tiny, fast, good enough for shaping test data (not for secrets).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A stream for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6a09_e667_f3bc_c909)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; `0` for `n == 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// `true` with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// Which body to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `{"Event": {…}}` (push `/events/add`, pull `/events/view`).
    Event,
    /// `/events/index` result: `[{event metadata, Org, Orgc, EventTag}, …]`.
    EventsIndex,
    /// `/shadow_attributes/index` result: `[{"ShadowAttribute": {…}}, …]`.
    ShadowAttributes,
    /// `/galaxies/pushCluster` body: `[{"GalaxyCluster": {…}}, …]`.
    GalaxyClusters,
    /// `/analyst_data/index/…` result: `[{"Note"|"Opinion"|"Relationship": {…}}, …]`.
    AnalystDataList,
}

/// One rule violation to plant. Values are free so callers can plant case or escape
/// variants (`"TLP:RED"`, `"tlp:r\u0065d"` is written escaped by the generator only if
/// the string itself contains non-ASCII; pass raw JSON via [`Spec::raw_plant`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// A tag in the event's `Tag` list.
    EventTag(String),
    /// The event's `distribution`.
    EventDistribution(String),
    /// The event's `SharingGroup.uuid`.
    EventSharingGroup(String),
    /// A tag on a top-level attribute (or shadow attribute in a shadow list).
    AttributeTag(String),
    /// A top-level attribute's `type`.
    AttributeType(String),
    /// A top-level attribute's `category`.
    AttributeCategory(String),
    /// A top-level attribute's `distribution`.
    AttributeDistribution(String),
    /// A top-level attribute's `SharingGroup.uuid`.
    AttributeSharingGroup(String),
    /// A `Note` on a top-level attribute with this `distribution`.
    AttributeNoteDistribution(String),
    /// An object's `name`.
    ObjectType(String),
    /// An object's `distribution`.
    ObjectDistribution(String),
    /// A tag on an attribute inside an object.
    ObjectAttributeTag(String),
    /// The `type` of an attribute inside an object.
    ObjectAttributeType(String),
    /// An event report's `distribution`.
    EventReportDistribution(String),
    /// A galaxy cluster's `distribution` (galaxy cluster lists only).
    GalaxyClusterDistribution(String),
    /// An analyst-data element's `distribution` (analyst-data lists and pushes).
    AnalystDistribution(String),
}

impl Violation {
    /// A violation of the bench rules with the canonical blocked value.
    pub fn attribute_tag() -> Self {
        Violation::AttributeTag(BLOCKED_TAG.into())
    }

    /// The core's reason code and misp-guard's message for this violation under
    /// [`crate::bench_config`]'s rules (the message without the `request blocked:`
    /// prefix), assuming the planted value is the literal offending value.
    pub fn expected(&self) -> (&'static str, String) {
        use Violation::*;
        match self {
            EventTag(t) => ("event_blocked_tag", format!("event has blocked tag: {t}")),
            EventDistribution(l) => {
                ("event_blocked_distribution", format!("event has blocked distribution level: {l}"))
            }
            EventSharingGroup(u) => (
                "event_blocked_sharing_group",
                format!("event has blocked sharing group uuid: {u}"),
            ),
            AttributeTag(t) | ObjectAttributeTag(t) => {
                ("attribute_blocked_tag", format!("attribute with a blocked tag: {t}"))
            }
            AttributeType(t) | ObjectAttributeType(t) => {
                ("attribute_blocked_type", format!("attribute with a blocked type: {t}"))
            }
            AttributeCategory(c) => {
                ("attribute_blocked_category", format!("attribute with a blocked category: {c}"))
            }
            AttributeDistribution(l) => (
                "attribute_blocked_distribution",
                format!("attribute with a blocked distribution level: {l}"),
            ),
            AttributeSharingGroup(u) => (
                "attribute_blocked_sharing_group",
                format!("attribute with a blocked sharing group uuid: {u}"),
            ),
            AttributeNoteDistribution(l) | AnalystDistribution(l) => (
                "analyst_data_blocked_distribution",
                format!("analyst data has blocked distribution level: {l}"),
            ),
            ObjectType(t) => ("object_blocked_type", format!("object with a blocked type: {t}")),
            ObjectDistribution(l) => (
                "object_blocked_distribution",
                format!("object with a blocked distribution level: {l}"),
            ),
            EventReportDistribution(l) => (
                "event_report_blocked_distribution",
                format!("event report has blocked distribution level: {l}"),
            ),
            GalaxyClusterDistribution(l) => (
                "galaxy_cluster_blocked_distribution",
                format!("galaxy cluster has blocked distribution level: {l}"),
            ),
        }
    }

    fn is_event_level(&self) -> bool {
        matches!(
            self,
            Violation::EventTag(_)
                | Violation::EventDistribution(_)
                | Violation::EventSharingGroup(_)
        )
    }
}

/// Where to plant a [`Violation`].
#[derive(Clone, Debug, PartialEq)]
pub struct Plant {
    /// What.
    pub what: Violation,
    /// Where, as a fraction of the element stream it belongs to: `0.0` = first
    /// element, `1.0` = an extra element after all the others (the worst case for an
    /// evaluator that must read everything). Ignored for event-level violations.
    pub at: f64,
}

/// What to generate. Build with [`Spec::new`] and the `with_*` methods.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Which body.
    pub body: Body,
    /// Seed of the value stream.
    pub seed: u64,
    /// Approximate size in bytes (see the module docs).
    pub target_bytes: usize,
    /// At most one violation.
    pub plant: Option<Plant>,
    /// A tag added to the event and to every attribute (for rule sets with
    /// `required_taxonomies`, e.g. `tlp:green`).
    pub required_tag: Option<String>,
    /// Sprinkle `Note`/`Opinion`/`Relationship` on some attributes and objects.
    pub analyst_data: bool,
    /// Write non-ASCII as `\uXXXX` (PHP `json_encode`'s default) rather than UTF-8.
    pub escape_unicode: bool,
    /// Write `/` as `\/` (PHP `json_encode`'s default without `UNESCAPED_SLASHES`).
    pub escape_slash: bool,
}

impl Spec {
    /// A clean body of about `target_bytes`.
    pub fn new(body: Body, target_bytes: usize, seed: u64) -> Self {
        Spec {
            body,
            seed,
            target_bytes,
            plant: None,
            required_tag: None,
            analyst_data: true,
            escape_unicode: true,
            escape_slash: false,
        }
    }

    /// An event of about `target_bytes`.
    pub fn event(target_bytes: usize, seed: u64) -> Self {
        Spec::new(Body::Event, target_bytes, seed)
    }

    /// With a violation at `at` (see [`Plant::at`]).
    pub fn with_plant(mut self, what: Violation, at: f64) -> Self {
        self.plant = Some(Plant { what, at });
        self
    }

    /// With a tag on the event and on every attribute.
    pub fn with_required_tag(mut self, tag: &str) -> Self {
        self.required_tag = Some(tag.into());
        self
    }

    /// With or without analyst data.
    pub fn with_analyst_data(mut self, on: bool) -> Self {
        self.analyst_data = on;
        self
    }

    /// With non-ASCII written as `\uXXXX` (true) or as UTF-8 (false).
    pub fn with_escape_unicode(mut self, on: bool) -> Self {
        self.escape_unicode = on;
        self
    }

    /// With `/` written as `\/`.
    pub fn with_escape_slash(mut self, on: bool) -> Self {
        self.escape_slash = on;
        self
    }

    /// The body as a vector.
    pub fn generate(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.target_bytes + self.target_bytes / 16 + 4096);
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut v);
        v
    }

    /// Writes the body to `w`; returns the number of bytes written.
    pub fn write_to<W: Write>(&self, w: W) -> io::Result<u64> {
        let mut g = Gen {
            out: Out { buf: Vec::with_capacity(STAGE + 16 * 1024), w, flushed: 0, before: 0 },
            rng: Rng::new(self.seed),
            spec: self,
            planted: false,
            next_id: 1,
            ts: 1_661_956_302,
        };
        match self.body {
            Body::Event => g.event()?,
            Body::EventsIndex => g.events_index()?,
            Body::ShadowAttributes => g.shadow_attributes()?,
            Body::GalaxyClusters => g.galaxy_clusters()?,
            Body::AnalystDataList => g.analyst_list()?,
        }
        g.out.finish()
    }
}

/// Which analyst-data element a push carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Analyst {
    /// `{"Note": {…}}`.
    Note,
    /// `{"Opinion": {…}}`.
    Opinion,
    /// `{"Relationship": {…}}` whose `related_object` is an event (metadata + tags).
    RelationshipToEvent,
    /// `{"Relationship": {…}}` whose `related_object` is an attribute.
    RelationshipToAttribute,
}

/// A `/analyst_data/pushAnalystData` body (~1–3 KiB). `plant`: a violation on the
/// element itself ([`Violation::AnalystDistribution`]) or on the related object
/// (`EventTag`, `EventDistribution`, `AttributeTag`, `AttributeType`, …).
pub fn analyst_data_push(kind: Analyst, seed: u64, plant: Option<Violation>) -> Vec<u8> {
    let spec = Spec {
        plant: plant.map(|what| Plant { what, at: 0.0 }),
        ..Spec::new(Body::AnalystDataList, 0, seed)
    };
    let mut v = Vec::new();
    let mut g = Gen {
        out: Out { buf: Vec::with_capacity(4096), w: &mut v, flushed: 0, before: 0 },
        rng: Rng::new(seed),
        spec: &spec,
        planted: false,
        next_id: 1,
        ts: 1_730_278_463,
    };
    g.analyst_push(kind);
    // Writing to a Vec cannot fail.
    let _ = g.out.finish();
    v
}

const STAGE: usize = 64 * 1024;

/// Staging buffer in front of the caller's writer.
struct Out<W: Write> {
    buf: Vec<u8>,
    w: W,
    flushed: u64,
    /// Last byte written before `buf` (0 at the start).
    before: u8,
}

impl<W: Write> Out<W> {
    fn pos(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    fn last(&self) -> u8 {
        self.buf.last().copied().unwrap_or(self.before)
    }

    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= STAGE {
            self.before = self.last();
            self.w.write_all(&self.buf)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<u64> {
        self.w.write_all(&self.buf)?;
        self.flushed += self.buf.len() as u64;
        self.w.flush()?;
        Ok(self.flushed)
    }
}

/// Generator state: one body.
struct Gen<'s, W: Write> {
    out: Out<W>,
    rng: Rng,
    spec: &'s Spec,
    planted: bool,
    next_id: u64,
    ts: u64,
}

const TAGS: &[&str] = &[
    "tlp:green",
    "tlp:amber",
    "tlp:clear",
    "PAP:GREEN",
    "type:OSINT",
    "osint:source-type=\"blog-post\"",
    "misp-galaxy:threat-actor=\"Sofacy\"",
    "misp-galaxy:mitre-attack-pattern=\"Spearphishing Attachment - T1566.001\"",
    "admiralty-scale:source-reliability=\"b\"",
    "estimative-language:likelihood-probability=\"likely\"",
    "workflow:state=\"complete\"",
    "circl:incident-classification=\"malware\"",
    "ecsirt:malicious-code=\"ransomware\"",
];

const COLOURS: &[&str] = &["#339900", "#FFC000", "#ffffff", "#0088cc", "#12e000", "#7a0070"];

const WORDS: &[&str] = &[
    "the",
    "actor",
    "used",
    "a",
    "spear-phishing",
    "campaign",
    "against",
    "ministries",
    "and",
    "dropped",
    "loader",
    "which",
    "contacts",
    "its",
    "C2",
    "over",
    "HTTPS",
    "café",
    "naïve",
    "résumé",
    "payload",
    "persistence",
    "via",
    "scheduled",
    "task",
    "observed",
    "in",
    "2024",
    "Zürich",
    "exfiltration",
    "credential",
    "dumping",
    "lateral",
    "movement",
    "ransomware",
];

/// (type, category, value kind)
const ATTR_TYPES: &[(&str, &str, Val)] = &[
    ("ip-src", "Network activity", Val::Ip),
    ("ip-dst", "Network activity", Val::Ip),
    ("ip-dst", "Network activity", Val::Ip),
    ("domain", "Network activity", Val::Domain),
    ("hostname", "Network activity", Val::Domain),
    ("url", "Network activity", Val::Url),
    ("url", "External analysis", Val::Url),
    ("md5", "Payload delivery", Val::Hex(32)),
    ("sha1", "Payload delivery", Val::Hex(40)),
    ("sha256", "Payload delivery", Val::Hex(64)),
    ("sha256", "Artifacts dropped", Val::Hex(64)),
    ("filename", "Payload delivery", Val::Filename),
    ("email-src", "Payload delivery", Val::Email),
    ("regkey", "Persistence mechanism", Val::Regkey),
    ("text", "Other", Val::Text(200, 1500)),
    ("comment", "Other", Val::Text(60, 400)),
    ("yara", "Payload installation", Val::Yara),
    ("vulnerability", "External analysis", Val::Cve),
    ("user-agent", "Network activity", Val::UserAgent),
];

#[derive(Clone, Copy)]
enum Val {
    Ip,
    Domain,
    Url,
    Hex(usize),
    Filename,
    Email,
    Regkey,
    Text(usize, usize),
    Yara,
    Cve,
    UserAgent,
}

/// Object templates: (name, meta-category, [(object_relation, type, category, value)]).
type Tpl = (&'static str, &'static str, &'static [(&'static str, &'static str, &'static str, Val)]);
const OBJECTS: &[Tpl] = &[
    (
        "domain-ip",
        "network",
        &[
            ("domain", "domain", "Network activity", Val::Domain),
            ("ip", "ip-dst", "Network activity", Val::Ip),
            ("text", "text", "Other", Val::Text(30, 200)),
        ],
    ),
    (
        "file",
        "file",
        &[
            ("filename", "filename", "Payload delivery", Val::Filename),
            ("md5", "md5", "Payload delivery", Val::Hex(32)),
            ("sha1", "sha1", "Payload delivery", Val::Hex(40)),
            ("sha256", "sha256", "Payload delivery", Val::Hex(64)),
            ("size-in-bytes", "size-in-bytes", "Other", Val::Cve),
        ],
    ),
    (
        "url",
        "network",
        &[
            ("url", "url", "Network activity", Val::Url),
            ("domain", "domain", "Network activity", Val::Domain),
            ("user-agent", "user-agent", "Network activity", Val::UserAgent),
        ],
    ),
    (
        "email",
        "network",
        &[
            ("from", "email-src", "Payload delivery", Val::Email),
            ("subject", "email-subject", "Payload delivery", Val::Text(20, 90)),
            ("attachment", "email-attachment", "Payload delivery", Val::Filename),
        ],
    ),
    (
        "registry-key",
        "file",
        &[
            ("key", "regkey", "Persistence mechanism", Val::Regkey),
            ("data", "text", "Persistence mechanism", Val::Text(10, 80)),
        ],
    ),
];

/// What the current element must carry (at most one thing).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Top-level attribute / shadow attribute.
    Attr,
    /// Object.
    Object,
    /// Report.
    Report,
    /// Galaxy cluster (lists).
    Cluster,
    /// Analyst data element.
    Analyst,
}

impl<W: Write> Gen<'_, W> {
    // ----- tiny JSON writers (compact, keys never need escaping) --------------------

    fn raw(&mut self, s: &str) {
        self.out.buf.extend_from_slice(s.as_bytes());
    }

    fn key(&mut self, k: &str) {
        self.comma();
        let b = &mut self.out.buf;
        b.push(b'"');
        b.extend_from_slice(k.as_bytes());
        b.extend_from_slice(b"\":");
    }

    /// A `,` unless at the start of a container or after a key.
    fn comma(&mut self) {
        if !matches!(self.out.last(), b'{' | b'[' | b':' | 0) {
            self.out.buf.push(b',');
        }
    }

    fn string(&mut self, s: &str) {
        let (eu, es) = (self.spec.escape_unicode, self.spec.escape_slash);
        write_json_str(&mut self.out.buf, s, eu, es);
    }

    fn kstr(&mut self, k: &str, v: &str) {
        self.key(k);
        self.string(v);
    }

    fn kraw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.raw(v);
    }

    fn knum_str(&mut self, k: &str, n: u64) {
        self.key(k);
        let b = &mut self.out.buf;
        b.push(b'"');
        push_u64(b, n);
        b.push(b'"');
    }

    fn kbool(&mut self, k: &str, v: bool) {
        self.kraw(k, if v { "true" } else { "false" });
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn uuid(&mut self) -> String {
        let a = self.rng.next_u64();
        let b = self.rng.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    fn ts(&mut self) -> u64 {
        self.ts += self.rng.below(600);
        self.ts
    }

    fn words(&mut self, lo: usize, hi: usize) -> String {
        let n = self.rng.range(lo as u64, hi as u64) as usize;
        let mut s = String::with_capacity(n + 16);
        while s.len() < n {
            match self.rng.below(40) {
                0 => s.push_str("\n\n"),
                1 => s.push_str(" \"quoted\" "),
                2 => s.push_str(" C:\\Users\\Public\\"),
                3 => s.push('\t'),
                _ => {}
            }
            if !s.is_empty() && !s.ends_with(['\n', ' ']) {
                s.push(' ');
            }
            let w = *self.rng.pick(WORDS);
            s.push_str(w);
        }
        s
    }

    fn value(&mut self, v: Val) -> String {
        let r = &mut self.rng;
        match v {
            Val::Ip => format!("{}.{}.{}.{}", r.range(1, 223), r.below(256), r.below(256), r.range(1, 254)),
            Val::Domain => {
                let tld = *r.pick(&["com", "net", "org", "ru", "cn", "info", "xyz"]);
                format!("{}{}.{}", r.pick(&["update", "cdn", "secure-", "mail", "login"]), r.below(100_000), tld)
            }
            Val::Url => format!(
                "https://{}{}.example/{}/index.php?id={}&q=%22{}%22",
                r.pick(&["files", "dl", "static"]),
                r.below(10_000),
                r.pick(&["wp-content/uploads", "gate", "api/v2/upload"]),
                r.below(1 << 32),
                r.below(1000)
            ),
            Val::Hex(n) => {
                let mut s = String::with_capacity(n);
                while s.len() < n {
                    s.push_str(&format!("{:016x}", r.next_u64()));
                }
                s.truncate(n);
                s
            }
            Val::Filename => format!(
                "{}_{}.{}",
                r.pick(&["invoice", "Rechnung", "report", "résumé", "setup"]),
                r.below(100_000),
                r.pick(&["exe", "docm", "pdf.lnk", "zip", "js"])
            ),
            Val::Email => format!("{}{}@{}.example", r.pick(&["john.doe", "hr", "finance"]), r.below(1000), r.pick(&["mail", "corp", "gov"])),
            Val::Regkey => format!(
                "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\{}{}",
                r.pick(&["Updater", "svchost", "OneDrive"]),
                r.below(1000)
            ),
            Val::Text(lo, hi) => self.words(lo, hi),
            Val::Yara => format!(
                "rule apt_loader_{} {{\n  meta:\n    author = \"CIRCL\"\n  strings:\n    $a = \"{}\" ascii wide\n    $b = {{ 4D 5A 90 00 }}\n  condition:\n    uint16(0) == 0x5A4D and all of them\n}}",
                r.below(10_000),
                r.below(1 << 40)
            ),
            Val::Cve => format!("CVE-20{}-{}", r.range(10, 25), r.range(1000, 49_999)),
            Val::UserAgent => format!(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{}.0.{}.0 Safari/537.36",
                r.range(90, 130),
                r.below(6000)
            ),
        }
    }

    /// Should the element about to be written in a stream `[start, start+budget)`
    /// carry the plant?
    fn plant_here(&mut self, slot: Slot, start: u64, budget: u64) -> Option<Violation> {
        if self.planted {
            return None;
        }
        let p = self.spec.plant.as_ref()?;
        if p.what.is_event_level() || slot_of(&p.what) != Some(slot) {
            return None;
        }
        let at = p.at.clamp(0.0, 1.0);
        if at >= 1.0 {
            return None; // appended after the stream by `plant_tail`
        }
        if self.out.pos() >= start + (at * budget as f64) as u64 {
            self.planted = true;
            return Some(p.what.clone());
        }
        None
    }

    /// The plant still owed at the end of a stream of `slot` elements (`at == 1.0`, or
    /// the stream ended early).
    fn plant_tail(&mut self, slot: Slot) -> Option<Violation> {
        if self.planted {
            return None;
        }
        let p = self.spec.plant.as_ref()?;
        if slot_of(&p.what) == Some(slot) {
            self.planted = true;
            return Some(p.what.clone());
        }
        None
    }

    fn event_plant(&self) -> Option<&Violation> {
        self.spec.plant.as_ref().map(|p| &p.what).filter(|v| v.is_event_level())
    }

    // ----- shared pieces ------------------------------------------------------------

    fn org(&mut self, k: &str) {
        self.key(k);
        self.raw("{");
        self.kstr("id", "1");
        self.kstr("name", "CIRCL");
        self.kstr("uuid", HOST_ORG_UUID);
        self.kbool("local", true);
        self.raw("}");
    }

    fn tag(&mut self, name: &str) {
        self.comma();
        self.raw("{");
        let id = self.rng.range(1, 2000);
        self.knum_str("id", id);
        self.kstr("name", name);
        let c = *self.rng.pick(COLOURS);
        self.kstr("colour", c);
        self.kbool("exportable", true);
        self.kstr("user_id", "0");
        self.kbool("hide_tag", false);
        self.kraw("numerical_value", "null");
        self.kbool("is_galaxy", name.starts_with("misp-galaxy:"));
        self.kbool("is_custom_galaxy", false);
        self.kbool("local_only", false);
        self.kraw("local", "0");
        self.kraw("relationship_type", "null");
        self.raw("}");
    }

    /// A `Tag` list with `n` random tags, the required tag, and an optional extra.
    fn tags(&mut self, n: u64, extra: Option<&str>) {
        self.key("Tag");
        self.raw("[");
        for _ in 0..n {
            let t = *self.rng.pick(TAGS);
            self.tag(t);
        }
        if let Some(t) = self.spec.required_tag.clone() {
            self.tag(&t);
        }
        if let Some(t) = extra {
            self.tag(t);
        }
        self.raw("]");
    }

    fn sharing_group(&mut self, uuid: &str) {
        self.key("SharingGroup");
        self.raw("{");
        let id = self.rng.range(1, 50);
        self.knum_str("id", id);
        self.kstr("name", "CSIRT network – trusted members");
        self.kstr("releasability", "Members only");
        self.kstr("description", "Sharing group for \"trusted\" partners");
        self.kstr("uuid", uuid);
        self.kstr("organisation_uuid", HOST_ORG_UUID);
        self.kstr("org_id", "1");
        self.kstr("sync_user_id", "0");
        self.kbool("active", true);
        self.kstr("created", "2022-08-31 14:41:35");
        self.kstr("modified", "2022-08-31 15:06:51");
        self.kbool("local", true);
        self.kbool("roaming", false);
        self.key("Organisation");
        self.raw("{");
        self.kstr("id", "1");
        self.kstr("name", "CIRCL");
        self.kstr("uuid", HOST_ORG_UUID);
        self.raw("}");
        self.key("SharingGroupOrg");
        self.raw("[");
        for (i, org) in [HOST_ORG_UUID, "55f6ea5e-2c60-40e5-964f-47a8950d210f"].iter().enumerate() {
            self.comma();
            self.raw("{");
            self.knum_str("id", i as u64 + 1);
            self.knum_str("sharing_group_id", id);
            self.knum_str("org_id", i as u64 + 1);
            self.kbool("extend", i == 0);
            self.key("Organisation");
            self.raw("{");
            self.knum_str("id", i as u64 + 1);
            self.kstr("uuid", org);
            self.kstr("name", if i == 0 { "CIRCL" } else { "CERT-EU" });
            self.raw("}");
            self.raw("}");
        }
        self.raw("]");
        self.key("SharingGroupServer");
        self.raw("[{");
        self.kstr("id", "1");
        self.knum_str("sharing_group_id", id);
        self.kstr("server_id", "0");
        self.kbool("all_orgs", false);
        self.key("Server");
        self.raw("{");
        self.kstr("id", "0");
        self.kstr("url", "https://misp.local");
        self.kstr("name", "Local instance");
        self.raw("}");
        self.raw("}]");
        self.raw("}");
    }

    /// A distribution level that the bench rules allow.
    fn level(&mut self, inherit_ok: bool) -> &'static str {
        if inherit_ok && self.rng.chance(3, 4) {
            return "5";
        }
        *self.rng.pick(&["1", "2", "3", "4"])
    }

    fn analyst_elem(&mut self, kind: &str, object_type: &str, object_uuid: &str, level: &str) {
        self.comma();
        self.raw("{");
        let id = self.id();
        self.knum_str("id", id);
        let u = self.uuid();
        self.kstr("uuid", &u);
        self.kstr("object_uuid", object_uuid);
        self.kstr("object_type", object_type);
        self.kstr("authors", "analyst@circl.lu");
        self.kstr("org_uuid", HOST_ORG_UUID);
        self.kstr("orgc_uuid", HOST_ORG_UUID);
        self.kstr("created", "2024-10-30 11:09:13");
        self.kstr("modified", "2024-10-30 11:09:13");
        self.kstr("distribution", level);
        self.kraw("sharing_group_id", "null");
        self.kbool("locked", false);
        match kind {
            "Note" => {
                let t = self.words(40, 300);
                self.kstr("note", &t);
                self.kstr("language", "en");
                self.kraw("note_type", "0");
                self.kstr("note_type_name", "Note");
            }
            _ => {
                let o = self.rng.range(0, 100);
                self.knum_str("opinion", o);
                let t = self.words(20, 120);
                self.kstr("comment", &t);
                self.kraw("note_type", "1");
                self.kstr("note_type_name", "Opinion");
            }
        }
        self.raw("}");
    }

    // ----- attributes -----------------------------------------------------------------

    /// One attribute object. `object`: inside an object (relation, type, category, value).
    fn attribute(
        &mut self,
        object: Option<(u64, &str, &str, &str, Val)>,
        plant: Option<&Violation>,
        shadow: bool,
    ) {
        let (rel, mut ty, mut cat, val) = match object {
            Some((_, rel, ty, cat, val)) => (Some(rel), ty.to_string(), cat.to_string(), val),
            None => {
                // A ~1 KiB event has room for one short attribute only.
                let pool =
                    if self.spec.target_bytes < 4096 { &ATTR_TYPES[..3] } else { ATTR_TYPES };
                let (t, c, v) = *self.rng.pick(pool);
                (None, t.to_string(), c.to_string(), v)
            }
        };
        let mut level = self.level(true).to_string();
        let mut sg = (level == "4").then(|| ALLOWED_SG_UUID.to_string());
        let mut extra_tag = None;
        let mut note_level = None;
        match plant {
            Some(Violation::AttributeType(t)) | Some(Violation::ObjectAttributeType(t)) => {
                ty = t.clone();
                if t == BLOCKED_TYPE {
                    cat = "Other".into(); // MISP files passport numbers under Person; keep one violation
                }
            }
            Some(Violation::AttributeCategory(c)) => cat = c.clone(),
            Some(Violation::AttributeDistribution(l)) => {
                level = l.clone();
                sg = None;
            }
            Some(Violation::AttributeSharingGroup(u)) => {
                level = "4".into();
                sg = Some(u.clone());
            }
            Some(Violation::AttributeTag(t)) | Some(Violation::ObjectAttributeTag(t)) => {
                extra_tag = Some(t.clone())
            }
            Some(Violation::AttributeNoteDistribution(l)) => note_level = Some(l.clone()),
            _ => {}
        }
        let value = if ty == BLOCKED_TYPE {
            format!("P{}", self.rng.range(1_000_000, 9_999_999))
        } else {
            self.value(val)
        };
        self.comma();
        self.raw("{");
        let id = self.id();
        self.knum_str("id", id);
        if shadow {
            self.knum_str("old_id", id - 1);
            self.kstr("event_id", "1");
        }
        self.kstr("type", &ty);
        self.kstr("category", &cat);
        let to_ids = self.rng.chance(1, 3);
        self.kbool("to_ids", to_ids);
        let uuid = self.uuid();
        self.kstr("uuid", &uuid);
        let planted_level = matches!(plant, Some(Violation::AttributeDistribution(_)));
        if !shadow || planted_level {
            if !shadow {
                self.kstr("event_id", "1");
            }
            self.kstr("distribution", &level);
        }
        let ts = self.ts();
        self.knum_str("timestamp", ts);
        let comment = if self.rng.chance(1, 5) && self.spec.target_bytes >= 4096 {
            self.words(10, 160)
        } else {
            String::new()
        };
        self.kstr("comment", &comment);
        if shadow {
            self.kstr("org_id", "1");
        } else {
            self.kstr("sharing_group_id", if sg.is_some() { "1" } else { "0" });
            self.kbool("deleted", false);
            self.kbool("disable_correlation", false);
            match object {
                Some((oid, ..)) => self.knum_str("object_id", oid),
                None => self.kstr("object_id", "0"),
            }
            match rel {
                Some(r) => self.kstr("object_relation", r),
                None => self.kraw("object_relation", "null"),
            }
        }
        if self.rng.chance(1, 10) && self.spec.target_bytes >= 4096 {
            self.kstr("first_seen", "2024-03-01T10:00:00.000000+00:00");
        } else {
            self.kraw("first_seen", "null");
        }
        self.kraw("last_seen", "null");
        self.kstr("value", &value);
        if shadow {
            self.kstr("org_uuid", HOST_ORG_UUID);
            self.kstr("old_uuid", &uuid);
            self.kstr("event_uuid", "385283a1-b5e0-4e10-a532-dce11c365a56");
            self.key("Org");
            self.raw("{");
            self.kstr("name", "CIRCL");
            self.kstr("uuid", HOST_ORG_UUID);
            self.kstr("id", "1");
            self.raw("}");
            if let Some(Violation::AttributeSharingGroup(u)) = plant {
                self.sharing_group(u);
            }
        } else {
            if let Some(u) = sg.clone() {
                self.sharing_group(&u);
            }
            self.kraw("Galaxy", "[]");
            self.kraw("ShadowAttribute", "[]");
        }
        let n = [0, 0, 1, 1, 1, 2, 3][self.rng.below(7) as usize];
        let n = if self.spec.target_bytes < 4096 { n.min(1) } else { n };
        self.tags(n, extra_tag.as_deref());
        let analyst = self.spec.analyst_data && self.spec.target_bytes >= 4096;
        if !shadow && (note_level.is_some() || (analyst && self.rng.chance(1, 40))) {
            self.key("Note");
            self.raw("[");
            let l = note_level.unwrap_or_else(|| "5".into());
            self.analyst_elem("Note", "Attribute", &uuid, &l);
            self.raw("]");
        }
        if !shadow && analyst && self.rng.chance(1, 80) {
            self.key("Opinion");
            self.raw("[");
            self.analyst_elem("Opinion", "Attribute", &uuid, "5");
            self.raw("]");
        }
        self.raw("}");
    }

    // ----- event ----------------------------------------------------------------------

    fn event_meta(&mut self, info: &str, level: &str) {
        let id = self.rng.range(1, 100_000);
        self.knum_str("id", id);
        self.kstr("orgc_id", "1");
        self.kstr("org_id", "1");
        self.kstr("date", "2024-10-30");
        let tl = self.rng.range(1, 4);
        self.knum_str("threat_level_id", tl);
        self.kstr("info", info);
        let published = self.rng.chance(1, 2);
        self.kbool("published", published);
        let u = self.uuid();
        self.kstr("uuid", &u);
        let n = self.rng.range(1, 9000);
        self.knum_str("attribute_count", n);
        self.kstr("analysis", "2");
        let ts = self.ts();
        self.knum_str("timestamp", ts);
        self.kstr("distribution", level);
        self.kbool("proposal_email_lock", false);
        self.kbool("locked", false);
        self.knum_str("publish_timestamp", ts + 60);
        self.kstr("sharing_group_id", if level == "4" { "1" } else { "0" });
        self.kbool("disable_correlation", false);
        self.kstr("extends_uuid", "");
        self.kraw("protected", "null");
        self.kstr("event_creator_email", "analyst@circl.lu");
    }

    fn event(&mut self) -> io::Result<()> {
        let target = self.spec.target_bytes as u64;
        let ep = self.event_plant().cloned();
        let mut level = self.level(false).to_string();
        let mut sg = (level == "4").then(|| ALLOWED_SG_UUID.to_string());
        let mut extra_tag = None;
        match &ep {
            Some(Violation::EventDistribution(l)) => {
                level = l.clone();
                sg = None;
            }
            Some(Violation::EventSharingGroup(u)) => {
                level = "4".into();
                sg = Some(u.clone());
            }
            Some(Violation::EventTag(t)) => extra_tag = Some(t.clone()),
            _ => {}
        }
        if ep.is_some() {
            self.planted = true;
        }
        self.raw("{\"Event\":{");
        self.event_meta("OSINT - \"Operation Café\": loader campaign\nagainst ministries", &level);
        self.org("Org");
        self.org("Orgc");
        let n = if target < 4096 { 1 } else { self.rng.range(1, 3) };
        self.tags(n, extra_tag.as_deref());
        if let Some(u) = sg {
            self.sharing_group(&u);
        }
        // Byte budget: 55 % attributes, 3 % galaxies, 34 % objects, rest reports.
        let head = self.out.pos();
        let rest = target.saturating_sub(head);
        let attr_budget = rest * 55 / 100;
        let gal_budget = rest * 3 / 100;
        let obj_budget = rest * 34 / 100;

        self.key("Attribute");
        self.raw("[");
        let start = self.out.pos();
        loop {
            let plant = self.plant_here(Slot::Attr, start, attr_budget);
            self.attribute(None, plant.as_ref(), false);
            self.out.maybe_flush()?;
            if self.out.pos() >= start + attr_budget {
                break;
            }
        }
        if let Some(p) = self.plant_tail(Slot::Attr) {
            self.attribute(None, Some(&p), false);
        }
        self.raw("]");
        self.kraw("ShadowAttribute", "[]");
        self.key("RelatedEvent");
        self.raw("[");
        let related = if target < 4096 { 0 } else { self.rng.below(3) };
        for _ in 0..related {
            self.comma();
            self.raw("{\"Event\":{");
            let l = self.level(false);
            self.event_meta("Related: phishing wave", l);
            self.org("Org");
            self.org("Orgc");
            self.raw("}}");
        }
        self.raw("]");
        self.key("Galaxy");
        self.raw("[");
        let start = self.out.pos();
        while self.out.pos() < (start + gal_budget).min(target) {
            self.galaxy();
            self.out.maybe_flush()?;
        }
        self.raw("]");

        self.key("Object");
        self.raw("[");
        let start = self.out.pos();
        while self.out.pos() < (start + obj_budget).min(target) {
            let plant = self.plant_here(Slot::Object, start, obj_budget);
            self.object(plant.as_ref());
            self.out.maybe_flush()?;
        }
        if let Some(p) = self.plant_tail(Slot::Object) {
            self.object(Some(&p));
        }
        self.raw("]");

        self.key("EventReport");
        self.raw("[");
        let start = self.out.pos();
        let rep_budget = target.saturating_sub(start);
        while self.out.pos() + 64 < target {
            let plant = self.plant_here(Slot::Report, start, rep_budget);
            self.report(plant.as_ref());
            self.out.maybe_flush()?;
        }
        if let Some(p) = self.plant_tail(Slot::Report) {
            self.report(Some(&p));
        }
        self.raw("]");
        self.kraw("CryptographicKey", "[]");
        self.raw("}}");
        Ok(())
    }

    fn object(&mut self, plant: Option<&Violation>) {
        let (name, meta, attrs) = *self.rng.pick(OBJECTS);
        let mut name = name.to_string();
        let mut level = self.level(true).to_string();
        let mut attr_plant = None;
        match plant {
            Some(Violation::ObjectType(t)) => name = t.clone(),
            Some(Violation::ObjectDistribution(l)) => level = l.clone(),
            Some(v @ Violation::ObjectAttributeTag(_))
            | Some(v @ Violation::ObjectAttributeType(_)) => attr_plant = Some(v.clone()),
            _ => {}
        }
        self.comma();
        self.raw("{");
        let id = self.id();
        self.knum_str("id", id);
        self.kstr("name", &name);
        self.kstr("meta-category", meta);
        self.kstr(
            "description",
            "Object describing a \"tuple\" of related indicators seen together in a specific time frame.",
        );
        let t = self.uuid();
        self.kstr("template_uuid", &t);
        let tv = self.rng.range(1, 30);
        self.knum_str("template_version", tv);
        self.kstr("event_id", "1");
        let u = self.uuid();
        self.kstr("uuid", &u);
        let ts = self.ts();
        self.knum_str("timestamp", ts);
        self.kstr("distribution", &level);
        self.kstr("sharing_group_id", "0");
        self.kstr("comment", "");
        self.kbool("deleted", false);
        self.kraw("first_seen", "null");
        self.kraw("last_seen", "null");
        self.kraw("ObjectReference", "[]");
        self.key("Attribute");
        self.raw("[");
        let n = attrs.len();
        let which = self.rng.below(n as u64) as usize;
        for (i, (rel, ty, cat, val)) in attrs.iter().enumerate() {
            let p = if i == which { attr_plant.as_ref() } else { None };
            self.attribute(Some((id, rel, ty, cat, *val)), p, false);
        }
        self.raw("]");
        if self.spec.analyst_data && self.rng.chance(1, 30) {
            self.key("Opinion");
            self.raw("[");
            self.analyst_elem("Opinion", "Object", &u, "5");
            self.raw("]");
        }
        self.raw("}");
    }

    fn report(&mut self, plant: Option<&Violation>) {
        let level = match plant {
            Some(Violation::EventReportDistribution(l)) => l.clone(),
            _ => self.level(true).to_string(),
        };
        self.comma();
        self.raw("{");
        let id = self.id();
        self.knum_str("id", id);
        let u = self.uuid();
        self.kstr("uuid", &u);
        self.kstr("event_id", "1");
        self.kstr("name", "Report from - https://blog.example/2024/10/loader-analysis/");
        let mut content = String::from("# Loader analysis\n\n> \"We observed the actor…\"\n\n");
        content.push_str(&self.words(1500, 6000));
        content.push_str("\n\n| indicator | note |\n|---|---|\n| @[attribute](");
        content.push_str(&u);
        content.push_str(") | C2 \\ fallback |\n");
        self.kstr("content", &content);
        self.kstr("distribution", &level);
        self.kstr("sharing_group_id", "0");
        let ts = self.ts();
        self.knum_str("timestamp", ts);
        self.kbool("deleted", false);
        self.raw("}");
    }

    fn galaxy(&mut self) {
        self.comma();
        self.raw("{");
        let id = self.rng.range(1, 200);
        self.knum_str("id", id);
        let u = self.uuid();
        self.kstr("uuid", &u);
        self.kstr("name", "Threat Actor");
        self.kstr("type", "threat-actor");
        self.kstr("description", "Threat actors are characteristics of malicious actors.");
        self.kstr("version", "3");
        self.kstr("icon", "user-secret");
        self.kstr("namespace", "misp");
        self.kbool("enabled", true);
        self.kbool("local_only", false);
        self.kraw("kill_chain_order", "null");
        self.key("GalaxyCluster");
        self.raw("[");
        self.cluster_body_in_list(None, false);
        self.raw("]");
        self.raw("}");
    }

    /// A galaxy cluster object (the `{…}` only). `in_event`: cluster attached to an event.
    fn cluster_body_in_list(&mut self, level: Option<&str>, standalone: bool) {
        self.comma();
        self.raw("{");
        let id = self.id();
        self.knum_str("id", id);
        let u = self.uuid();
        self.kstr("uuid", &u);
        self.kstr("collection_uuid", "7cdff317-a673-4474-84ec-4f1754947823");
        self.kstr("type", "threat-actor");
        let n = self.rng.below(1000);
        let value = format!("APT{n} \"Fancy\" Bär");
        self.kstr("value", &value);
        self.kstr("tag_name", &format!("misp-galaxy:threat-actor=\"APT{n}\""));
        let d = self.words(60, 400);
        self.kstr("description", &d);
        self.kstr("galaxy_id", "1");
        self.kstr("source", "MISP Project");
        self.key("authors");
        self.raw("[\"Alexandre Dulaunoy\",\"Florian Roth\",\"Thomas Schreck\"]");
        self.kstr("version", "1712");
        let level = level.map(str::to_string).unwrap_or_else(|| self.level(false).to_string());
        self.kstr("distribution", &level);
        self.kraw("sharing_group_id", "null");
        self.kstr("org_id", "1");
        self.kstr("orgc_id", "1");
        self.kbool("default", true);
        self.kbool("locked", false);
        self.kstr("extends_uuid", "");
        self.kstr("extends_version", "0");
        self.kbool("published", true);
        self.kbool("deleted", false);
        if standalone {
            self.key("Galaxy");
            self.raw("{");
            self.kstr("id", "1");
            self.kstr("uuid", "698774c7-8022-42c4-917f-8d6e4f06ada3");
            self.kstr("name", "Threat Actor");
            self.kstr("type", "threat-actor");
            self.kstr("namespace", "misp");
            self.kraw("kill_chain_order", "{}");
            self.raw("}");
        }
        self.key("GalaxyElement");
        self.raw("[");
        for (i, k) in ["synonyms", "synonyms", "country", "refs"].iter().enumerate() {
            self.comma();
            self.raw("{");
            self.knum_str("id", id * 10 + i as u64);
            self.knum_str("galaxy_cluster_id", id);
            self.kstr("key", k);
            let v = match *k {
                "country" => "RU".to_string(),
                "refs" => format!("https://attack.mitre.org/groups/G{:04}/", n),
                _ => format!("Group {}", self.rng.below(100)),
            };
            self.kstr("value", &v);
            self.raw("}");
        }
        self.raw("]");
        self.kraw("GalaxyClusterRelation", "[]");
        self.org("Org");
        self.org("Orgc");
        if !standalone {
            let t = self.rng.range(1, 2000);
            self.knum_str("tag_id", t);
            self.kbool("local", false);
            self.kraw("relationship_type", "false");
        }
        self.raw("}");
    }

    // ----- other bodies ------------------------------------------------------------------

    fn events_index(&mut self) -> io::Result<()> {
        let target = self.spec.target_bytes as u64;
        self.raw("[");
        loop {
            self.comma();
            self.raw("{");
            let l = self.level(false);
            let info = self.words(10, 80);
            self.event_meta(&info, l);
            self.knum_str("sighting_timestamp", 0);
            self.org("Org");
            self.org("Orgc");
            self.key("EventTag");
            self.raw("[");
            for _ in 0..self.rng.range(0, 3) {
                self.comma();
                self.raw("{");
                let id = self.id();
                self.knum_str("id", id);
                self.kstr("event_id", "1");
                self.knum_str("tag_id", id % 97);
                self.kbool("local", false);
                self.kraw("relationship_type", "null");
                self.key("Tag");
                self.raw("{");
                self.knum_str("id", id % 97);
                let t = *self.rng.pick(TAGS);
                self.kstr("name", t);
                self.kstr("colour", "#ffffff");
                self.kbool("is_galaxy", false);
                self.raw("}");
                self.raw("}");
            }
            self.raw("]");
            self.raw("}");
            self.out.maybe_flush()?;
            if self.out.pos() >= target {
                break;
            }
        }
        self.raw("]");
        Ok(())
    }

    fn shadow_attributes(&mut self) -> io::Result<()> {
        let target = self.spec.target_bytes as u64;
        self.raw("[");
        let start = self.out.pos();
        loop {
            let plant = self.plant_here(Slot::Attr, start, target);
            self.comma();
            self.raw("{\"ShadowAttribute\":");
            self.attribute(None, plant.as_ref(), true);
            self.raw("}");
            self.out.maybe_flush()?;
            if self.out.pos() >= target {
                break;
            }
        }
        if let Some(p) = self.plant_tail(Slot::Attr) {
            self.raw(",{\"ShadowAttribute\":");
            self.attribute(None, Some(&p), true);
            self.raw("}");
        }
        self.raw("]");
        Ok(())
    }

    fn galaxy_clusters(&mut self) -> io::Result<()> {
        let target = self.spec.target_bytes as u64;
        self.raw("[");
        let start = self.out.pos();
        let one = |g: &mut Self, p: Option<Violation>| {
            g.comma();
            g.raw("{\"GalaxyCluster\":");
            let l = match &p {
                Some(Violation::GalaxyClusterDistribution(l)) => Some(l.clone()),
                _ => None,
            };
            g.cluster_body_in_list(l.as_deref(), true);
            g.raw("}");
        };
        loop {
            let plant = self.plant_here(Slot::Cluster, start, target);
            one(self, plant);
            self.out.maybe_flush()?;
            if self.out.pos() >= target {
                break;
            }
        }
        if let Some(p) = self.plant_tail(Slot::Cluster) {
            one(self, Some(p));
        }
        self.raw("]");
        Ok(())
    }

    fn analyst_list(&mut self) -> io::Result<()> {
        let target = self.spec.target_bytes as u64;
        self.raw("[");
        let start = self.out.pos();
        let one = |g: &mut Self, p: Option<Violation>| {
            let l = match &p {
                Some(Violation::AnalystDistribution(l)) => l.clone(),
                _ => g.level(true).to_string(),
            };
            let kind = if g.rng.chance(1, 2) { "Note" } else { "Opinion" };
            let u = g.uuid();
            g.comma();
            g.raw("{");
            g.key(kind);
            g.analyst_elem(kind, "Attribute", &u, &l);
            g.raw("}");
        };
        loop {
            let plant = self.plant_here(Slot::Analyst, start, target);
            one(self, plant);
            self.out.maybe_flush()?;
            if self.out.pos() >= target {
                break;
            }
        }
        if let Some(p) = self.plant_tail(Slot::Analyst) {
            one(self, Some(p));
        }
        self.raw("]");
        Ok(())
    }

    fn analyst_push(&mut self, kind: Analyst) {
        let plant = self.spec.plant.as_ref().map(|p| p.what.clone());
        let own_level = match &plant {
            Some(Violation::AnalystDistribution(l)) => l.clone(),
            _ => self.level(true).to_string(),
        };
        let target_uuid = self.uuid();
        self.raw("{");
        match kind {
            Analyst::Note => {
                self.key("Note");
                self.analyst_elem("Note", "Event", &target_uuid, &own_level);
            }
            Analyst::Opinion => {
                self.key("Opinion");
                self.analyst_elem("Opinion", "Event", &target_uuid, &own_level);
            }
            Analyst::RelationshipToEvent | Analyst::RelationshipToAttribute => {
                let to_event = kind == Analyst::RelationshipToEvent;
                self.key("Relationship");
                self.raw("{");
                let id = self.id();
                self.knum_str("id", id);
                let u = self.uuid();
                self.kstr("uuid", &u);
                self.kstr("object_uuid", "a81a9424-a62d-4a3d-b402-917d48b124bd");
                self.kstr("object_type", "Attribute");
                self.kstr("authors", "analyst@circl.lu");
                self.kstr("org_uuid", HOST_ORG_UUID);
                self.kstr("orgc_uuid", HOST_ORG_UUID);
                self.kstr("created", "2024-10-30 11:09:13");
                self.kstr("modified", "2024-10-30 11:09:13");
                self.kstr("distribution", &own_level);
                self.kraw("sharing_group_id", "null");
                self.kbool("locked", false);
                self.kstr("relationship_type", "Acquaintance");
                self.kstr("related_object_uuid", &target_uuid);
                self.kstr("related_object_type", if to_event { "Event" } else { "Attribute" });
                self.kraw("note_type", "2");
                self.kstr("note_type_name", "Relationship");
                self.org("Org");
                self.org("Orgc");
                self.kbool("_canEdit", true);
                self.key("related_object");
                self.raw("{");
                if to_event {
                    let mut level = self.level(false).to_string();
                    let mut extra = None;
                    match &plant {
                        Some(Violation::EventDistribution(l)) => level = l.clone(),
                        Some(Violation::EventTag(t)) => extra = Some(t.clone()),
                        _ => {}
                    }
                    self.key("Event");
                    self.raw("{");
                    self.event_meta("Test Event with \"quotes\" and caf\u{e9}", &level);
                    let n = self.rng.range(1, 3);
                    self.tags(n, extra.as_deref());
                    self.raw("}");
                } else {
                    self.key("Attribute");
                    let p =
                        plant.as_ref().filter(|v| !matches!(v, Violation::AnalystDistribution(_)));
                    self.attribute(None, p, false);
                }
                self.raw("}");
                self.raw("}");
            }
        }
        self.raw("}");
    }
}

fn slot_of(v: &Violation) -> Option<Slot> {
    use Violation::*;
    Some(match v {
        AttributeTag(_)
        | AttributeType(_)
        | AttributeCategory(_)
        | AttributeDistribution(_)
        | AttributeSharingGroup(_)
        | AttributeNoteDistribution(_) => Slot::Attr,
        ObjectType(_) | ObjectDistribution(_) | ObjectAttributeTag(_) | ObjectAttributeType(_) => {
            Slot::Object
        }
        EventReportDistribution(_) => Slot::Report,
        GalaxyClusterDistribution(_) => Slot::Cluster,
        AnalystDistribution(_) => Slot::Analyst,
        EventTag(_) | EventDistribution(_) | EventSharingGroup(_) => return None,
    })
}

fn push_u64(b: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    b.extend_from_slice(&tmp[i..]);
}

/// Appends `s` as a JSON string literal. `escape_unicode`: non-ASCII as `\uXXXX`
/// (surrogate pairs above the BMP); `escape_slash`: `/` as `\/`.
pub fn write_json_str(b: &mut Vec<u8>, s: &str, escape_unicode: bool, escape_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    b.push(b'"');
    let mut run = 0;
    let bytes = s.as_bytes();
    for (i, c) in s.char_indices() {
        let esc: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '/' if escape_slash => Some(b"\\/"),
            c if (c as u32) < 0x20 || (escape_unicode && !c.is_ascii()) => None,
            _ => continue,
        };
        b.extend_from_slice(&bytes[run..i]);
        run = i + c.len_utf8();
        match esc {
            Some(e) => b.extend_from_slice(e),
            None => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    b.extend_from_slice(b"\\u");
                    for sh in [12, 8, 4, 0] {
                        b.push(HEX[(*u as usize >> sh) & 0xf]);
                    }
                }
            }
        }
    }
    b.extend_from_slice(&bytes[run..]);
    b.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_valid_json() {
        for body in [
            Body::Event,
            Body::EventsIndex,
            Body::ShadowAttributes,
            Body::GalaxyClusters,
            Body::AnalystDataList,
        ] {
            let a = Spec::new(body, 64 * 1024, 7).generate();
            let b = Spec::new(body, 64 * 1024, 7).generate();
            assert_eq!(a, b, "{body:?} not deterministic");
            assert!(a.len() >= 64 * 1024 && a.len() < 80 * 1024, "{body:?}: {}", a.len());
            let v: serde_json::Value = serde_json::from_slice(&a).unwrap();
            assert!(v.is_object() || v.is_array());
            let c = Spec::new(body, 64 * 1024, 8).generate();
            assert_ne!(a, c, "{body:?}: seed ignored");
        }
    }

    #[test]
    fn sizes_track_target() {
        for target in [1024usize, 1 << 20] {
            let v = Spec::event(target, 1).generate();
            assert!(v.len() >= target, "{} < {target}", v.len());
            assert!(v.len() < target + 16 * 1024 || v.len() < target * 2, "{}", v.len());
        }
        for seed in 0..20 {
            let n = Spec::event(1024, seed).generate().len();
            assert!(n < 3 * 1024, "seed {seed}: {n}");
        }
    }

    #[test]
    fn has_escapes_and_shape() {
        let body = Spec::event(256 * 1024, 3).generate();
        let s = std::str::from_utf8(&body).unwrap();
        for needle in ["\\\"", "\\n", "\\u00e9", "\\\\", "\"Attribute\":[", "\"Object\":[{"] {
            assert!(s.contains(needle), "missing {needle}");
        }
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let attrs = v["Event"]["Attribute"].as_array().unwrap();
        assert!(attrs.len() > 100);
        assert!(attrs.iter().all(|a| a.as_object().unwrap().len() >= 18));
        assert!(v["Event"]["EventReport"].as_array().unwrap().len() >= 1);
        assert!(v["Event"]["Galaxy"].as_array().unwrap().len() >= 1);
    }

    #[test]
    fn plant_lands_where_asked() {
        let v = Spec::event(200 * 1024, 5).with_plant(Violation::attribute_tag(), 1.0).generate();
        let v: serde_json::Value = serde_json::from_slice(&v).unwrap();
        let attrs = v["Event"]["Attribute"].as_array().unwrap();
        let with = |a: &serde_json::Value| {
            a["Tag"].as_array().unwrap().iter().any(|t| t["name"] == BLOCKED_TAG)
        };
        assert!(with(attrs.last().unwrap()));
        assert_eq!(attrs.iter().filter(|a| with(a)).count(), 1);

        let v = Spec::event(200 * 1024, 5).with_plant(Violation::attribute_tag(), 0.0).generate();
        let v: serde_json::Value = serde_json::from_slice(&v).unwrap();
        assert!(with(&v["Event"]["Attribute"][0]));
    }

    #[test]
    fn analyst_push_shapes() {
        for k in [
            Analyst::Note,
            Analyst::Opinion,
            Analyst::RelationshipToEvent,
            Analyst::RelationshipToAttribute,
        ] {
            let v: serde_json::Value =
                serde_json::from_slice(&analyst_data_push(k, 1, None)).unwrap();
            assert_eq!(v.as_object().unwrap().len(), 1);
        }
    }

    #[test]
    fn json_str_escaping_round_trips() {
        let s = "a\"b\\c\nd/é😀\u{1}";
        for (eu, es) in [(false, false), (true, true)] {
            let mut b = Vec::new();
            write_json_str(&mut b, s, eu, es);
            let back: String = serde_json::from_slice(&b).unwrap();
            assert_eq!(back, s);
        }
    }
}
