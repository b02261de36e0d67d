//! Generators of event pushes in the shape MISP itself sends them (`Event::fetchEvent`
//! output as `Server` pushes it: string levels, full `Tag` objects with `local: 0`,
//! a `SharingGroup` object with every level-4 element), and of the variants the
//! receiver treats as the same body ([`Variants`]): trailing spaces of any length on
//! tag names, sharing-group UUIDs and object names, letter case where `LOWER`/`_ci`
//! applies, level spellings (`"4"`, `4`, `4.0`, `"04"`), `"0"`-keyed members of
//! `Event.SharingGroup`, repeated tags across `EventTag`/`Tag` with `local` flags in
//! any order, single elements where MISP wraps them, `Object`/`EventReport`
//! wrappers, empty categories (MISP's default per type).

use proptest::prelude::*;

/// A blocked-by-the-generated-configs tag vocabulary (small, so that rules and bodies
/// collide often).
pub const TAGS: &[&str] = &[
    "tlp:red",
    "tlp:green",
    "tlp:amber",
    "tlp:clear",
    "pap:red",
    "admiralty-scale:a",
    "type:osint",
];
/// Taxonomies that configurations may require.
pub const TAXONOMIES: &[&str] = &["tlp", "pap"];
/// `(type, a valid value)`.
pub const TYPES: &[(&str, &str)] = &[
    ("ip-src", "8.8.8.8"),
    ("domain", "example.com"),
    ("email", "a@example.com"),
    ("passport-number", "X1234567"),
    ("text", "free text"),
    ("comment", "a comment"),
];
/// Categories (valid in MISP).
pub const CATEGORIES: &[&str] = &["Network activity", "Person", "Other", "Payload delivery"];
/// Object template names.
pub const OBJECT_NAMES: &[&str] = &["person", "file", "domain-ip", "bank-account"];
/// The sharing group configurations block.
pub const BLOCKED_SG: &str = "b9e656ba-b9c0-4506-83ed-7b54b43a57cb";
/// A sharing group configurations never block.
pub const OTHER_SG: &str = "11111111-2222-4333-8444-555555555555";

/// A JSON tree written exactly as generated (key order, duplicates, number spellings).
#[derive(Clone, Debug)]
pub enum J {
    /// An object, members in order (duplicates kept).
    Obj(Vec<(String, J)>),
    /// A list.
    Arr(Vec<J>),
    /// A string.
    Str(String),
    /// A raw JSON token (`4`, `4.0`, `true`, `null`).
    Raw(String),
}

fn obj(f: Vec<(&str, J)>) -> J {
    J::Obj(f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
fn s(v: &str) -> J {
    J::Str(v.to_string())
}
fn raw(v: &str) -> J {
    J::Raw(v.to_string())
}

impl J {
    /// The JSON text.
    pub fn write(&self) -> String {
        let mut out = String::new();
        self.write_to(&mut out);
        out
    }
    fn write_to(&self, out: &mut String) {
        match self {
            J::Obj(f) => {
                out.push('{');
                for (i, (k, v)) in f.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    v.write_to(out);
                }
                out.push('}');
            }
            J::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_to(out);
                }
                out.push(']');
            }
            J::Str(v) => out.push_str(&serde_json::to_string(v).unwrap()),
            J::Raw(r) => out.push_str(r),
        }
    }
}

/// How a level is spelled (all the same level to MISP's loose `== 4` and to the
/// `tinyint` column; `"04"` fails the `inList` validation of events and attributes).
#[derive(Clone, Copy, Debug)]
pub enum Spelling {
    /// `"4"` (MISP's own).
    Str,
    /// `4`.
    Int,
    /// `4.0`.
    Float,
    /// `"04"`.
    Padded,
    /// `true` for levels 1 and 4 (PHP's `true == 1` and `true == 4`; `(string)true` is
    /// `"1"`), `"4"` otherwise.
    True,
}

fn level(l: u8, sp: Spelling) -> J {
    match sp {
        Spelling::Str => J::Str(l.to_string()),
        Spelling::Int => J::Raw(l.to_string()),
        Spelling::Float => J::Raw(format!("{l}.0")),
        Spelling::Padded => J::Str(format!("0{l}")),
        Spelling::True if l == 1 || l == 4 => J::Raw("true".into()),
        Spelling::True => J::Str(l.to_string()),
    }
}

