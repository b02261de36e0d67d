//! What the rule machine knows of MISP's JSON: element kinds, the keys it reads in
//! each, and misp-guard's check order (for reporting the violation misp-guard itself
//! would have reported first).

use crate::policy::{BodyKind, Format, MinimalSearch};

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
    /// Search parameters (`minimal`, `published`). `exact`: the search reads only these
    /// spellings (`/galaxy_clusters/restSearch`, through `AppController::_harvestParameters`);
    /// else every case and a `search` prefix (`EventsController::index`).
    Search { exact: bool },
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
    /// A tag field MISP saves when it creates the tag (`colour`, `exportable`,
    /// `local_only`): a scalar, or the save throws.
    TagScalar,
    /// `note_type_name` of analyst data.
    NoteType,
    /// An attribute's `data`, `data_raw` or `base64` (attachment content, any length):
    /// a scalar, never read.
    Data,
    /// Analyst data `created` and `modified`.
    NoteDate,
    /// Analyst data `language`.
    NoteLanguage,
    /// `published` of an `/events/index` result.
    IndexPublished,
    /// `name` of a sharing group.
    SgName,
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
///
/// The truth for every kind; a `const fn`, so that [`lookup`]'s per-kind tables are
/// compiled from it (the hot path) and cannot disagree with it.
pub(crate) const fn key_action(kind: Kind, key: &[u8]) -> Option<(u8, Act)> {
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
        (Kind::EventWrapper, k) => match key_action(Kind::Event { full: false }, k) {
            Some((bit, act @ (Act::Array(..) | Act::Object(..)))) => (bit + 2, act),
            _ => return None,
        },

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
                b"Event" if matches!(kind, Kind::IndexEvent) => {
                    (13, O(Kind::IndexEvent, C::Content))
                }
                b"sharing_group_id" => (14, F(Field::SgId)),
                // `/events/view/…/extended:1`: `Event::__mergeExtensions` moves the
                // attributes, objects, reports and proposals of every event extending this
                // one into it and keeps only their events' ids, names and creators here;
                // the levels and sharing groups those events gave them are gone
                b"extensionEvents" => (16, Act::Refuse(MERGES_EXTENSIONS)),
                // an index search the guard let through asked for `published: 1`
                b"published" if matches!(kind, Kind::IndexEvent) => (15, F(Field::IndexPublished)),
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
            // `MispAttribute::afterSave` attaches each receiver tag id listed here
            b"tag_ids" => (13, Act::Refuse(ATTACHES_BY_ID)),
            // an attachment's content: `captureAttribute` takes `base64` as `data`, and
            // `afterSave` decodes it (`base64_decode`) or writes `data_raw` after the
            // row is stored and before the attribute's tags are: a list there throws
            b"data" => (14, F(Field::Data)),
            b"data_raw" => (15, F(Field::Data)),
            b"base64" => (16, F(Field::Data)),
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
            // `/sightings/restSearch` answers `{"response": [sightings]}`
            b"response" => (3, A(Kind::SightingItem, C::Content)),
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
            // nested analyst data: `AnalystData::deduceAnalystDataType` types it by this
            b"note_type_name" => (9, F(Field::NoteType)),
            // `AnalystData::beforeSave` parses both with `new DateTime`, which throws
            b"created" => (10, F(Field::NoteDate)),
            b"modified" => (11, F(Field::NoteDate)),
            // `notes.language` is a `varchar(16)`: longer, a strict server refuses the row
            b"language" => (12, F(Field::NoteLanguage)),
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
            // a full cluster (`fetchGalaxyClusters` with `full`, `GalaxyCluster::arrangeData`;
            // MISP's own cluster push and `/galaxy_clusters/view`) also carries the
            // relations of other clusters to this one, with their tags and groups, and
            // (`/galaxy_clusters/view`) the analyst data attached to it: judged by their
            // own levels, groups and tags. `captureCluster` stores none of them; a
            // relationship's `related_object` (`fetchAttributeSimple`, without tags) is
            // not read here, so it cannot fail a required taxonomy
            b"TargetingClusterRelation" => (8, A(Kind::ClusterRelation, C::ClusterRelations)),
            b"Note" => (9, A(Kind::Analyst { strict: false }, C::Notes)),
            b"Opinion" => (10, A(Kind::Analyst { strict: false }, C::Opinions)),
            b"Relationship" => (11, A(Kind::Analyst { strict: false }, C::Relationships)),
            b"RelationshipInbound" => (12, A(Kind::Analyst { strict: false }, C::Relationships)),
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
        // saved into `tags` when MISP creates the tag: a list or an object there makes the
        // save throw after the element is stored, dropping its tags
        (Kind::Tag, b"colour") => (4, F(Field::TagScalar)),
        (Kind::Tag, b"exportable") => (5, F(Field::TagScalar)),
        (Kind::Tag, b"local_only") => (6, F(Field::TagScalar)),
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
            // `SharingGroup::captureSGNew` creates no group without a name
            b"name" => (4, F(Field::SgName)),
            _ => return None,
        },
        (Kind::SgOrg, b"Organisation") => (0, O(Kind::Organisation, C::UserOrg)),
        (Kind::Organisation, b"uuid") => (0, F(Field::OrgUuid)),
        (Kind::SgServer, b"all_orgs") => (0, F(Field::AllOrgs)),
        (Kind::Search { exact: false }, k) => {
            // `EventsController::index` reads `minimal`, `Minimal`, `searchMINIMAL`, … as
            // one parameter (the last one wins): every spelling is that key
            let name = strip_search(k);
            if eq_ignore_ascii_case(name, b"minimal") {
                (0, F(Field::Minimal))
            } else if eq_ignore_ascii_case(name, b"published") {
                (1, F(Field::Published))
            } else if matches!(k, b"request") {
                // MISP unwraps `{"request": {…}}`: parameters there would escape the check
                (2, O(Kind::Search { exact: false }, C::Content))
            } else {
                return None;
            }
        }
        // `AppController::_harvestParameters` copies the parameters it knows by their
        // exact names (`isset($temp[$param])`): `Minimal` is no `minimal` there
        (Kind::Search { exact: true }, b"minimal") => (0, F(Field::Minimal)),
        (Kind::Search { exact: true }, b"published") => (1, F(Field::Published)),
        (Kind::Search { exact: true }, b"request") => {
            (2, O(Kind::Search { exact: true }, C::Content))
        }
        _ => return None,
    };
    Some(a)
}

