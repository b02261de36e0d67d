//! The strongest conventional alternative: typed `#[derive(Deserialize)]` structs that
//! hold only the fields the rules read (strings borrowed from the body when they
//! have no escapes), deserialized by serde_json or by sonic-rs, then the same rules
//! as [`misp_guard_testkit::reference`]. Plus [`Limit`], a memchr byte scan that reads every byte
//! once and decides nothing: the practical speed limit.
//!
//! No `#[serde(flatten)]` or `untagged` (both buffer through serde's `Content` and
//! would make the comparator slower than it needs to be).
//!
//! These are bench comparators, not oracles: they judge well-formed MISP bodies as
//! the reference does (the benches assert it), but they read `null` as absent and
//! refuse a missing required field as a parse error, where misp-guard would raise.
//! Supported bodies: [`Kind::Event`], [`Kind::ShadowAttributeIndex`],
//! [`Kind::AnalystData`], [`Kind::AnalystDataList`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use misp_guard_testkit::reference::{msg, satisfies_required, Kind, Outcome, Rules, Side};

/// A scalar read where misp-guard applies `str()` (levels, categories).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// `null`.
    Null,
    /// An array or object.
    Other,
}

impl Scalar<'_> {
    /// Python's `str()` of the value (arrays/objects never match a level).
    pub fn py_str(&self) -> Cow<'_, str> {
        match self {
            Scalar::Str(s) => Cow::Borrowed(s),
            Scalar::Int(i) => Cow::Owned(i.to_string()),
            Scalar::UInt(u) => Cow::Owned(u.to_string()),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e16 => Cow::Owned(format!("{f:.1}")),
            Scalar::Float(f) => Cow::Owned(f.to_string()),
            Scalar::Bool(true) => Cow::Borrowed("True"),
            Scalar::Bool(false) => Cow::Borrowed("False"),
            Scalar::Null => Cow::Borrowed("None"),
            Scalar::Other => Cow::Borrowed("<container>"),
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Scalar::Str(s) => !s.is_empty(),
            Scalar::Int(i) => *i != 0,
            Scalar::UInt(u) => *u != 0,
            Scalar::Float(f) => *f != 0.0,
            Scalar::Bool(b) => *b,
            Scalar::Null => false,
            Scalar::Other => true,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"Event": …}`.
#[derive(Debug, Deserialize)]
pub struct EventDoc<'a> {
    /// The event.
    #[serde(rename = "Event", borrow)]
    pub event: Option<Event<'a>>,
}

/// An event: only what the rules read.
#[derive(Debug, Deserialize)]
pub struct Event<'a> {
    /// Read (and required) by misp-guard's log line.
    pub info: Option<IgnoredAny>,
    /// Event tags.
    #[serde(rename = "Tag", borrow)]
    pub tag: Option<Vec<Tag<'a>>>,
    /// Distribution level.
    #[serde(borrow)]
    pub distribution: Option<Scalar<'a>>,
    /// Sharing group.
    #[serde(rename = "SharingGroup", borrow)]
    pub sharing_group: Option<SharingGroup<'a>>,
    /// Event reports.
    #[serde(rename = "EventReport", borrow)]
    pub event_report: Option<Vec<Leveled<'a>>>,
    /// Attributes.
    #[serde(rename = "Attribute", borrow)]
    pub attribute: Option<Vec<Attribute<'a>>>,
    /// Objects.
    #[serde(rename = "Object", borrow)]
    pub object: Option<Vec<Object<'a>>>,
    /// Notes.
    #[serde(rename = "Note", borrow)]
    pub note: Option<Vec<Leveled<'a>>>,
    /// Opinions.
    #[serde(rename = "Opinion", borrow)]
    pub opinion: Option<Vec<Leveled<'a>>>,
    /// Relationships.
    #[serde(rename = "Relationship", borrow)]
    pub relationship: Option<Vec<Relationship<'a>>>,
}

/// A tag.
#[derive(Debug, Deserialize)]
pub struct Tag<'a> {
    /// Its name.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
}

/// Anything with a `distribution` (reports, notes, opinions, clusters).
#[derive(Debug, Deserialize)]
pub struct Leveled<'a> {
    /// Distribution level.
    #[serde(borrow)]
    pub distribution: Scalar<'a>,
}

/// A sharing group.
#[derive(Debug, Deserialize)]
pub struct SharingGroup<'a> {
    /// Its UUID.
    #[serde(borrow)]
    pub uuid: Cow<'a, str>,
    /// Member organisations.
    #[serde(rename = "SharingGroupOrg", borrow)]
    pub orgs: Option<Vec<SgOrg<'a>>>,
    /// Member servers.
    #[serde(rename = "SharingGroupServer", borrow)]
    pub servers: Option<Vec<SgServer<'a>>>,
}

/// A sharing group organisation.
#[derive(Debug, Deserialize)]
pub struct SgOrg<'a> {
    /// The organisation.
    #[serde(rename = "Organisation", borrow)]
    pub organisation: Option<OrgRef<'a>>,
}

/// An organisation reference.
#[derive(Debug, Deserialize)]
pub struct OrgRef<'a> {
    /// Its UUID.
    #[serde(borrow)]
    pub uuid: Option<Cow<'a, str>>,
}

/// A sharing group server.
#[derive(Debug, Deserialize)]
pub struct SgServer<'a> {
    /// All organisations of the server are members.
    #[serde(borrow)]
    pub all_orgs: Option<Scalar<'a>>,
}

/// An attribute (or shadow attribute).
#[derive(Debug, Deserialize)]
pub struct Attribute<'a> {
    /// Category.
    #[serde(borrow)]
    pub category: Scalar<'a>,
    /// Type.
    #[serde(rename = "type", borrow)]
    pub ty: Cow<'a, str>,
    /// Distribution level.
    #[serde(borrow)]
    pub distribution: Option<Scalar<'a>>,
    /// Tags.
    #[serde(rename = "Tag", borrow)]
    pub tag: Option<Vec<Tag<'a>>>,
    /// Sharing group.
    #[serde(rename = "SharingGroup", borrow)]
    pub sharing_group: Option<SharingGroup<'a>>,
    /// Proposals.
    #[serde(rename = "ShadowAttribute", borrow)]
    pub shadow: Option<Vec<Attribute<'a>>>,
    /// Notes.
    #[serde(rename = "Note", borrow)]
    pub note: Option<Vec<Leveled<'a>>>,
    /// Opinions.
    #[serde(rename = "Opinion", borrow)]
    pub opinion: Option<Vec<Leveled<'a>>>,
    /// Relationships.
    #[serde(rename = "Relationship", borrow)]
    pub relationship: Option<Vec<Relationship<'a>>>,
}

/// An object.
#[derive(Debug, Deserialize)]
pub struct Object<'a> {
    /// Distribution level.
    #[serde(borrow)]
    pub distribution: Scalar<'a>,
    /// Sharing group.
    #[serde(rename = "SharingGroup", borrow)]
    pub sharing_group: Option<SharingGroup<'a>>,
    /// Object type.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// Its attributes.
    #[serde(rename = "Attribute", borrow)]
    pub attribute: Vec<Attribute<'a>>,
    /// Notes.
    #[serde(rename = "Note", borrow)]
    pub note: Option<Vec<Leveled<'a>>>,
    /// Opinions.
    #[serde(rename = "Opinion", borrow)]
    pub opinion: Option<Vec<Leveled<'a>>>,
    /// Relationships.
    #[serde(rename = "Relationship", borrow)]
    pub relationship: Option<Vec<Relationship<'a>>>,
}

/// An analyst relationship.
#[derive(Debug, Deserialize)]
pub struct Relationship<'a> {
    /// Distribution level.
    #[serde(borrow)]
    pub distribution: Scalar<'a>,
    /// What `related_object` is.
    #[serde(borrow)]
    pub related_object_type: Option<Cow<'a, str>>,
    /// The related object.
    #[serde(borrow)]
    pub related_object: Option<Box<Related<'a>>>,
}

/// A relationship's `related_object`: one of these, per `related_object_type`.
#[derive(Debug, Deserialize)]
pub struct Related<'a> {
    /// `Event`.
    #[serde(rename = "Event", borrow)]
    pub event: Option<Event<'a>>,
    /// `Object`.
    #[serde(rename = "Object", borrow)]
    pub object: Option<Object<'a>>,
    /// `Attribute`.
    #[serde(rename = "Attribute", borrow)]
    pub attribute: Option<Attribute<'a>>,
    /// `GalaxyCluster`.
    #[serde(rename = "GalaxyCluster", borrow)]
    pub galaxy_cluster: Option<Leveled<'a>>,
    /// Note/Opinion/Relationship: the related object is itself analyst data.
    #[serde(borrow)]
    pub distribution: Option<Scalar<'a>>,
    /// Relationship to a relationship.
    #[serde(borrow)]
    pub related_object_type: Option<Cow<'a, str>>,
    /// Relationship to a relationship.
    #[serde(borrow)]
    pub related_object: Option<Box<Related<'a>>>,
}

/// `{"ShadowAttribute": …}` element of a shadow attribute index.
#[derive(Debug, Deserialize)]
pub struct ShadowWrap<'a> {
    /// The proposal.
    #[serde(rename = "ShadowAttribute", borrow)]
    pub shadow: Attribute<'a>,
}

/// `{"Note"|"Opinion"|"Relationship": …}`.
#[derive(Debug, Deserialize)]
pub struct AnalystDoc<'a> {
    /// Note.
    #[serde(rename = "Note", borrow)]
    pub note: Option<Leveled<'a>>,
    /// Opinion.
    #[serde(rename = "Opinion", borrow)]
    pub opinion: Option<Leveled<'a>>,
    /// Relationship.
    #[serde(rename = "Relationship", borrow)]
    pub relationship: Option<Relationship<'a>>,
}

/// Which parser feeds the typed structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parser {
    /// serde_json.
    SerdeJson,
    /// sonic-rs (SIMD; build with `-C target-cpu=native` for its fast paths).
    SonicRs,
}

fn parse<'a, T: Deserialize<'a>>(p: Parser, body: &'a [u8]) -> Option<T> {
    match p {
        Parser::SerdeJson => serde_json::from_slice(body).ok(),
        Parser::SonicRs => sonic_rs::from_slice(body).ok(),
    }
}

/// Parses `body` with `parser` into typed structs and judges it; `None` for a body
/// kind this comparator does not support.
pub fn evaluate(
    rules: &Rules,
    parser: Parser,
    kind: Kind,
    side: Side,
    body: &[u8],
    user_org_uuid: Option<&str>,
) -> Option<Outcome> {
    let w = TWalk { r: rules, user_org: user_org_uuid };
    let res = match kind {
        Kind::Event => match parse::<EventDoc>(parser, body) {
            None => return Some(Outcome::Block(msg::INVALID_JSON.into())),
            Some(EventDoc { event: None }) => return Some(Outcome::Block(msg::NO_EVENT.into())),
            Some(EventDoc { event: Some(ev) }) => w.event(&ev),
        },
        Kind::ShadowAttributeIndex => match parse::<Vec<ShadowWrap>>(parser, body) {
            None => return Some(Outcome::Block(msg::INVALID_JSON.into())),
            Some(list) => list.iter().try_for_each(|s| w.attribute(&s.shadow)),
        },
        Kind::AnalystData => match parse::<AnalystDoc>(parser, body) {
            None => return Some(Outcome::Block(msg::INVALID_JSON.into())),
            Some(d) => w.analyst_doc(&d),
        },
        Kind::AnalystDataList => match parse::<Vec<AnalystDoc>>(parser, body) {
            None => return Some(Outcome::Block(msg::INVALID_JSON.into())),
            Some(list) => list.iter().try_for_each(|d| w.analyst_doc(d)),
        },
        _ => return None,
    };
    Some(match res {
        Ok(()) => Outcome::Allow,
        Err(TFail::Forbidden(m)) => Outcome::Block(m),
        Err(TFail::Unexpected) => Outcome::Block(
            match side {
                Side::Request => msg::UNEXPECTED_REQUEST,
                Side::Response => msg::UNEXPECTED_RESPONSE,
            }
            .into(),
        ),
    })
}

enum TFail {
    Forbidden(String),
    Unexpected,
}

type TR = Result<(), TFail>;

fn forbid(m: String) -> TR {
    Err(TFail::Forbidden(m))
}

struct TWalk<'r> {
    r: &'r Rules,
    user_org: Option<&'r str>,
}

impl TWalk<'_> {
    fn required(&self, tags: &[Tag<'_>]) -> TR {
        for (tax, allowed) in self.r.required() {
            if !tags.iter().any(|t| satisfies_required(&t.name, tax, allowed)) {
                return forbid(msg::missing_taxonomy(tax));
            }
        }
        Ok(())
    }

    fn event(&self, ev: &Event<'_>) -> TR {
        self.event_level(ev)?;
        let attrs = ev.attribute.as_ref().ok_or(TFail::Unexpected)?;
        for a in attrs {
            self.attribute(a)?;
        }
        for o in ev.object.as_ref().ok_or(TFail::Unexpected)? {
            self.object(o)?;
        }
        Ok(())
    }

    fn event_level(&self, ev: &Event<'_>) -> TR {
        ev.info.ok_or(TFail::Unexpected)?;
        if let Some(tags) = &ev.tag {
            for t in tags {
                if self.r.tag_blocked(&t.name) {
                    return forbid(msg::event_tag(&t.name));
                }
            }
        }
        if !self.r.required().is_empty() {
            match &ev.tag {
                None => return forbid(msg::EVENT_NO_TAGS.into()),
                Some(tags) => self.required(tags)?,
            }
        }
        let l = ev.distribution.as_ref().ok_or(TFail::Unexpected)?.py_str();
        if self.r.level_blocked(&l) {
            return forbid(msg::event_level(&l));
        }
        for rep in ev.event_report.iter().flatten() {
            let l = rep.distribution.py_str();
            if self.r.level_blocked(&l) {
                return forbid(msg::report_level(&l));
            }
        }
        if let Some(sg) = &ev.sharing_group {
            if self.r.any_blocked_sgs() && self.r.sg_blocked(&sg.uuid) {
                return forbid(msg::event_sg(&sg.uuid));
            }
            self.user_org_check(sg)?;
        }
        self.analyst_lists(&ev.note, &ev.opinion, &ev.relationship)
    }

    fn user_org_check(&self, sg: &SharingGroup<'_>) -> TR {
        let Some(uo) = self.user_org else { return Ok(()) };
        let orgs = sg.orgs.as_ref().ok_or(TFail::Unexpected)?;
        if orgs.iter().any(|o| o.organisation.as_ref().and_then(|x| x.uuid.as_deref()) == Some(uo))
        {
            return Ok(());
        }
        let servers = sg.servers.as_ref().ok_or(TFail::Unexpected)?;
        if servers.iter().any(|s| s.all_orgs.as_ref().is_some_and(Scalar::truthy)) {
            return Ok(());
        }
        forbid(msg::user_org(uo))
    }

    fn analyst_lists(
        &self,
        note: &Option<Vec<Leveled<'_>>>,
        opinion: &Option<Vec<Leveled<'_>>>,
        relationship: &Option<Vec<Relationship<'_>>>,
    ) -> TR {
        for n in note.iter().flatten().chain(opinion.iter().flatten()) {
            self.leveled(n)?;
        }
        for r in relationship.iter().flatten() {
            self.relationship(
                &r.distribution,
                r.related_object_type.as_deref(),
                r.related_object.as_deref(),
            )?;
        }
        Ok(())
    }

    fn leveled(&self, n: &Leveled<'_>) -> TR {
        let l = n.distribution.py_str();
        if self.r.level_blocked(&l) {
            return forbid(msg::analyst_level(&l));
        }
        Ok(())
    }

    fn relationship(&self, level: &Scalar<'_>, ty: Option<&str>, rel: Option<&Related<'_>>) -> TR {
        let l = level.py_str();
        if self.r.level_blocked(&l) {
            return forbid(msg::analyst_level(&l));
        }
        let ty = ty.ok_or(TFail::Unexpected)?;
        let need = |x: Option<&Related<'_>>| x.ok_or(TFail::Unexpected).map(|_| ());
        match ty {
            "Event" => {
                self.event_level(rel.and_then(|r| r.event.as_ref()).ok_or(TFail::Unexpected)?)
            }
            "Object" => self.object(rel.and_then(|r| r.object.as_ref()).ok_or(TFail::Unexpected)?),
            "Attribute" => {
                self.attribute(rel.and_then(|r| r.attribute.as_ref()).ok_or(TFail::Unexpected)?)
            }
            "GalaxyCluster" => {
                let l = rel.and_then(|r| r.galaxy_cluster.as_ref()).ok_or(TFail::Unexpected)?;
                let l = l.distribution.py_str();
                if self.r.level_blocked(&l) {
                    return forbid(msg::cluster_level(&l));
                }
                Ok(())
            }
            "Note" | "Opinion" => {
                need(rel)?;
                let d = rel.and_then(|r| r.distribution.as_ref()).ok_or(TFail::Unexpected)?;
                let l = d.py_str();
                if self.r.level_blocked(&l) {
                    return forbid(msg::analyst_level(&l));
                }
                Ok(())
            }
            "Relationship" => {
                let r = rel.ok_or(TFail::Unexpected)?;
                let d = r.distribution.as_ref().ok_or(TFail::Unexpected)?;
                self.relationship(d, r.related_object_type.as_deref(), r.related_object.as_deref())
            }
            _ => Ok(()),
        }
    }

    fn attribute(&self, a: &Attribute<'_>) -> TR {
        if let Scalar::Str(c) = &a.category {
            if self.r.category_blocked(c) {
                return forbid(msg::attribute_category(c));
            }
        }
        if self.r.type_blocked(&a.ty) {
            return forbid(msg::attribute_type(&a.ty));
        }
        if let Some(d) = &a.distribution {
            let l = d.py_str();
            if self.r.level_blocked(&l) {
                return forbid(msg::attribute_level(&l));
            }
        }
        if self.r.any_blocked_tags() {
            for t in a.tag.iter().flatten() {
                if self.r.tag_blocked(&t.name) {
                    return forbid(msg::attribute_tag(&t.name));
                }
            }
        }
        if !self.r.required().is_empty() {
            match &a.tag {
                None => return forbid(msg::ATTRIBUTE_NO_TAGS.into()),
                Some(tags) => self.required(tags)?,
            }
        }
        if let Some(sg) = &a.sharing_group {
            if self.r.sg_blocked(&sg.uuid) {
                return forbid(msg::attribute_sg(&sg.uuid));
            }
            self.user_org_check(sg)?;
        }
        for s in a.shadow.iter().flatten() {
            self.attribute(s)?;
        }
        self.analyst_lists(&a.note, &a.opinion, &a.relationship)
    }

    fn object(&self, o: &Object<'_>) -> TR {
        let l = o.distribution.py_str();
        if self.r.level_blocked(&l) {
            return forbid(msg::object_level(&l));
        }
        if let Some(sg) = &o.sharing_group {
            if self.r.sg_blocked(&sg.uuid) {
                return forbid(msg::object_sg(&sg.uuid));
            }
            self.user_org_check(sg)?;
        }
        if self.r.object_type_blocked(&o.name) {
            return forbid(msg::object_type(&o.name));
        }
        for a in &o.attribute {
            self.attribute(a)?;
        }
        self.analyst_lists(&o.note, &o.opinion, &o.relationship)
    }

    fn analyst_doc(&self, d: &AnalystDoc<'_>) -> TR {
        for n in d.note.iter().chain(d.opinion.iter()) {
            self.leveled(n)?;
        }
        if let Some(r) = &d.relationship {
            self.relationship(
                &r.distribution,
                r.related_object_type.as_deref(),
                r.related_object.as_deref(),
            )?;
        }
        Ok(())
    }
}

/// The practical speed limit: one memchr-class pass over every byte, counting
/// `"name"` keys (what any evaluator must at least do: look at each byte once).
pub struct Limit {
    finder: memchr::memmem::Finder<'static>,
}

impl Default for Limit {
    fn default() -> Self {
        Limit { finder: memchr::memmem::Finder::new(b"\"name\"") }
    }
}

impl Limit {
    /// Occurrences of `"name"` in `body`.
    pub fn count(&self, body: &[u8]) -> usize {
        self.finder.find_iter(body).count()
    }

    /// Occurrences of `"name"` in a body fed in chunks (an occurrence may straddle
    /// any number of chunk boundaries).
    pub fn count_chunked<'c>(&self, chunks: impl IntoIterator<Item = &'c [u8]>) -> usize {
        const K: usize = 5; // needle length - 1: no occurrence fits in K bytes
        let mut n = 0;
        let mut tail = [0u8; K]; // last ≤K bytes of the stream so far
        let mut tail_len = 0;
        for c in chunks {
            // Occurrences that end in `c` and start in `tail` (they never fit in `c`'s
            // first K bytes alone, nor in `tail` alone, so nothing is counted twice).
            let mut seam = [0u8; 2 * K];
            let head = c.len().min(K);
            seam[..tail_len].copy_from_slice(&tail[..tail_len]);
            seam[tail_len..tail_len + head].copy_from_slice(&c[..head]);
            n += self.finder.find_iter(&seam[..tail_len + head]).count();
            n += self.finder.find_iter(c).count();
            let total = tail_len + c.len();
            let keep = total.min(K);
            let mut next = [0u8; K];
            for (i, slot) in next[..keep].iter_mut().enumerate() {
                let idx = total - keep + i; // index in tail ++ c
                *slot = if idx < tail_len { tail[idx] } else { c[idx - tail_len] };
            }
            tail = next;
            tail_len = keep;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use misp_guard_testkit::bodies::{analyst_data_push, Analyst, Body, Spec, Violation};
    use misp_guard_testkit::reference::Reference;
    use misp_guard_testkit::setup::{bench_config, instance_rules, SRC_INSTANCE};

    #[test]
    fn typed_agrees_with_reference_on_generated_bodies() {
        let cfg = bench_config(false);
        let reference = Reference::new(instance_rules(&cfg, SRC_INSTANCE).unwrap()).unwrap();
        let rules = reference.rules();
        let mut cases: Vec<(Kind, Vec<u8>)> = Vec::new();
        cases.push((Kind::Event, Spec::event(200_000, 1).generate()));
        use Violation::*;
        for v in [
            EventTag("tlp:red".into()),
            AttributeTag("tlp:red".into()),
            AttributeSharingGroup(misp_guard_testkit::bodies::BLOCKED_SG_UUID.into()),
            AttributeNoteDistribution("0".into()),
            ObjectType("person".into()),
            ObjectAttributeType("email".into()),
            EventReportDistribution("0".into()),
        ] {
            cases.push((Kind::Event, Spec::event(200_000, 1).with_plant(v, 0.7).generate()));
        }
        cases.push((
            Kind::ShadowAttributeIndex,
            Spec::new(Body::ShadowAttributes, 50_000, 2).generate(),
        ));
        cases.push((
            Kind::ShadowAttributeIndex,
            Spec::new(Body::ShadowAttributes, 50_000, 2)
                .with_plant(AttributeTag("tlp:red".into()), 1.0)
                .generate(),
        ));
        cases.push((Kind::AnalystDataList, Spec::new(Body::AnalystDataList, 50_000, 2).generate()));
        for k in [Analyst::Note, Analyst::RelationshipToEvent, Analyst::RelationshipToAttribute] {
            cases.push((Kind::AnalystData, analyst_data_push(k, 5, None)));
            cases.push((
                Kind::AnalystData,
                analyst_data_push(k, 5, Some(EventTag("tlp:red".into()))),
            ));
        }
        for (kind, body) in &cases {
            let want = reference.evaluate(*kind, Side::Request, body, None);
            for p in [Parser::SerdeJson, Parser::SonicRs] {
                let got = evaluate(rules, p, *kind, Side::Request, body, None).unwrap();
                assert_eq!(got, want, "{p:?} {kind:?}");
            }
        }
    }

    #[test]
    fn limit_counts_across_chunks() {
        let body = Spec::event(300_000, 3).generate();
        let l = Limit::default();
        let whole = l.count(&body);
        assert!(whole > 100);
        for size in [1, 3, 4096, 65536] {
            assert_eq!(l.count_chunked(body.chunks(size)), whole, "chunk {size}");
        }
    }
}