/// Which variants a generator may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variants {
    /// Only MISP's own shape.
    MispShape,
    /// MISP's shape and everything the receiver reads as the same.
    Equivalent,
    /// As [`Variants::Equivalent`], with at most 3 trailing spaces (strings stay
    /// within every bound: the other classes of the issue show up alone).
    EquivalentShort,
}

impl Variants {
    fn any(self) -> bool {
        self != Variants::MispShape
    }
}

/// A string as the receiver sees it: base value, trailing spaces, case.
#[derive(Clone, Debug)]
pub struct Spelled {
    /// The base value.
    pub base: &'static str,
    /// Trailing U+0020 count.
    pub pad: usize,
    /// 0 as is, 1 upper case, 2 first letter upper.
    pub case: u8,
}

impl Spelled {
    /// The string written.
    pub fn text(&self) -> String {
        let mut t = match self.case {
            1 => self.base.to_uppercase(),
            2 => {
                let mut c = self.base.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
            }
            _ => self.base.to_string(),
        };
        t.extend(core::iter::repeat(' ').take(self.pad));
        t
    }
}

/// Trailing-space lengths around the bounds a filter may keep (the core compares
/// 256 bytes; MISP cuts tag names at 255 bytes, `varchar(40)` UUIDs).
fn pad(variants: Variants, base_len: usize) -> BoxedStrategy<usize> {
    if variants == Variants::MispShape {
        return Just(0).boxed();
    }
    if variants == Variants::EquivalentShort {
        return prop_oneof![3 => Just(0usize), 1 => 1usize..4].boxed();
    }
    let around = |b: usize| b.saturating_sub(base_len);
    prop_oneof![
        3 => Just(0usize),
        1 => 1usize..4,
        2 => prop::sample::select(vec![
            around(40) - 1, around(40), around(40) + 1,
            around(255) - 1, around(255), around(255) + 1,
            around(256) - 1, around(256), around(256) + 1, around(257),
            2560, 10_000,
        ]),
    ]
    .boxed()
}

fn spelled(
    vocab: &'static [&'static str],
    variants: Variants,
    case_folds: bool,
) -> BoxedStrategy<Spelled> {
    prop::sample::select(vocab)
        .prop_flat_map(move |base| {
            let case = if variants.any() && case_folds {
                prop_oneof![3 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)].boxed()
            } else {
                Just(0u8).boxed()
            };
            (Just(base), pad(variants, base.len()), case)
        })
        .prop_map(|(base, pad, case)| Spelled { base, pad, case })
        .boxed()
}

/// One tag of an element, and how it is sent.
#[derive(Clone, Debug)]
pub struct TagSpec {
    /// The name.
    pub name: Spelled,
    /// `local` flag.
    pub local: bool,
    /// Sent as an `EventTag` item (event only) instead of in the `Tag` list.
    pub event_tag: bool,
    /// Carries `"deleted": true` (`_add` attaches it all the same; `_edit` detaches).
    pub deleted: bool,
}

fn tag_spec(variants: Variants) -> impl Strategy<Value = TagSpec> {
    let flags = if variants.any() {
        (prop::bool::weighted(0.25), prop::bool::weighted(0.3), prop::bool::weighted(0.08)).boxed()
    } else {
        (Just(false), Just(false), Just(false)).boxed()
    };
    (spelled(TAGS, variants, true), flags).prop_map(|(name, (local, event_tag, deleted))| TagSpec {
        name,
        local,
        event_tag,
        deleted,
    })
}

fn tag_json(t: &TagSpec, i: usize) -> J {
    let j = obj(vec![
        ("id", s(&(i + 1).to_string())),
        ("name", J::Str(t.name.text())),
        ("colour", s("#33FF00")),
        ("exportable", raw("true")),
        ("user_id", s("0")),
        ("hide_tag", raw("false")),
        ("numerical_value", raw("null")),
        ("is_galaxy", raw("false")),
        ("is_custom_galaxy", raw("false")),
        ("local_only", raw("false")),
        ("local", raw(if t.local { "1" } else { "0" })),
        ("relationship_type", raw("null")),
    ]);
    match (t.deleted, j) {
        (true, J::Obj(mut f)) => {
            f.push(("deleted".into(), raw("true")));
            J::Obj(f)
        }
        (_, j) => j,
    }
}