/// `k` without a leading `search` (`<[u8]>::strip_prefix` is not `const`).
const fn strip_search(k: &[u8]) -> &[u8] {
    match k {
        [b's', b'e', b'a', b'r', b'c', b'h', rest @ ..] => rest,
        _ => k,
    }
}

/// ASCII case-insensitive equality, usable in `const fn`.
const fn eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Every key [`key_action`] reads literally (every kind but [`Kind::Search`], which
/// reads spellings of its keys); an unread key of any other kind is not here.
const NAMES: [&str; 55] = [
    "0",
    "Attribute",
    "AttributeTag",
    "Event",
    "EventReport",
    "EventTag",
    "Galaxy",
    "GalaxyCluster",
    "GalaxyClusterRelation",
    "GalaxyClusterRelationTag",
    "Note",
    "Object",
    "Opinion",
    "Organisation",
    "Relationship",
    "RelationshipInbound",
    "ShadowAttribute",
    "SharingGroup",
    "SharingGroupOrg",
    "SharingGroupServer",
    "Sighting",
    "Tag",
    "TargetingClusterRelation",
    "all_orgs",
    "base64",
    "category",
    "colour",
    "created",
    "data",
    "data_raw",
    "deleted",
    "distribution",
    "exportable",
    "extensionEvents",
    "info",
    "language",
    "local",
    "local_only",
    "minimal",
    "modified",
    "name",
    "note_type_name",
    "published",
    "related_object",
    "related_object_type",
    "relationship_type",
    "request",
    "response",
    "search",
    "sharing_group_id",
    "tag_id",
    "tag_ids",
    "tag_name",
    "type",
    "uuid",
];

/// Slots of the name hash: a power of two.
const SLOTS: usize = 128;

/// The name hash ([`crate::json::key_hash`], which the tokenizer filters keys by);
/// `k` is not empty. Its constants were searched so that the [`NAMES`] land in distinct
/// slots; [`SLOT_NAME`] checks that at compile time.
#[inline]
const fn name_hash(k: &[u8]) -> usize {
    crate::json::key_hash(k) as usize
}

/// Slot → 1 + index in [`NAMES`] (0: no name hashes there).
const SLOT_NAME: [u8; SLOTS] = {
    let mut t = [0u8; SLOTS];
    let mut i = 0;
    while i < NAMES.len() {
        let h = name_hash(NAMES[i].as_bytes());
        assert!(t[h] == 0, "two names share a hash slot: pick other constants");
        t[h] = i as u8 + 1;
        i += 1;
    }
    t
};

/// Every kind but [`Kind::Search`], in [`kind_index`] order.
const KINDS: [Kind; 35] = [
    Kind::EventWrapper,
    Kind::Event { full: true },
    Kind::Event { full: false },
    Kind::IndexEvent,
    Kind::Attribute { strict: true },
    Kind::Attribute { strict: false },
    Kind::Object { strict: true },
    Kind::Object { strict: false },
    Kind::EventReport { strict: true },
    Kind::EventReport { strict: false },
    Kind::Analyst { strict: true },
    Kind::Analyst { strict: false },
    Kind::Relationship { strict: true },
    Kind::Relationship { strict: false },
    Kind::Related,
    Kind::Cluster { strict: true },
    Kind::Cluster { strict: false },
    Kind::ClusterRelation,
    Kind::Galaxy,
    Kind::Sighting,
    Kind::ShadowItem,
    Kind::ClusterItem { strict: true },
    Kind::ClusterItem { strict: false },
    Kind::AnalystItem,
    Kind::SightingItem,
    Kind::IndexItem,
    Kind::IndexResponse,
    Kind::ClusterResponse,
    Kind::Tag,
    Kind::TagWrap { stored: true },
    Kind::TagWrap { stored: false },
    Kind::SharingGroup,
    Kind::SgOrg,
    Kind::Organisation,
    Kind::SgServer,
];

/// Index of `kind` in [`KINDS`]; `None` for [`Kind::Search`]. (An exhaustive match: a
/// new kind does not compile until it is placed here.)
#[inline]
const fn kind_index(kind: Kind) -> Option<usize> {
    Some(match kind {
        Kind::EventWrapper => 0,
        Kind::Event { full: true } => 1,
        Kind::Event { full: false } => 2,
        Kind::IndexEvent => 3,
        Kind::Attribute { strict: true } => 4,
        Kind::Attribute { strict: false } => 5,
        Kind::Object { strict: true } => 6,
        Kind::Object { strict: false } => 7,
        Kind::EventReport { strict: true } => 8,
        Kind::EventReport { strict: false } => 9,
        Kind::Analyst { strict: true } => 10,
        Kind::Analyst { strict: false } => 11,
        Kind::Relationship { strict: true } => 12,
        Kind::Relationship { strict: false } => 13,
        Kind::Related => 14,
        Kind::Cluster { strict: true } => 15,
        Kind::Cluster { strict: false } => 16,
        Kind::ClusterRelation => 17,
        Kind::Galaxy => 18,
        Kind::Sighting => 19,
        Kind::ShadowItem => 20,
        Kind::ClusterItem { strict: true } => 21,
        Kind::ClusterItem { strict: false } => 22,
        Kind::AnalystItem => 23,
        Kind::SightingItem => 24,
        Kind::IndexItem => 25,
        Kind::IndexResponse => 26,
        Kind::ClusterResponse => 27,
        Kind::Tag => 28,
        Kind::TagWrap { stored: true } => 29,
        Kind::TagWrap { stored: false } => 30,
        Kind::SharingGroup => 31,
        Kind::SgOrg => 32,
        Kind::Organisation => 33,
        Kind::SgServer => 34,
        // `Search` reads spellings of its keys; `Shape` bodies are read by `shape.rs`
        Kind::Search { .. } | Kind::Shape => return None,
    })
}

/// [`key_action`] of every (kind, name), compiled: `ACTS[kind_index][name index]`.
static ACTS: [[Option<(u8, Act)>; NAMES.len()]; KINDS.len()] = {
    let mut t = [[None; NAMES.len()]; KINDS.len()];
    let mut k = 0;
    while k < KINDS.len() {
        let mut n = 0;
        while n < NAMES.len() {
            t[k][n] = key_action(KINDS[k], NAMES[n].as_bytes());
            n += 1;
        }
        k += 1;
    }
    t
};

/// Per kind, the [`name_hash`] slots of the names it reads: the tokenizer's key filter
/// (`Sink::key_filter`). A key in a clear slot is no name the kind reads.
static READ_SLOTS: [u128; KINDS.len()] = {
    let mut t = [0u128; KINDS.len()];
    let mut k = 0;
    while k < KINDS.len() {
        let mut n = 0;
        while n < NAMES.len() {
            if ACTS[k][n].is_some() {
                t[k] |= 1 << name_hash(NAMES[n].as_bytes());
            }
            n += 1;
        }
        k += 1;
    }
    t
};

/// The slots of the keys `kind` reads (all ones for [`Kind::Search`], which reads any
/// spelling of its keys).
#[inline]
#[cfg(test)]
pub(crate) fn read_slots(kind: Kind) -> u128 {
    read_slots_at(table_index(kind))
}

/// A kind's row in the compiled tables ([`NO_TABLE`]: [`Kind::Search`] and other kinds
/// without one), kept in each frame so that keys do not match on the kind again.
pub(crate) const fn table_index(kind: Kind) -> u8 {
    match kind_index(kind) {
        Some(ki) => ki as u8,
        None => NO_TABLE,
    }
}

/// [`table_index`] of a kind without a compiled table.
pub(crate) const NO_TABLE: u8 = u8::MAX;

/// [`read_slots`] by [`table_index`].
#[inline]
pub(crate) fn read_slots_at(ki: u8) -> u128 {
    match READ_SLOTS.get(ki as usize) {
        Some(&slots) => slots,
        None => u128::MAX,
    }
}

/// [`key_action`] through the compiled tables: one hash, one table load and one
/// compare per key; unread keys mostly end at an empty slot. Also returns the key as
/// a static name when it is one (every read key but those of [`Kind::Search`]).
#[cfg(test)]
pub(crate) fn lookup(kind: Kind, key: &[u8]) -> Option<(u8, Act, Option<&'static str>)> {
    lookup_at(table_index(kind), kind, key)
}

/// [`lookup`] with the kind's [`table_index`] `ki` known.
#[inline]
pub(crate) fn lookup_at(ki: u8, kind: Kind, key: &[u8]) -> Option<(u8, Act, Option<&'static str>)> {
    if ki == NO_TABLE {
        // only `Search` reads keys without a table
        return key_action(kind, key).map(|(bit, act)| (bit, act, None));
    }
    let slot = match key {
        [] => return None,
        _ => SLOT_NAME[name_hash(key)],
    };
    if slot == 0 {
        return None;
    }
    let ki = ki as usize;
    let n = slot as usize - 1;
    let name = NAMES[n];
    if !same_bytes(name.as_bytes(), key) {
        return None;
    }
    ACTS[ki][n].map(|(bit, act)| (bit, act, Some(name)))
}

/// `a == b` for short slices without a `memcmp` call: overlapping word loads.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if let (Some(a8), Some(b8)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let (mut a, mut b) = (a, b);
        let w = |c: &[u8; 8]| u64::from_le_bytes(*c);
        if w(a8) != w(b8) {
            return false;
        }
        while a.len() > 16 {
            a = &a[8..];
            b = &b[8..];
            if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
                if w(x) != w(y) {
                    return false;
                }
            }
        }
        return match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
            (Some(x), Some(y)) => w(x) == w(y),
            _ => false,
        };
    }
    if let (Some(a4), Some(b4)) = (a.first_chunk::<4>(), b.first_chunk::<4>()) {
        let w = |c: &[u8; 4]| u32::from_le_bytes(*c);
        return w(a4) == w(b4)
            && matches!((a.last_chunk::<4>(), b.last_chunk::<4>()), (Some(x), Some(y)) if w(x) == w(y));
    }
    // 0 to 3 bytes: first, middle and last cover them all
    match (a, b) {
        ([a0, .., az], [b0, .., bz]) => a0 == b0 && az == bz && a[a.len() / 2] == b[b.len() / 2],
        ([x], [y]) => x == y,
        _ => a.is_empty(), // equal lengths: both empty
    }
}

