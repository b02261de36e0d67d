//! What the rule machine knows of MISP's JSON: element kinds, the keys it reads in
//! each, and misp-guard's check order (for reporting the violation misp-guard itself
//! would have reported first).

use crate::policy::{BodyKind, Format};

/// What a JSON object (or the items of an array) is to the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Root of an event body: `{"Event": …}`.
    EventWrapper,
    /// An event. `full`: pushed/pulled as a whole (misp-guard also reads `info`,
    /// `Attribute` and `Object`); not full: a relationship's related event.
    Event { full: bool },
    /// An `/events/index` result (judged on the fields present).
    IndexEvent,
    /// An attribute or shadow attribute. `strict`: misp-guard reads `type` and
    /// `category` unconditionally and applies required taxonomies.
    Attribute { strict: bool },
    /// A MISP object.
    Object { strict: bool },
    /// An event report.
    EventReport { strict: bool },
    /// A note or an opinion.
    Analyst { strict: bool },
    /// An analyst relationship.
    Relationship { strict: bool },
    /// A relationship's `related_object` (shape given by `related_object_type`, which may
    /// come later: every reading is judged).
    Related,
    /// A galaxy cluster.
    Cluster { strict: bool },
    /// A galaxy cluster's relation to another cluster (`GalaxyClusterRelation` item,
    /// flat or wrapped): MISP saves its distribution, sharing group and tags.
    ClusterRelation,
    /// A galaxy (`{"GalaxyCluster": […]}`).
    Galaxy,
    /// A sighting.
    Sighting,
    /// `{"ShadowAttribute": {…}}` (shadow attributes index item).
    ShadowItem,
    /// `{"GalaxyCluster": {…}}` (galaxy cluster push item / view root).
    ClusterItem { strict: bool },
    /// `{"Note"|"Opinion"|"Relationship": {…}}`.
    AnalystItem,
    /// A sightings body item: a sighting, or `{"Sighting": {…}}`.
    SightingItem,
    /// An events index item: an event, or `{"Event": {…}}`.
    IndexItem,
    /// `{"response": [events index items]}`.
    IndexResponse,
    /// `{"response": [{"GalaxyCluster": …}]}`.
    ClusterResponse,
    /// `{"name": …}`.
    Tag,
    /// `{"Tag": {…}}` (`EventTag`/`AttributeTag` items). `stored`: in an element MISP
    /// stores (not an `/events/index` result, which only lists).
    TagWrap { stored: bool },
    /// `SharingGroup`.
    SharingGroup,
    /// `SharingGroupOrg` item.
    SgOrg,
    /// `Organisation` of a `SharingGroupOrg`.
    Organisation,
    /// `SharingGroupServer` item.
    SgServer,
    /// Search parameters (`minimal`, `published`).
    Search,
    /// A body judged by its shape (`rules::shape`), never by the machine.
    Shape,
}

impl Kind {
    /// Elements are what rules are reported on (helpers report on their element).
    pub(crate) fn is_element(self) -> bool {
        !matches!(
            self,
            Kind::Tag
                | Kind::TagWrap { .. }
                | Kind::SharingGroup
                | Kind::SgOrg
                | Kind::Organisation
                | Kind::SgServer
        )
    }

    /// Elements whose missing fields misp-guard trips over (and so refuses).
    pub(crate) fn strict(self) -> bool {
        match self {
            Kind::Event { .. } | Kind::EventWrapper | Kind::ShadowItem => true,
            Kind::Attribute { strict }
            | Kind::Object { strict }
            | Kind::EventReport { strict }
            | Kind::Analyst { strict }
            | Kind::Relationship { strict }
            | Kind::Cluster { strict }
            | Kind::ClusterItem { strict } => strict,
            _ => false,
        }
    }
}