/// A sharing group, and how `Event.SharingGroup` carries it.
#[derive(Clone, Debug)]
pub struct SgSpec {
    /// UUID as sent.
    pub uuid: Spelled,
    /// A `"0"` member holding this group, beside an allowed group's fields (event
    /// only: `cleanupEventArrayFromXML` reads member 0).
    pub zero_member: bool,
}

fn sg_spec(variants: Variants) -> impl Strategy<Value = SgSpec> {
    let zero = if variants.any() { prop::bool::weighted(0.2).boxed() } else { Just(false).boxed() };
    (spelled(&[BLOCKED_SG, OTHER_SG], variants, true), zero)
        .prop_map(|(uuid, zero_member)| SgSpec { uuid, zero_member })
}

fn sg_body(uuid: &str) -> J {
    obj(vec![
        ("id", s("1")),
        ("name", s("sg")),
        ("releasability", s("")),
        ("description", s("")),
        ("uuid", J::Str(uuid.to_string())),
        ("organisation_uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")),
        ("org_id", s("1")),
        ("sync_user_id", s("0")),
        ("active", raw("true")),
        ("created", s("2024-01-01 00:00:00")),
        ("modified", s("2024-01-01 00:00:00")),
        ("local", raw("false")),
        ("roaming", raw("false")),
        (
            "Organisation",
            obj(vec![("uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")), ("name", s("o"))]),
        ),
        (
            "SharingGroupOrg",
            J::Arr(vec![obj(vec![
                ("extend", raw("true")),
                (
                    "Organisation",
                    obj(vec![
                        ("uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")),
                        ("name", s("o")),
                    ]),
                ),
            ])]),
        ),
        ("SharingGroupServer", J::Arr(vec![obj(vec![("all_orgs", raw("false"))])])),
    ])
}

fn sg_json(sg: &SgSpec, event: bool) -> J {
    let body = sg_body(&sg.uuid.text());
    if sg.zero_member && event {
        // an allowed group's fields, and member "0" holding the group MISP reads
        let J::Obj(mut f) = sg_body(OTHER_SG) else { unreachable!() };
        f.push(("0".into(), body));
        J::Obj(f)
    } else {
        body
    }
}

/// Distribution of an element: a level 0–5 (4 only with a sharing group).
#[derive(Clone, Debug)]
pub struct Dist {
    /// Level.
    pub level: u8,
    /// Its spelling.
    pub spelling: Spelling,
    /// The group (with level 4).
    pub sg: Option<SgSpec>,
}

fn spelling(variants: Variants) -> BoxedStrategy<Spelling> {
    if variants == Variants::MispShape {
        Just(Spelling::Str).boxed()
    } else {
        prop_oneof![
            3 => Just(Spelling::Str),
            1 => Just(Spelling::Int),
            1 => Just(Spelling::Float),
            1 => Just(Spelling::Padded),
            1 => Just(Spelling::True),
        ]
        .boxed()
    }
}

fn dist(variants: Variants, max: u8) -> impl Strategy<Value = Dist> {
    (0..=max, spelling(variants), sg_spec(variants)).prop_map(|(level, spelling, sg)| Dist {
        level,
        spelling,
        sg: (level == 4).then_some(sg),
    })
}

/// An attribute.
#[derive(Clone, Debug)]
pub struct AttrSpec {
    /// Index into [`TYPES`].
    pub type_: usize,
    /// Category; `None`: sent empty (MISP gives the type's default).
    pub category: Option<&'static str>,
    /// Level.
    pub dist: Dist,
    /// Tags.
    pub tags: Vec<TagSpec>,
    /// Sent as one object instead of a list of one (event attributes only).
    pub single: bool,
}

fn attr_spec(variants: Variants) -> impl Strategy<Value = AttrSpec> {
    let cat = if variants.any() {
        prop::option::weighted(0.85, prop::sample::select(CATEGORIES)).boxed()
    } else {
        prop::sample::select(CATEGORIES).prop_map(Some).boxed()
    };
    (
        0..TYPES.len(),
        cat,
        dist(variants, 5),
        prop::collection::vec(tag_spec(variants), 0..3),
        prop::bool::weighted(if variants.any() { 0.15 } else { 0.0 }),
    )
        .prop_map(|(type_, category, dist, tags, single)| AttrSpec {
            type_,
            category,
            dist,
            tags: tags.into_iter().map(|t| TagSpec { event_tag: false, ..t }).collect(),
            single,
        })
}