/// What MISP does with a [`Act::Refuse`] key (the refusal's detail).
const REPLACES_BODY: &str = "in place of the body";
const REPLACES_ELEMENT: &str = "in place of the element that carries it";
const NAMES_ANALYST_TYPE: &str = "to pick the analyst data type and the element";
const ATTACHES_BY_ID: &str = "to attach a tag by its local id";
const MERGES_EXTENSIONS: &str = "merges extending events' elements without their levels and groups";

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
        BodyKind::MinimalSearch(s) => {
            (Kind::Search { exact: matches!(s, MinimalSearch::GalaxyClusters) }, false)
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn same_bytes_is_slice_equality() {
        let pool: [&[u8]; 12] = [
            b"",
            b"a",
            b"ab",
            b"abc",
            b"abd",
            b"abcd",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgi",
            b"abcdefghijklmnopq",
            b"abcdefghijklmnopr",
            b"bbcdefghijklmnopq",
        ];
        for a in pool {
            for b in pool {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
        for n in NAMES {
            for m in NAMES {
                assert_eq!(same_bytes(n.as_bytes(), m.as_bytes()), n == m);
            }
        }
    }

    #[test]
    fn kinds_are_indexed_in_order() {
        for (i, k) in KINDS.iter().enumerate() {
            assert_eq!(kind_index(*k), Some(i), "{k:?}");
        }
        assert_eq!(kind_index(Kind::Search { exact: false }), None);
        assert_eq!(kind_index(Kind::Search { exact: true }), None);
    }

    /// Keys MISP bodies carry (every key of every generated body kind), the names and
    /// near misses of them: the compiled lookup answers exactly as `key_action`.
    #[test]
    fn lookup_agrees_with_key_action() {
        use misp_guard_testkit::bodies::{Body, Spec};
        let mut keys: Vec<Vec<u8>> = Vec::new();
        fn walk(v: &serde_json::Value, keys: &mut Vec<Vec<u8>>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        keys.push(k.as_bytes().to_vec());
                        walk(v, keys);
                    }
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, keys)),
                _ => {}
            }
        }
        for body in [
            Body::Event,
            Body::EventsIndex,
            Body::ShadowAttributes,
            Body::GalaxyClusters,
            Body::AnalystDataList,
        ] {
            let doc = Spec::new(body, 64 * 1024, 7).with_analyst_data(true).generate();
            walk(&serde_json::from_slice(&doc).unwrap(), &mut keys);
        }
        for n in NAMES.map(str::as_bytes) {
            keys.push(n.to_vec());
            keys.push(n.to_ascii_uppercase());
            keys.push(n.to_ascii_lowercase());
            keys.push(n[..n.len() - 1].to_vec());
            keys.push(n[1..].to_vec());
            for c in [b'x', b'_', b' ', 0xc3] {
                let mut k = n.to_vec();
                k.push(c);
                keys.push(k);
                let mut k = std::vec![c];
                k.extend_from_slice(n);
                keys.push(k);
            }
        }
        keys.extend([&b""[..], b"searchminimal", b"Minimal", b"id", b"value"].map(|k| k.to_vec()));
        keys.sort();
        keys.dedup();
        assert!(keys.len() > 300, "{}", keys.len());
        let mut read = 0;
        let searches = [Kind::Search { exact: false }, Kind::Search { exact: true }];
        for kind in KINDS.iter().copied().chain(searches) {
            for k in &keys {
                let want = key_action(kind, k);
                let got = lookup(kind, k);
                let lossy = std::string::String::from_utf8_lossy(k);
                assert_eq!(got.map(|(b, a, _)| (b, a)), want, "{kind:?} {lossy:?}");
                if let Some((_, _, Some(name))) = got {
                    assert_eq!(name.as_bytes(), &k[..]);
                }
                if want.is_some() {
                    read += 1;
                    // the tokenizer's key filter passes every key read
                    let slot = crate::json::key_hash(k);
                    assert!(read_slots(kind) & (1 << slot) != 0, "{kind:?} {lossy:?}");
                    assert!(
                        matches!(kind, Kind::Search { .. })
                            || NAMES.iter().any(|n| n.as_bytes() == &k[..]),
                        "{kind:?} {k:?}"
                    );
                }
            }
        }
        assert!(read > 100, "{read}");
    }
}