/// A scalar field the rules read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Info,
    Distribution,
    Type,
    Category,
    /// Object `name`.
    Name,
    /// Tag `name`.
    TagName,
    /// Tag `local` (a local tag is not synced: it satisfies no required taxonomy).
    TagLocal,
    /// Galaxy cluster `tag_name`.
    ClusterTagName,
    /// Galaxy cluster `type` and `uuid`: MISP files a captured cluster under the tag
    /// `misp-galaxy:TYPE="UUID"`, whatever `tag_name` says.
    ClusterType,
    ClusterUuid,
    /// Sharing group `uuid`.
    SgUuid,
    /// Organisation `uuid` in a sharing group.
    OrgUuid,
    AllOrgs,
    RelatedType,
    Minimal,
    Published,
    /// `sharing_group_id` of a stored element: a receiver-local id.
    SgId,
    /// `deleted` of a tag or tag item: on `_edit` MISP detaches such a tag
    /// (`EventTag::handleEventTag`, `MispAttribute::editAttribute`).
    TagDeleted,
    /// `relationship_type` of a tag or tag item (saved into `varchar(191)` of a
    /// `latin1` table with the element's tags, in one transaction).
    TagRelation,
}

/// The checks, in the vocabulary of misp-guard's order. Children groups are checks
/// too: their position decides precedence between an element's own checks and its
/// children's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    Info,
    Tag,
    Required,
    Distribution,
    SharingGroup,
    UserOrg,
    Type,
    Category,
    Name,
    ClusterTag,
    RelatedType,
    Related,
    Reports,
    Notes,
    Opinions,
    Relationships,
    Attributes,
    Objects,
    Shadows,
    Galaxies,
    Clusters,
    ClusterRelations,
    Sightings,
    EventTags,
    /// The wrapped element of a wrapper, or the root's content.
    Content,
}

/// What the value of a key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    /// An object of this kind.
    Object(Kind, Check),
    /// An array of objects of this kind.
    Array(Kind, Check),
    /// A scalar field.
    Field(Field),
    /// A key that makes MISP read the body differently from the guard: refused, with
    /// what MISP does with it.
    Refuse(&'static str),
}