fn attr_json(a: &AttrSpec, i: usize, relation: Option<&str>) -> J {
    let (ty, value) = TYPES[a.type_];
    let mut f = vec![
        ("id", s(&(i + 1).to_string())),
        ("type", s(ty)),
        ("category", a.category.map(s).unwrap_or_else(|| s(""))),
        ("to_ids", raw("false")),
        ("uuid", J::Str(format!("5a0a0000-0000-4000-8000-{:012}", i))),
        ("event_id", s("1")),
        ("distribution", level(a.dist.level, a.dist.spelling)),
        ("timestamp", s("1700000000")),
        ("comment", s("")),
        ("sharing_group_id", s(if a.dist.sg.is_some() { "1" } else { "0" })),
        ("deleted", raw("false")),
        ("disable_correlation", raw("false")),
        ("object_id", s("0")),
        ("object_relation", relation.map(s).unwrap_or_else(|| raw("null"))),
        ("first_seen", raw("null")),
        ("last_seen", raw("null")),
        ("value", J::Str(format!("{value}{i}"))),
    ];
    if let Some(sg) = &a.dist.sg {
        f.push(("SharingGroup", sg_json(sg, false)));
    }
    if !a.tags.is_empty() {
        f.push(("Tag", J::Arr(a.tags.iter().enumerate().map(|(i, t)| tag_json(t, i)).collect())));
    }
    obj(f)
}

/// An object.
#[derive(Clone, Debug)]
pub struct ObjSpec {
    /// Template name.
    pub name: Spelled,
    /// Level.
    pub dist: Dist,
    /// Its attributes.
    pub attrs: Vec<AttrSpec>,
    /// Sent inside an `{"Object": …}` wrapper (MISP's `captureObject` unwraps it).
    pub wrapped: bool,
}

fn obj_spec(variants: Variants) -> impl Strategy<Value = ObjSpec> {
    (
        spelled(OBJECT_NAMES, variants, true),
        dist(variants, 5),
        prop::collection::vec(attr_spec(variants), 1..3),
        prop::bool::weighted(if variants.any() { 0.1 } else { 0.0 }),
    )
        .prop_map(|(name, dist, attrs, wrapped)| ObjSpec { name, dist, attrs, wrapped })
}

fn obj_json(o: &ObjSpec, i: usize) -> J {
    let mut f = vec![
        ("id", s(&(i + 1).to_string())),
        ("name", J::Str(o.name.text())),
        ("meta-category", s("misc")),
        ("description", s("")),
        ("template_uuid", s("a00c0000-0000-4000-8000-000000000000")),
        ("template_version", s("1")),
        ("event_id", s("1")),
        ("uuid", J::Str(format!("0b0a0000-0000-4000-8000-{:012}", i))),
        ("timestamp", s("1700000000")),
        ("distribution", level(o.dist.level, o.dist.spelling)),
        ("sharing_group_id", s(if o.dist.sg.is_some() { "1" } else { "0" })),
        ("comment", s("")),
        ("deleted", raw("false")),
        ("first_seen", raw("null")),
        ("last_seen", raw("null")),
    ];
    if let Some(sg) = &o.dist.sg {
        f.push(("SharingGroup", sg_json(sg, false)));
    }
    f.push(("ObjectReference", J::Arr(vec![])));
    let attrs =
        o.attrs.iter().enumerate().map(|(j, a)| attr_json(a, 100 * (i + 1) + j, Some("rel")));
    f.push(("Attribute", J::Arr(attrs.collect())));
    let o_json = obj(f);
    if o.wrapped {
        obj(vec![("Object", o_json)])
    } else {
        o_json
    }
}

/// An event push.
#[derive(Clone, Debug)]
pub struct EventSpec {
    /// Level.
    pub dist: Dist,
    /// Tags (in order; `event_tag` ones go to `EventTag`).
    pub tags: Vec<TagSpec>,
    /// Attributes.
    pub attrs: Vec<AttrSpec>,
    /// Objects.
    pub objects: Vec<ObjSpec>,
    /// Report levels.
    pub reports: Vec<Dist>,
    /// Sent inside a `{"response": …}` wrapper (the controller reads it).
    pub response_wrapper: bool,
}

/// Event pushes.
pub fn event(variants: Variants) -> impl Strategy<Value = EventSpec> {
    (
        dist(variants, 4),
        prop::collection::vec(tag_spec(variants), 0..4),
        prop::collection::vec(attr_spec(variants), 0..4),
        prop::collection::vec(obj_spec(variants), 0..3),
        prop::collection::vec(dist(variants, 5), 0..2),
        prop::bool::weighted(if variants.any() { 0.05 } else { 0.0 }),
    )
        .prop_map(|(dist, tags, attrs, objects, reports, response_wrapper)| EventSpec {
            dist,
            tags,
            attrs,
            objects,
            reports,
            response_wrapper,
        })
}

impl EventSpec {
    /// The body as JSON text.
    pub fn body(&self) -> Vec<u8> {
        self.json().write().into_bytes()
    }

    /// The body as a tree.
    pub fn json(&self) -> J {
        let mut f = vec![
            ("id", s("1")),
            ("orgc_id", s("1")),
            ("org_id", s("1")),
            ("date", s("2024-01-01")),
            ("threat_level_id", s("1")),
            ("info", s("generated event")),
            ("published", raw("false")),
            ("uuid", s("e0e00000-0000-4000-8000-000000000001")),
            ("analysis", s("0")),
            ("timestamp", s("1700000000")),
            ("distribution", level(self.dist.level, self.dist.spelling)),
            ("sharing_group_id", s(if self.dist.sg.is_some() { "1" } else { "0" })),
            ("locked", raw("false")),
            ("disable_correlation", raw("false")),
            ("extends_uuid", s("")),
            (
                "Orgc",
                obj(vec![("uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")), ("name", s("o"))]),
            ),
        ];
        if let Some(sg) = &self.dist.sg {
            f.push(("SharingGroup", sg_json(sg, true)));
        }
        let attrs: Vec<J> =
            self.attrs.iter().enumerate().map(|(i, a)| attr_json(a, i, None)).collect();
        // one attribute sent as an object (cleanupEventArrayFromXML wraps it)
        if attrs.len() == 1 && self.attrs[0].single {
            f.push(("Attribute", attrs.into_iter().next().unwrap()));
        } else {
            f.push(("Attribute", J::Arr(attrs)));
        }
        f.push(("ShadowAttribute", J::Arr(vec![])));
        f.push((
            "Object",
            J::Arr(self.objects.iter().enumerate().map(|(i, o)| obj_json(o, i)).collect()),
        ));
        let reports = self.reports.iter().enumerate().map(|(i, d)| {
            let mut r = vec![
                ("id", s(&(i + 1).to_string())),
                ("uuid", J::Str(format!("2e000000-0000-4000-8000-{:012}", i))),
                ("event_id", s("1")),
                ("name", s("report")),
                ("content", s("text")),
                ("distribution", level(d.level, d.spelling)),
                ("sharing_group_id", s(if d.sg.is_some() { "1" } else { "0" })),
                ("timestamp", s("1700000000")),
                ("deleted", raw("false")),
            ];
            if let Some(sg) = &d.sg {
                r.push(("SharingGroup", sg_json(sg, false)));
            }
            obj(r)
        });
        f.push(("EventReport", J::Arr(reports.collect())));
        let event_tags: Vec<J> = self
            .tags
            .iter()
            .enumerate()
            .filter(|(_, t)| t.event_tag)
            .map(|(i, t)| {
                obj(vec![
                    ("id", s(&(i + 1).to_string())),
                    ("local", raw(if t.local { "1" } else { "0" })),
                    ("Tag", tag_json(&TagSpec { local: false, ..t.clone() }, i)),
                ])
            })
            .collect();
        if !event_tags.is_empty() {
            f.push(("EventTag", J::Arr(event_tags)));
        }
        let tags: Vec<J> = self
            .tags
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.event_tag)
            .map(|(i, t)| tag_json(t, i))
            .collect();
        if !tags.is_empty() {
            f.push(("Tag", J::Arr(tags)));
        }
        let ev = obj(vec![("Event", obj(f))]);
        if self.response_wrapper {
            obj(vec![("response", ev)])
        } else {
            ev
        }
    }
}