/// Keys read in each kind: `(bit, action)`. The bit detects duplicates.
pub(crate) fn key_action(kind: Kind, key: &[u8]) -> Option<(u8, Act)> {
    use Act::{Array as A, Field as F, Object as O};
    use Check as C;
    let lenient_attr = Kind::Attribute { strict: false };
    let a = match (kind, key) {
        (Kind::EventWrapper, b"Event") => (0, O(Kind::Event { full: true }, C::Content)),
        // MISP unwraps `response`, then `request`, before it looks for `Event`
        (Kind::EventWrapper, b"request") => (1, Act::Refuse(REPLACES_BODY)),
        (Kind::EventWrapper, b"response") => (16, Act::Refuse(REPLACES_BODY)),
        // `Event::_add` captures `Sighting` next to `Event` (`Sighting::captureSightings`)
        (Kind::EventWrapper, b"Sighting") => (17, A(Kind::SightingItem, C::Sightings)),
        // lists next to `Event` could be saved with it: judge them as the event's
        (Kind::EventWrapper, k) => {
            let (bit, act) = key_action(Kind::Event { full: false }, k)?;
            match act {
                Act::Array(..) | Act::Object(..) => (bit + 2, act),
                _ => return None,
            }
        }

        (Kind::Event { .. } | Kind::IndexEvent, k) => {
            let strict = matches!(kind, Kind::Event { .. });
            match k {
                b"info" => (0, F(Field::Info)),
                b"distribution" => (1, F(Field::Distribution)),
                b"Tag" => (2, A(Kind::Tag, C::Tag)),
                b"SharingGroup" => (3, O(Kind::SharingGroup, C::SharingGroup)),
                b"EventTag" => (4, A(Kind::TagWrap { stored: strict }, C::EventTags)),
                b"EventReport" => (5, A(Kind::EventReport { strict }, C::Reports)),
                b"Note" => (6, A(Kind::Analyst { strict }, C::Notes)),
                b"Opinion" => (7, A(Kind::Analyst { strict }, C::Opinions)),
                b"Relationship" => (8, A(Kind::Relationship { strict }, C::Relationships)),
                b"Attribute" => (9, A(Kind::Attribute { strict }, C::Attributes)),
                b"Object" => (10, A(Kind::Object { strict }, C::Objects)),
                b"ShadowAttribute" => (11, A(lenient_attr, C::Shadows)),
                b"Galaxy" => (12, A(Kind::Galaxy, C::Galaxies)),
                b"Event" if kind == Kind::IndexEvent => (13, O(Kind::IndexEvent, C::Content)),
                b"sharing_group_id" => (14, F(Field::SgId)),
                _ => return None,
            }
        }

        (Kind::Attribute { strict }, k) => match k {
            b"category" => (0, F(Field::Category)),
            b"type" => (1, F(Field::Type)),
            b"distribution" => (2, F(Field::Distribution)),
            b"Tag" => (3, A(Kind::Tag, C::Tag)),
            b"SharingGroup" => (4, O(Kind::SharingGroup, C::SharingGroup)),
            b"ShadowAttribute" => (5, A(Kind::Attribute { strict }, C::Shadows)),
            b"Note" => (6, A(Kind::Analyst { strict }, C::Notes)),
            b"Opinion" => (7, A(Kind::Analyst { strict }, C::Opinions)),
            b"Relationship" => (8, A(Kind::Relationship { strict }, C::Relationships)),
            b"AttributeTag" => (9, A(Kind::TagWrap { stored: true }, C::EventTags)),
            b"Galaxy" => (10, A(Kind::Galaxy, C::Galaxies)),
            b"Sighting" => (11, A(Kind::Sighting, C::Sightings)),
            b"sharing_group_id" => (12, F(Field::SgId)),
            _ => return None,
        },

        (Kind::Object { strict }, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"name" => (2, F(Field::Name)),
            b"Attribute" => (3, A(Kind::Attribute { strict }, C::Attributes)),
            b"Note" => (4, A(Kind::Analyst { strict }, C::Notes)),
            b"Opinion" => (5, A(Kind::Analyst { strict }, C::Opinions)),
            b"Relationship" => (6, A(Kind::Relationship { strict }, C::Relationships)),
            b"Tag" => (7, A(Kind::Tag, C::Tag)),
            // `MispObject::captureObject` saves the inner `Object` when there is one
            b"Object" => (8, Act::Refuse(REPLACES_ELEMENT)),
            b"sharing_group_id" => (9, F(Field::SgId)),
            _ => return None,
        },

        (Kind::EventReport { strict }, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"Tag" => (2, A(Kind::Tag, C::Tag)),
            // captured with the report (`Event::captureAnalystData`)
            b"Note" => (3, A(Kind::Analyst { strict }, C::Notes)),
            b"Opinion" => (4, A(Kind::Analyst { strict }, C::Opinions)),
            b"Relationship" => (5, A(Kind::Relationship { strict }, C::Relationships)),
            // `EventReport::captureReport` saves the inner `EventReport` when there is one
            b"EventReport" => (6, Act::Refuse(REPLACES_ELEMENT)),
            b"sharing_group_id" => (7, F(Field::SgId)),
            _ => return None,
        },

        (Kind::Sighting, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"Tag" => (2, A(Kind::Tag, C::Tag)),
            b"sharing_group_id" => (3, F(Field::SgId)),
            _ => return None,
        },

        (Kind::SightingItem, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"Sighting" => (2, O(Kind::Sighting, C::Content)),
            _ => return None,
        },

        (Kind::Analyst { strict } | Kind::Relationship { strict }, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"related_object_type" if matches!(kind, Kind::Relationship { .. }) => {
                (2, F(Field::RelatedType))
            }
            b"related_object" if matches!(kind, Kind::Relationship { .. }) => {
                (3, O(Kind::Related, C::Related))
            }
            // analyst data on analyst data: not read by misp-guard, judged on what is there
            b"Note" => (4, A(Kind::Analyst { strict: false }, C::Notes)),
            b"Opinion" => (5, A(Kind::Analyst { strict: false }, C::Opinions)),
            b"Relationship" => (6, A(Kind::Relationship { strict: false }, C::Relationships)),
            b"Tag" => (7, A(Kind::Tag, C::Tag)),
            b"sharing_group_id" => (8, F(Field::SgId)),
            _ => {
                let _ = strict;
                return None;
            }
        },

        (Kind::Related, k) => match k {
            b"Event" => (0, O(Kind::Event { full: false }, C::Content)),
            b"Object" => (1, O(Kind::Object { strict: true }, C::Content)),
            b"Attribute" => (2, O(Kind::Attribute { strict: true }, C::Content)),
            b"GalaxyCluster" => (3, O(Kind::Cluster { strict: true }, C::Content)),
            // a related note, opinion or relationship is the element itself
            b"distribution" => (4, F(Field::Distribution)),
            b"SharingGroup" => (5, O(Kind::SharingGroup, C::SharingGroup)),
            b"related_object_type" => (6, F(Field::RelatedType)),
            b"related_object" => (7, O(Kind::Related, C::Related)),
            _ => return None,
        },

        (Kind::Cluster { .. }, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"tag_name" => (2, F(Field::ClusterTagName)),
            b"Tag" => (3, A(Kind::Tag, C::Tag)),
            b"GalaxyClusterRelation" => (4, A(Kind::ClusterRelation, C::ClusterRelations)),
            b"type" => (5, F(Field::ClusterType)),
            b"uuid" => (6, F(Field::ClusterUuid)),
            b"sharing_group_id" => (7, F(Field::SgId)),
            _ => return None,
        },

        // `GalaxyClusterRelation::captureRelations`: the item, or its wrapped relation
        (Kind::ClusterRelation, k) => match k {
            b"distribution" => (0, F(Field::Distribution)),
            b"SharingGroup" => (1, O(Kind::SharingGroup, C::SharingGroup)),
            b"Tag" => (2, A(Kind::Tag, C::Tag)),
            b"GalaxyClusterRelationTag" => (3, A(Kind::Tag, C::Tag)),
            b"GalaxyClusterRelation" => (4, O(Kind::ClusterRelation, C::Content)),
            b"sharing_group_id" => (5, F(Field::SgId)),
            _ => return None,
        },

        (Kind::Galaxy, b"GalaxyCluster") => (0, A(Kind::Cluster { strict: false }, C::Clusters)),

        (Kind::ShadowItem, b"ShadowAttribute") => {
            (0, O(Kind::Attribute { strict: true }, C::Content))
        }
        (Kind::ClusterItem { strict }, b"GalaxyCluster") => {
            (0, O(Kind::Cluster { strict }, C::Content))
        }
        (Kind::AnalystItem, k) => match k {
            b"Note" => (0, O(Kind::Analyst { strict: true }, C::Notes)),
            b"Opinion" => (1, O(Kind::Analyst { strict: true }, C::Opinions)),
            b"Relationship" => (2, O(Kind::Relationship { strict: true }, C::Relationships)),
            // `AnalystData::deduceAnalystDataType` takes the type from here first, and
            // then reads the whole body as the element when it has no such wrapper
            b"note_type_name" => (3, Act::Refuse(NAMES_ANALYST_TYPE)),
            _ => return None,
        },
        (Kind::IndexItem, k) => return key_action(Kind::IndexEvent, k),

        (Kind::IndexResponse, b"response") => (0, A(Kind::IndexItem, C::Content)),
        (Kind::ClusterResponse, b"response") => {
            (0, A(Kind::ClusterItem { strict: false }, C::Content))
        }
        (Kind::Tag, b"name") => (0, F(Field::TagName)),
        (Kind::Tag, b"local") => (1, F(Field::TagLocal)),
        (Kind::Tag, b"relationship_type") => (2, F(Field::TagRelation)),
        (Kind::Tag, b"deleted") => (3, F(Field::TagDeleted)),
        (Kind::TagWrap { stored }, k) => match k {
            b"Tag" => (0, O(Kind::Tag, C::Tag)),
            // `Event::__captureObjects` reads `local` on the item, not on its `Tag`
            b"local" => (2, F(Field::TagLocal)),
            b"relationship_type" => (3, F(Field::TagRelation)),
            b"deleted" => (4, F(Field::TagDeleted)),
            // `captureAttribute` saves `AttributeTag` items as given: the tag is the one
            // with this local id, whatever name the item shows
            b"tag_id" if stored => (1, Act::Refuse(ATTACHES_BY_ID)),
            _ => return None,
        },
        (Kind::SharingGroup, k) => match k {
            b"uuid" => (0, F(Field::SgUuid)),
            // `Event::cleanupEventArrayFromXML` files the event under `SharingGroup[0]`
            // when it is set (`json_decode` makes the key `"0"` the integer 0): judged
            // as a sharing group of the same element, like the one around it
            b"0" => (3, O(Kind::SharingGroup, C::SharingGroup)),
            b"SharingGroupOrg" => (1, A(Kind::SgOrg, C::UserOrg)),
            b"SharingGroupServer" => (2, A(Kind::SgServer, C::UserOrg)),
            _ => return None,
        },
        (Kind::SgOrg, b"Organisation") => (0, O(Kind::Organisation, C::UserOrg)),
        (Kind::Organisation, b"uuid") => (0, F(Field::OrgUuid)),
        (Kind::SgServer, b"all_orgs") => (0, F(Field::AllOrgs)),
        (Kind::Search, k) => {
            // `EventsController::index` reads `minimal`, `Minimal`, `searchMINIMAL`, … as
            // one parameter (the last one wins): every spelling is that key
            let name = k.strip_prefix(b"search").unwrap_or(k);
            if name.eq_ignore_ascii_case(b"minimal") {
                (0, F(Field::Minimal))
            } else if name.eq_ignore_ascii_case(b"published") {
                (1, F(Field::Published))
            } else if k == b"request" {
                // MISP unwraps `{"request": {…}}`: parameters there would escape the check
                (2, O(Kind::Search, C::Content))
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(a)
}

/// What MISP does with a [`Act::Refuse`] key (the refusal's detail).
const REPLACES_BODY: &str = "in place of the body";
const REPLACES_ELEMENT: &str = "in place of the element that carries it";
const NAMES_ANALYST_TYPE: &str = "to pick the analyst data type and the element";
const ATTACHES_BY_ID: &str = "to attach a tag by its local id";

/// The root of a body: an object of this kind, or an array of them.
pub(crate) fn root(body: BodyKind) -> (Kind, bool) {
    match body {
        BodyKind::Event | BodyKind::EventAdd => (Kind::EventWrapper, false),
        BodyKind::ShadowAttributeIndex => (Kind::ShadowItem, true),
        BodyKind::GalaxyClusterList => (Kind::ClusterItem { strict: true }, true),
        BodyKind::GalaxyCluster => (Kind::ClusterItem { strict: true }, false),
        BodyKind::GalaxyClusterSearch => (Kind::ClusterItem { strict: false }, true),
        BodyKind::AnalystData => (Kind::AnalystItem, false),
        BodyKind::AnalystDataList => (Kind::AnalystItem, true),
        BodyKind::EventsIndex => (Kind::IndexItem, true),
        BodyKind::Sightings => (Kind::SightingItem, true),
        BodyKind::MinimalSearch(_) => (Kind::Search, false),
        BodyKind::UuidList | BodyKind::ApiDescription => (Kind::Shape, false),
        BodyKind::ProposalList => (Kind::Attribute { strict: true }, true),
    }
}

/// For list bodies judged on the fields present: how a root *object* is read.
pub(crate) fn object_root(body: BodyKind) -> Option<Kind> {
    match body {
        BodyKind::EventsIndex => Some(Kind::IndexResponse),
        BodyKind::GalaxyClusterSearch => Some(Kind::ClusterResponse),
        BodyKind::Sightings => Some(Kind::SightingItem),
        _ => None,
    }
}

/// Offset of children's ranks above every own check in the legacy order.
const CHILDREN: u16 = 1024;

/// Rank of `check` within an element of `kind`: lower is checked first by
/// misp-guard. `rule` is the index of the rule set among those applied (legacy rules
/// are applied one after the other, each with all its checks).
pub(crate) fn rank(format: Format, kind: Kind, check: Check, rule: usize) -> u16 {
    use Check as C;
    if format == Format::Legacy {
        let own = |r: u16| (rule as u16) * 16 + r;
        match kind {
            Kind::Event { .. } => {
                return match check {
                    C::Info => 0,
                    C::Distribution => own(1),
                    C::SharingGroup => own(2),
                    C::Tag => own(3),
                    C::Attributes => CHILDREN,
                    C::Objects => CHILDREN + 1,
                    c => CHILDREN + 2 + current(kind, c),
                }
            }
            Kind::Attribute { .. } => {
                return match check {
                    C::Distribution => own(0),
                    C::SharingGroup => own(1),
                    C::Type => own(2),
                    C::Category => own(3),
                    C::Tag => own(4),
                    C::Shadows => CHILDREN,
                    c => CHILDREN + 1 + current(kind, c),
                }
            }
            Kind::Object { .. } => {
                return match check {
                    C::Distribution => own(0),
                    C::SharingGroup => own(1),
                    C::Name => own(2),
                    C::Attributes => CHILDREN,
                    c => CHILDREN + 1 + current(kind, c),
                }
            }
            _ => {}
        }
    }
    current(kind, check) * 64 + rule as u16
}

/// misp-guard's current check order per kind (unknown pairs sort last, in a stable
/// order).
fn current(kind: Kind, check: Check) -> u16 {
    use Check::*;
    let order: &[Check] = match kind {
        Kind::Event { .. } | Kind::IndexEvent => &[
            Info,
            Tag,
            EventTags,
            Required,
            Distribution,
            Reports,
            SharingGroup,
            UserOrg,
            Notes,
            Opinions,
            Relationships,
            Attributes,
            Objects,
            Galaxies,
            Shadows,
            Content,
        ],
        Kind::Attribute { .. } => &[
            Category,
            Type,
            Distribution,
            Tag,
            EventTags,
            Required,
            SharingGroup,
            UserOrg,
            Shadows,
            Notes,
            Opinions,
            Relationships,
            Galaxies,
            Sightings,
        ],
        Kind::Object { .. } => &[
            Distribution,
            SharingGroup,
            UserOrg,
            Name,
            Attributes,
            Notes,
            Opinions,
            Relationships,
            Tag,
        ],
        Kind::Relationship { .. } => &[
            Distribution,
            RelatedType,
            Related,
            SharingGroup,
            UserOrg,
            Notes,
            Opinions,
            Relationships,
            Tag,
        ],
        Kind::Related => &[Content, Distribution, RelatedType, Related, SharingGroup, UserOrg],
        Kind::Cluster { .. } => {
            &[Distribution, SharingGroup, UserOrg, ClusterTag, Tag, ClusterRelations]
        }
        Kind::AnalystItem => &[Notes, Opinions, Relationships],
        _ => &[Distribution, SharingGroup, UserOrg, Tag, Notes, Opinions, Relationships, Content],
    };
    order.iter().position(|c| *c == check).unwrap_or(order.len() + check as usize) as u16
}