/// A generated configuration (current format, one instance `i`, or legacy with the
/// same rules split over two `block_rules`).
#[derive(Clone, Debug)]
pub struct ConfigSpec {
    /// Blocked tags.
    pub blocked_tags: Vec<&'static str>,
    /// Required taxonomies with allowed tags.
    pub required: Vec<(&'static str, Vec<&'static str>)>,
    /// Blocked levels.
    pub levels: Vec<u8>,
    /// Block [`BLOCKED_SG`].
    pub block_sg: bool,
    /// Blocked types.
    pub types: Vec<&'static str>,
    /// Blocked categories.
    pub categories: Vec<&'static str>,
    /// Blocked object types.
    pub object_types: Vec<&'static str>,
    /// Legacy format.
    pub legacy: bool,
}

/// Configurations.
pub fn config() -> impl Strategy<Value = ConfigSpec> {
    let types: Vec<&'static str> = TYPES.iter().map(|(t, _)| *t).collect();
    let required = prop_oneof![
        2 => Just(vec![]),
        1 => (prop::sample::select(TAXONOMIES), prop::sample::subsequence(TAGS, 0..=2))
            .prop_map(|(t, allowed)| {
                let pre = format!("{t}:");
                vec![(t, allowed.into_iter().filter(|a| a.starts_with(&pre)).collect())]
            }),
    ];
    (
        prop::sample::subsequence(TAGS, 0..=2),
        required,
        prop::sample::subsequence(vec![0u8, 1, 2, 3, 4, 5], 0..=2),
        any::<bool>(),
        prop::sample::subsequence(types, 0..=2),
        prop::sample::subsequence(CATEGORIES, 0..=1),
        prop::sample::subsequence(OBJECT_NAMES, 0..=1),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(
                blocked_tags,
                required,
                levels,
                block_sg,
                types,
                categories,
                object_types,
                legacy,
            )| {
                ConfigSpec {
                    blocked_tags,
                    required: if legacy { vec![] } else { required },
                    levels,
                    block_sg,
                    types,
                    categories,
                    object_types,
                    legacy,
                }
            },
        )
}

impl ConfigSpec {
    /// Number of rule sets the body is judged with.
    pub fn rule_set_count(&self) -> u16 {
        if self.legacy {
            2
        } else {
            1
        }
    }

    /// The configuration file.
    pub fn json(&self) -> String {
        let l = |v: &[&str]| serde_json::to_string(v).unwrap();
        let levels: Vec<String> = self.levels.iter().map(|x| x.to_string()).collect();
        let sgs: Vec<&str> = if self.block_sg { vec![BLOCKED_SG] } else { vec![] };
        if self.legacy {
            // the rules split over two block rules (both apply)
            return format!(
                r#"{{"proxy":{{"host":"p.example","port":8888}},"misp":{{"host":"m.example","port":443}},
"block_rules":[{{"id":"a","description":"a","blocked_tags":{},"blocked_distribution_levels":{},
"blocked_sharing_groups_uuids":{},"blocked_attribute_types":[],"blocked_attribute_categories":[],"blocked_object_types":[]}},
{{"id":"b","description":"b","blocked_tags":[],"blocked_distribution_levels":[],"blocked_sharing_groups_uuids":[],
"blocked_attribute_types":{},"blocked_attribute_categories":{},"blocked_object_types":{}}}]}}"#,
                l(&self.blocked_tags),
                serde_json::to_string(&levels).unwrap(),
                l(&sgs),
                l(&self.types),
                l(&self.categories),
                l(&self.object_types),
            );
        }
        let required: Vec<&str> = self.required.iter().map(|(t, _)| *t).collect();
        let allowed: serde_json::Map<String, serde_json::Value> = self
            .required
            .iter()
            .filter(|(_, a)| !a.is_empty())
            .map(|(t, a)| (t.to_string(), serde_json::json!(a)))
            .collect();
        format!(
            r#"{{"allowlist":{{"urls":[],"domains":[]}},
"compartments_rules":{{"can_reach":{{"c":["c"]}}}},
"instances":{{"i":{{"ip":"192.0.2.1","host":"i.example","port":443,"compartment_id":"c",
"taxonomies_rules":{{"required_taxonomies":{},"allowed_tags":{},"blocked_tags":{}}},
"blocked_distribution_levels":{},"blocked_sharing_groups_uuids":{},
"blocked_attribute_types":{},"blocked_attribute_categories":{},"blocked_object_types":{}}}}}}}"#,
            l(&required),
            serde_json::Value::Object(allowed),
            l(&self.blocked_tags),
            serde_json::to_string(&levels).unwrap(),
            l(&sgs),
            l(&self.types),
            l(&self.categories),
            l(&self.object_types),
        )
    }
}

/// The galaxy-cluster tag configurations may block (`misp-galaxy:TYPE="UUID"` of the
/// first generated cluster).
pub const CLUSTER_TAG: &str = "misp-galaxy:threat-actor=\"c1000000-0000-4000-8000-000000000000\"";

/// A pushed galaxy cluster (`/galaxies/pushCluster` element).
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Index (its UUID's last digits; 0 is [`CLUSTER_TAG`]'s cluster).
    pub n: usize,
    /// Level (0–4).
    pub dist: Dist,
    /// Relations: level and tags.
    pub relations: Vec<(Dist, Vec<TagSpec>)>,
    /// Relations' tags sent as `GalaxyClusterRelationTag` (names directly on items).
    pub relation_tag_items: bool,
    /// The `tag_name` the body claims (MISP recomputes it).
    pub claimed_tag_name: bool,
}

/// Cluster pushes: a list of `{"GalaxyCluster": …}`.
pub fn clusters(variants: Variants) -> impl Strategy<Value = Vec<ClusterSpec>> {
    let one = (
        0usize..2,
        dist(variants, 4),
        prop::collection::vec(
            (dist(variants, 4), prop::collection::vec(tag_spec(variants), 0..3)),
            0..2,
        ),
        prop::bool::weighted(if variants.any() { 0.2 } else { 0.0 }),
        prop::bool::weighted(if variants.any() { 0.3 } else { 0.0 }),
    )
        .prop_map(|(n, dist, relations, relation_tag_items, claimed_tag_name)| ClusterSpec {
            n,
            dist,
            relations: relations
                .into_iter()
                .map(|(d, t)| {
                    let t = t
                        .into_iter()
                        .map(|t| TagSpec { local: false, event_tag: false, deleted: false, ..t })
                        .collect();
                    (d, t)
                })
                .collect(),
            relation_tag_items,
            claimed_tag_name,
        });
    prop::collection::vec(one, 1..3)
}

/// The pushed body of `clusters`.
pub fn clusters_body(cs: &[ClusterSpec]) -> Vec<u8> {
    let items = cs.iter().map(|c| {
        let uuid = format!("c1000000-0000-4000-8000-{:012}", c.n);
        let mut f = vec![
            ("id", s("1")),
            ("uuid", J::Str(uuid.clone())),
            ("collection_uuid", s("")),
            ("type", s("threat-actor")),
            ("value", s("Actor")),
            (
                "tag_name",
                J::Str(if c.claimed_tag_name {
                    "misp-galaxy:threat-actor=\"other\"".into()
                } else {
                    format!("misp-galaxy:threat-actor=\"{uuid}\"")
                }),
            ),
            ("description", s("")),
            ("galaxy_id", s("1")),
            ("source", s("")),
            ("authors", J::Arr(vec![])),
            ("version", s("1")),
            ("distribution", level(c.dist.level, c.dist.spelling)),
            ("sharing_group_id", s(if c.dist.sg.is_some() { "1" } else { "0" })),
            ("default", raw("false")),
            ("locked", raw("false")),
            ("extends_uuid", s("")),
            ("extends_version", s("0")),
            ("published", raw("true")),
            ("deleted", raw("false")),
            (
                "Galaxy",
                obj(vec![
                    ("uuid", s("7cdff317-a673-4474-84ec-4f1754947823")),
                    ("name", s("Threat Actor")),
                    ("type", s("threat-actor")),
                    ("namespace", s("misp")),
                ]),
            ),
            ("GalaxyElement", J::Arr(vec![])),
        ];
        if let Some(sg) = &c.dist.sg {
            f.push(("SharingGroup", sg_json(sg, false)));
        }
        let rels = c.relations.iter().enumerate().map(|(i, (d, tags))| {
            let mut r = vec![
                ("id", s(&(i + 1).to_string())),
                ("galaxy_cluster_uuid", J::Str(uuid.clone())),
                ("referenced_galaxy_cluster_uuid", s("c2000000-0000-4000-8000-000000000000")),
                ("referenced_galaxy_cluster_type", s("similar")),
                ("default", raw("false")),
                ("distribution", level(d.level, d.spelling)),
                ("sharing_group_id", s(if d.sg.is_some() { "1" } else { "0" })),
            ];
            if let Some(sg) = &d.sg {
                r.push(("SharingGroup", sg_json(sg, false)));
            }
            if !tags.is_empty() {
                let items: Vec<J> = tags.iter().enumerate().map(|(i, t)| tag_json(t, i)).collect();
                r.push((
                    if c.relation_tag_items { "GalaxyClusterRelationTag" } else { "Tag" },
                    J::Arr(items),
                ));
            }
            obj(r)
        });
        f.push(("GalaxyClusterRelation", J::Arr(rels.collect())));
        obj(vec![("GalaxyCluster", obj(f))])
    });
    J::Arr(items.collect()).write().into_bytes()
}

/// An analyst-data push (`/analyst_data/pushAnalystData`).
#[derive(Clone, Debug)]
pub struct AnalystSpec {
    /// `Note`, `Opinion` or `Relationship`.
    pub kind: &'static str,
    /// Level (0–5).
    pub dist: Dist,
    /// Child notes' levels.
    pub children: Vec<Dist>,
}

/// Analyst-data pushes.
pub fn analyst(variants: Variants) -> impl Strategy<Value = AnalystSpec> {
    (
        prop::sample::select(&["Note", "Opinion", "Relationship"][..]),
        dist(variants, 5),
        prop::collection::vec(dist(variants, 5), 0..2),
    )
        .prop_map(|(kind, dist, children)| AnalystSpec { kind, dist, children })
}

fn analyst_fields(kind: &str, d: &Dist, i: usize) -> Vec<(&'static str, J)> {
    let mut f = vec![
        ("uuid", J::Str(format!("a1000000-0000-4000-8000-{i:012}"))),
        ("object_uuid", s("e0e00000-0000-4000-8000-000000000001")),
        ("object_type", s("Event")),
        ("authors", s("a@example.com")),
        ("org_uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")),
        ("orgc_uuid", s("55f6ea5e-2c60-40e5-964f-47a8950d210f")),
        ("created", s("2024-01-01 00:00:00")),
        ("modified", s("2024-01-01 00:00:00")),
        ("distribution", level(d.level, d.spelling)),
        ("sharing_group_id", if d.sg.is_some() { s("1") } else { raw("null") }),
        ("locked", raw("true")),
        ("note_type", s("0")),
        ("note_type_name", s(kind)),
    ];
    match kind {
        "Note" => f.push(("note", s("text"))),
        "Opinion" => f.push(("opinion", s("50"))),
        _ => {
            f.push(("relationship_type", s("related-to")));
            f.push(("related_object_uuid", s("e0e00000-0000-4000-8000-000000000001")));
            f.push(("related_object_type", s("Event")));
            // MISP sends the related element along (it stores only the reference);
            // here with the relationship's own level (and group)
            let mut ev = vec![
                ("id", s("37")),
                ("info", s("Test Event")),
                ("uuid", s("e0e00000-0000-4000-8000-000000000001")),
                ("distribution", level(d.level, d.spelling)),
                ("sharing_group_id", s(if d.sg.is_some() { "1" } else { "0" })),
            ];
            if let Some(sg) = &d.sg {
                ev.push(("SharingGroup", sg_json(sg, false)));
            }
            f.push(("related_object", obj(vec![("Event", obj(ev))])));
        }
    }
    if let Some(sg) = &d.sg {
        f.push(("SharingGroup", sg_json(sg, false)));
    }
    f
}

impl AnalystSpec {
    /// The pushed body: `{"<Kind>": {…, "Note": [children]}}`.
    pub fn body(&self) -> Vec<u8> {
        let mut f = analyst_fields(self.kind, &self.dist, 0);
        if !self.children.is_empty() {
            let ch = self
                .children
                .iter()
                .enumerate()
                .map(|(i, d)| obj(analyst_fields("Note", d, i + 1)))
                .collect();
            f.push(("Note", J::Arr(ch)));
        }
        obj(vec![(self.kind, obj(f))]).write().into_bytes()
    }
}
