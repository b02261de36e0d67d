//! The receiver model: what a receiving MISP 2.5.1 (PHP 8.2, MariaDB 10.11, the
//! `INSTALL/MYSQL.sql` schema) stores for a request body. Each rule cites the PHP
//! function it follows (files under `app/Model` and `app/Controller` of MISP); the
//! table in `docs/receiver-model.md` lists them.
//!
//! Assumptions about the receiving instance (the worst case for the guard):
//! the pushing user is a sync user with `perm_tag_editor`, `perm_tagger`,
//! `perm_sharing_group`; `MISP.default_event_distribution`,
//! `MISP.default_attribute_distribution` are unset (event default 0, attribute/report
//! default 5); no tag, sharing group or event exists yet that would change a capture
//! (every tag and sharing group in the body is created or matched, every event is new
//! on `/events/add`, and on `/events/edit` every element is new or newer). Attribute
//! values are taken as valid for their type (`validateAttributeValue` is not modelled).
//!
//! Identities (what the database treats as the same value):
//! * tags: `Tag::captureTag` finds `LOWER(name) = mb_strtolower($name)` on
//!   `tags.name` (`utf8mb3_bin`, PAD SPACE, `UNIQUE`), and `Tag::beforeValidate` cuts
//!   a new name to 255 bytes: identity = lower-case, cut to 255 bytes, trailing
//!   U+0020 removed ([`tag_identity`]);
//! * sharing groups: `SharingGroup::captureSG` finds `SharingGroup.uuid = $uuid`
//!   (`varchar(40)`, PAD SPACE): trailing U+0020 removed, lower-cased (MISP writes
//!   UUIDs in lower case; a new group takes the UUID it is given);
//! * object names: `objects.name` is `utf8mb3_unicode_ci` (PAD SPACE): the model
//!   applies lower-case and trailing U+0020 only (a subset of that collation's
//!   equivalences, so the model never claims an equality MariaDB would not make).

use crate::describe;
use crate::php::{self, Array, Key, Value};

/// Which receive path a body takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /events/add` (REST): `EventsController::add` → `Event::_add`.
    EventAdd,
    /// `POST /events/edit/…` (REST): `EventsController::edit` → `Event::_edit`.
    EventEdit,
    /// `POST /galaxies/pushCluster`: `GalaxyCluster::captureCluster` per element.
    GalaxyClusterPush,
    /// `POST /analyst_data/pushAnalystData` (one element or a list):
    /// `AnalystData::captureAnalystData`.
    AnalystDataPush,
}

/// What kind of stored element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElemKind {
    /// The event.
    Event,
    /// An attribute of the event (`Event.Attribute`).
    Attribute,
    /// An attribute of an object (`Event.Object[].Attribute`).
    ObjectAttribute,
    /// An object.
    Object,
    /// An event report.
    Report,
    /// A note, opinion or relationship.
    AnalystData,
    /// A galaxy cluster.
    GalaxyCluster,
}

/// A tag as attached to a stored element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTag {
    /// The name as the body spelled it.
    pub name: String,
    /// Its identity in the database ([`tag_identity`]).
    pub identity: String,
    /// Attached as a local tag (not synced further).
    pub local: bool,
}

/// One stored element and what the rules read of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    /// What it is.
    pub kind: ElemKind,
    /// Where in the body (a JSON pointer, as MISP's arrays are indexed).
    pub at: String,
    /// The stored distribution level (`None`: decided by the receiver's own data, e.g.
    /// an edit that leaves the event's level as it was).
    pub distribution: Option<i64>,
    /// The sharing group MISP captured for it (`captureSG`), UUID as given.
    pub sharing_group: Option<String>,
    /// Tags attached, in attachment order.
    pub tags: Vec<StoredTag>,
    /// Attribute type.
    pub type_: Option<String>,
    /// Attribute category after MISP's default.
    pub category: Option<String>,
    /// Object name (object template name).
    pub name: Option<String>,
}

impl Element {
    fn new(kind: ElemKind, at: String) -> Element {
        Element {
            kind,
            at,
            distribution: None,
            sharing_group: None,
            tags: vec![],
            type_: None,
            category: None,
            name: None,
        }
    }
}

/// What the receiver stores for one body.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    /// Stored elements, in the order MISP saves them.
    pub elements: Vec<Element>,
    /// Sharing groups captured (`SharingGroup::captureSG`), with where they came from.
    pub sharing_groups: Vec<(String, String)>,
    /// What MISP resolves from its own data, out of a body filter's sight (a local
    /// `sharing_group_id`): the stored result cannot be judged from the body alone.
    pub unresolved: Vec<String>,
    /// Why MISP stopped early (a PHP error, a refused request), if it did; what was
    /// stored before stays stored.
    pub stopped: Option<String>,
}

/// A PHP fatal error or a refused request: processing stops here.
#[derive(Debug)]
struct Stop(String);

type R<T = ()> = Result<T, Stop>;

fn stop<T>(why: impl Into<String>) -> R<T> {
    Err(Stop(why.into()))
}

/// Trailing U+0020 removed: what a PAD SPACE collation compares.
pub fn pad_trim(s: &str) -> &str {
    s.trim_end_matches(' ')
}

/// A tag name's identity in `tags.name` (see the module docs).
pub fn tag_identity(name: &str) -> String {
    let lower = php::mb_strtolower(name);
    // Tag::beforeValidate: `substr($name, 0, 255)` on a new tag (bytes)
    let mut cut = lower.len().min(255);
    while !lower.is_char_boundary(cut) {
        cut -= 1;
    }
    pad_trim(&lower[..cut]).to_string()
}

/// A sharing-group UUID's identity in `sharing_groups.uuid`.
pub fn sg_identity(uuid: &str) -> String {
    pad_trim(uuid).to_lowercase()
}

/// An object name's identity in `objects.name` (subset of `utf8mb3_unicode_ci`).
pub fn object_name_identity(name: &str) -> String {
    pad_trim(&name.to_lowercase()).to_string()
}

/// The default category of a type (`MispAttribute::beforeValidateMassage`).
pub fn default_category(type_: &str) -> Option<&'static str> {
    describe::TYPES.iter().find(|(t, _)| *t == type_).map(|(_, c)| *c)
}

/// What the receiver stores for `body` sent to `endpoint`. A body PHP cannot decode
/// stores nothing.
pub fn receive(endpoint: Endpoint, body: &[u8]) -> Stored {
    let mut m = Model { out: Stored::default(), edit: endpoint == Endpoint::EventEdit };
    let res = match php::json_decode(body) {
        Err(e) => stop(format!("json_decode: {}", e.0)),
        Ok(v) => match endpoint {
            Endpoint::EventAdd => m.event_add(v),
            Endpoint::EventEdit => m.event_edit(v),
            Endpoint::GalaxyClusterPush => m.cluster_push(v),
            Endpoint::AnalystDataPush => m.analyst_push(v),
        },
    };
    if let Err(Stop(why)) = res {
        m.out.stopped = Some(why);
    }
    m.out
}

struct Model {
    out: Stored,
    /// On the `_edit` path (`editAttribute`: tags from `Tag` only, groups at level 4
    /// only).
    edit: bool,
}

fn k(s: &str) -> Key {
    Key::parse(s)
}

/// `$a[$k]` as a mutable array, creating nothing.
fn arr_mut<'a>(a: &'a mut Array, key: &str) -> Option<&'a mut Array> {
    let key = k(key);
    a.0.iter_mut().find(|(x, _)| *x == key).and_then(|(_, v)| match v {
        Value::Arr(a) => Some(a),
        _ => None,
    })
}

impl Model {
    // -----------------------------------------------------------------------------
    // Events

    /// `EventsController::add` (REST) then `Event::_add($data, $fromXml = true, …)`.
    fn event_add(&mut self, data: Value) -> R {
        let mut data = self.controller_unwrap(data)?;
        let ev = arr_mut(&mut data, "Event").expect("controller_unwrap makes Event");
        // EventsController::add: `if (!isset($data['Event']['distribution']))` → the
        // setting `MISP.default_event_distribution` or 0
        if !Value::Arr(ev.clone()).isset("distribution") {
            ev.set(k("distribution"), Value::Int(0));
        }
        let evv = Value::Arr(ev.clone());
        // Event::_add: a published event without attributes, objects and reports is refused
        if evv.empty_at("Attribute")
            && evv.empty_at("Object")
            && !evv.empty_at("published")
            && evv.empty_at("EventReport")
        {
            return stop("_add: published empty event");
        }
        // Event::_add → cleanupEventArrayFromXML (REST requests)
        cleanup_event_array_from_xml(&mut data);
        let ev = match data.get(&k("Event")) {
            Some(Value::Arr(e)) => e.clone(),
            _ => return stop("_add: Event is not an array"),
        };
        // Event::_add → __captureObjects
        let captured = self.capture_objects(ev)?;
        self.event_save(&captured, true)
    }

    /// `EventsController::add`/`edit`: `response` and `request` wrappers are read in
    /// place of the body; a body without `Event` is wrapped in one.
    fn controller_unwrap(&mut self, data: Value) -> R<Array> {
        // `empty($this->data)` → MethodNotAllowedException
        if data.empty() {
            return stop("controller: no valid event data");
        }
        let mut data = match data {
            Value::Arr(a) => a,
            _ => return stop("controller: body is not an array"),
        };
        // add: `response` then `request`; edit (updateXMLArray): `response` only
        let wrappers: &[&str] = if self.edit { &["response"] } else { &["response", "request"] };
        for w in wrappers.iter().copied() {
            let d = Value::Arr(data.clone());
            if d.isset(w) {
                match d.get(w) {
                    Some(Value::Arr(inner)) => data = inner.clone(),
                    // a scalar in place of the body: `$data['Event']` on a string is fatal
                    _ => return stop(format!("controller: scalar {w} wrapper")),
                }
            }
        }
        if !Value::Arr(data.clone()).isset("Event") {
            let mut w = Array::default();
            w.set(k("Event"), Value::Arr(data));
            data = w;
        }
        if !matches!(data.get(&k("Event")), Some(Value::Arr(_))) {
            return stop("controller: Event is not an array");
        }
        Ok(data)
    }

    /// `Event::__captureObjects`: sharing groups (`captureSGForElement` where
    /// `distribution == 4`), the event's tags (`EventTag` items first, then `Tag`,
    /// one attachment per tag id, first wins with its `local`), attribute tags
    /// (`__captureAttributeTags`). Returns the event array with tags resolved.
    fn capture_objects(&mut self, mut ev: Array) -> R<Captured> {
        // distribution == 4 (PHP loose) on the event
        let mut c =
            Captured { event_sg: self.sg_for_element(&mut ev, "/Event")?, ..Default::default() };
        // event attributes: `unset($event['Attribute'][$k]['id'])` is fatal on a scalar
        if let Some(attrs) = arr_mut(&mut ev, "Attribute") {
            if attrs.values().any(|a| !matches!(a, Value::Arr(_) | Value::Null)) {
                return stop("__captureObjects: unset() on a scalar attribute");
            }
            for (key, a) in attrs.0.iter_mut() {
                if let Value::Arr(a) = a {
                    let sg = self.sg_for_element(a, &format!("/Event/Attribute/{key}"))?;
                    c.attr_sg.push((key.clone(), sg));
                }
            }
        }
        if let Some(objs) = arr_mut(&mut ev, "Object") {
            for (key, o) in objs.0.iter_mut() {
                if let Value::Arr(o) = o {
                    let at = format!("/Event/Object/{key}");
                    let sg = self.sg_for_element(o, &at)?;
                    c.obj_sg.push((key.clone(), sg));
                    if let Some(attrs) = arr_mut(o, "Attribute") {
                        for (k2, a) in attrs.0.iter_mut() {
                            if let Value::Arr(a) = a {
                                let sg = self.sg_for_element(a, &format!("{at}/Attribute/{k2}"))?;
                                c.obj_attr_sg.push((key.clone(), k2.clone(), sg));
                            }
                        }
                    }
                }
            }
        }
        // event tags: EventTag items, then the Tag list; `in_array($tagId, $event_tag_ids)`
        let evv = Value::Arr(ev.clone());
        let mut tags: Vec<StoredTag> = vec![];
        if evv.isset("EventTag") {
            let mut list = evv.get("EventTag").cloned().unwrap_or(Value::Null);
            // `if (isset($event['EventTag']['id']))` → one item
            if list.isset("id") {
                list = Value::Arr(Array(vec![(Key::Int(0), list)]));
            }
            for item in foreach(&list, "EventTag")? {
                // captureTagWithCache(array $tag …) with `$tag['Tag']`
                let tag = match item.get("Tag") {
                    Some(t @ Value::Arr(_)) => t,
                    _ => return stop("__captureObjects: EventTag item without a Tag array"),
                };
                // `'local' => isset($tag['local']) ? $tag['local'] : false` — the item's own
                let local = item.get("local").is_some_and(|l| !l.empty());
                if let Some(t) = capture_tag(tag, local) {
                    if !tags.iter().any(|x| x.identity == t.identity) {
                        tags.push(t);
                    }
                }
            }
        }
        if evv.isset("Tag") {
            let mut list = evv.get("Tag").cloned().unwrap_or(Value::Null);
            // `if (isset($event['Tag']['name']))` → one tag
            if list.isset("name") {
                list = Value::Arr(Array(vec![(Key::Int(0), list)]));
            }
            for tag in foreach(&list, "Tag")? {
                if !matches!(tag, Value::Arr(_)) {
                    return stop("captureTagWithCache: Tag item is not an array");
                }
                let local = tag.get("local").is_some_and(|l| !l.empty());
                if let Some(t) = capture_tag(tag, local) {
                    if !tags.iter().any(|x| x.identity == t.identity) {
                        tags.push(t);
                    }
                }
            }
        }
        c.event_tags = tags;
        // __captureAttributeTags on event attributes and objects' attributes: no dedupe
        if let Some(Value::Arr(attrs)) = ev.get(&k("Attribute")) {
            for (key, a) in attrs.0.iter() {
                c.attr_tags.push((key.clone(), capture_attribute_tags(a)?));
            }
        }
        if let Some(Value::Arr(objs)) = ev.get(&k("Object")) {
            for (key, o) in objs.0.iter() {
                if let Some(Value::Arr(attrs)) = o.get("Attribute") {
                    if !attrs.is_empty() {
                        for (k2, a) in attrs.0.iter() {
                            c.obj_attr_tags.push((
                                key.clone(),
                                k2.clone(),
                                capture_attribute_tags(a)?,
                            ));
                        }
                    }
                }
            }
        }
        c.event = ev;
        Ok(c)
    }

    /// `Event::captureSGForElement` where `isset($e['distribution']) &&
    /// $e['distribution'] == 4` (`__captureObjects`, `EventReport::captureSG`,
    /// `AnalystData::captureOrganisationAndSG`).
    fn sg_for_element(&mut self, e: &mut Array, at: &str) -> R<Option<String>> {
        let ev = Value::Arr(e.clone());
        if !(ev.isset("distribution") && ev.get("distribution").unwrap().loose_eq_int(4)) {
            return Ok(None);
        }
        if ev.isset("SharingGroup") {
            let sg =
                self.capture_sg(ev.get("SharingGroup").unwrap(), &format!("{at}/SharingGroup"))?;
            e.unset(&k("SharingGroup"));
            e.set(k("sharing_group_id"), Value::Int(1));
            Ok(sg)
        } else if ev.isset("sharing_group_id") {
            // checkIfAuthorised($user, $id): a group of the receiver's own numbering
            self.out.unresolved.push(format!("{at}/sharing_group_id"));
            Ok(None)
        } else {
            // `$sg === false` → distribution 0
            e.set(k("distribution"), Value::Int(0));
            Ok(None)
        }
    }

    /// `SharingGroup::captureSG($sg, …)`: found by `uuid`, or created
    /// (`captureSGNew` needs an array and a `name`).
    fn capture_sg(&mut self, sg: &Value, at: &str) -> R<Option<String>> {
        if !matches!(sg, Value::Arr(_)) {
            return stop("captureSGNew(array $sg): SharingGroup is not an array");
        }
        let uuid = match sg.get("uuid") {
            Some(u) => match u.to_php_string() {
                Some(s) => s,
                None => return Ok(None),
            },
            None => return Ok(None),
        };
        self.out.sharing_groups.push((uuid.clone(), at.to_string()));
        Ok(Some(uuid))
    }

    /// `Event::_add` after `__captureObjects`: the event row (`save`, validation
    /// `distribution` in `'0'…'4'`), `EventTag` rows, attributes (`captureAttribute`,
    /// duplicates by `sha1(value|type|category)` skipped), objects (`captureObject`),
    /// reports (`captureReport`), analyst data (`captureAnalystData`).
    fn event_save(&mut self, c: &Captured, add: bool) -> R {
        let ev = Value::Arr(c.event.clone());
        let mut e = Element::new(ElemKind::Event, "/Event".into());
        match ev.get("distribution") {
            // Event::$validate: inList('0','1','2','3','4') on (string)$value
            Some(d) => match in_list(d, 4) {
                Some(l) => e.distribution = Some(l),
                None => return stop("Event::save: distribution not in 0-4"),
            },
            // _edit: `$data['Event']['distribution'] = $existingEvent[…]`
            None if !add => {}
            None => return stop("Event::save: no distribution"),
        }
        e.sharing_group = c.event_sg.clone();
        e.tags = c.event_tags.clone();
        self.out.elements.push(e);

        // attributes
        if !ev.empty_at("Attribute") {
            let mut hashes: Vec<String> = vec![];
            for (key, a) in ev.get("Attribute").unwrap().arr().into_iter().flat_map(|a| a.0.iter())
            {
                // null: `$attribute['event_id'] = …` makes an array without a type
                if matches!(a, Value::Null) {
                    continue;
                }
                if !matches!(a, Value::Arr(_)) {
                    return stop("captureAttribute: attribute is not an array");
                }
                if add && a.empty_at("deleted") {
                    let h = format!(
                        "{}|{}|{}",
                        str_of(a.get("value")),
                        str_of(a.get("type")),
                        str_of(a.get("category"))
                    );
                    if hashes.contains(&h) {
                        continue;
                    }
                    hashes.push(h);
                }
                let tags = c.attr_tags.iter().find(|(x, _)| x == key).map(|(_, t)| t.clone());
                let sg = c.attr_sg.iter().find(|(x, _)| x == key).and_then(|(_, s)| s.clone());
                self.capture_attribute(
                    a,
                    ElemKind::Attribute,
                    format!("/Event/Attribute/{key}"),
                    tags.unwrap_or_default(),
                    sg,
                    false,
                )?;
            }
        }
        // objects
        if !ev.empty_at("Object") {
            for (key, o) in ev.get("Object").unwrap().arr().into_iter().flat_map(|a| a.0.iter()) {
                self.capture_object(c, key, o)?;
            }
        }
        // reports: `foreach ($data['Event']['EventReport'] as $report)` (no wrapping)
        if !ev.empty_at("EventReport") {
            let reports = ev.get("EventReport").unwrap();
            for (key, r) in foreach_keyed(reports, "EventReport")? {
                self.capture_report(&key, r)?;
            }
        }
        // Event::captureAnalystData($user, $data['Event'], 'Event', …)
        self.analyst_children(&ev, "/Event")
    }

    /// `MispAttribute::captureAttribute` + `beforeValidate`/`beforeValidateMassage`.
    fn capture_attribute(
        &mut self,
        a: &Value,
        kind: ElemKind,
        at: String,
        tags: Vec<StoredTag>,
        sg_from_capture: Option<String>,
        in_object: bool,
    ) -> R {
        let mut e = Element::new(kind, at.clone());
        // `if (!empty($attribute['SharingGroup']))` → captureSG, whatever the level
        e.sharing_group = sg_from_capture;
        // (editAttribute captures it at level 4 only: done by sg_for_element)
        if !self.edit && !a.empty_at("SharingGroup") {
            if let Some(u) =
                self.capture_sg(a.get("SharingGroup").unwrap(), &format!("{at}/SharingGroup"))?
            {
                e.sharing_group = Some(u);
            }
        }
        // beforeValidate: `empty($type)`, `!isset($this->typeDefinitions[$type])`
        let ty = match a.get("type") {
            Some(Value::Str(t)) if default_category(t).is_some() => t.clone(),
            _ => return Ok(()),
        };
        if matches!(a.get("value"), Some(Value::Arr(_))) {
            return Ok(());
        }
        if in_object && a.empty_at("object_relation") {
            return Ok(());
        }
        // `if (!isset($attribute['distribution']))` → defaultDistribution() (5)
        let d = if a.isset("distribution") {
            a.get("distribution").unwrap().clone()
        } else {
            Value::Int(5)
        };
        // $validate: inList('0'…'5')
        let Some(level) = in_list(&d, 5) else { return Ok(()) };
        // `if (empty($attribute['category']))` → the type's default category
        let cat = if a.empty_at("category") {
            default_category(&ty).unwrap().to_string()
        } else {
            match a.get("category").unwrap().to_php_string() {
                Some(c) => c,
                None => return Ok(()),
            }
        };
        // validCategory: `isset($this->categoryDefinitions[$category])`
        if !describe::CATEGORIES.contains(&cat.as_str()) {
            return Ok(());
        }
        e.distribution = Some(level);
        e.type_ = Some(ty);
        e.category = Some(cat);
        e.tags = tags;
        self.out.elements.push(e);
        // Event::captureAnalystData for the attribute (MispAttribute::captureAttribute)
        self.analyst_children(a, &at)
    }

    /// `MispObject::captureObject`: an element carrying `Object` is read as that
    /// `Object`; saved, then its attributes (`captureAttribute`), analyst data.
    fn capture_object(&mut self, c: &Captured, key: &Key, o: &Value) -> R {
        let at = format!("/Event/Object/{key}");
        if !matches!(o, Value::Arr(_)) {
            return stop("captureObject: object is not an array");
        }
        // `if (!isset($object['Object'])) $object = ['Object' => $object]`
        let (obj, at) = if o.isset("Object") {
            (o.get("Object").unwrap().clone(), format!("{at}/Object"))
        } else {
            (o.clone(), at)
        };
        if !matches!(obj, Value::Arr(_)) {
            return stop("captureObject: Object is not an array");
        }
        let mut e = Element::new(ElemKind::Object, at.clone());
        // MispObject::beforeValidate: no distribution → 5; stored in a tinyint
        let d = if obj.isset("distribution") {
            obj.get("distribution").unwrap().clone()
        } else {
            Value::Int(5)
        };
        let Some(level) = d.as_column_int() else { return Ok(()) };
        e.distribution = Some(level);
        e.sharing_group = c.obj_sg.iter().find(|(x, _)| x == key).and_then(|(_, s)| s.clone());
        // inside an `Object` wrapper the group was not captured (the wrapper has no
        // level): MispObject::beforeValidate keeps the body's `sharing_group_id` at level 4
        if o.isset("Object") && obj.get("distribution").is_some_and(|d| d.loose_eq_int(4)) {
            self.out.unresolved.push(format!("{at}/sharing_group_id"));
        }
        e.name = obj.get("name").and_then(Value::to_php_string);
        self.out.elements.push(e);
        if !obj.empty_at("Attribute") {
            // `foreach ($object['Object']['Attribute'] as $attribute)` (no wrapping)
            for (k2, a) in foreach_keyed(obj.get("Attribute").unwrap(), "Object.Attribute")? {
                if !matches!(a, Value::Arr(_)) {
                    return stop("captureAttribute: object attribute is not an array");
                }
                // tags were captured on the element as __captureObjects saw it (an
                // `Object` wrapper hides them: then this element has none)
                let tags = c
                    .obj_attr_tags
                    .iter()
                    .find(|(x, y, _)| x == key && *y == k2 && !o.isset("Object"))
                    .map(|(_, _, t)| t.clone())
                    .unwrap_or_else(|| raw_attribute_tags(a));
                let sg = if o.isset("Object") {
                    None
                } else {
                    c.obj_attr_sg
                        .iter()
                        .find(|(x, y, _)| x == key && *y == k2)
                        .and_then(|(_, _, s)| s.clone())
                };
                self.capture_attribute(
                    a,
                    ElemKind::ObjectAttribute,
                    format!("{at}/Attribute/{k2}"),
                    tags,
                    sg,
                    true,
                )?;
            }
        }
        self.analyst_children(&obj, &at)
    }

    /// `EventReport::captureReport`: an element carrying `EventReport` is read as
    /// that; `captureSG` (level 4), `beforeValidate` default level 5, `$validate`
    /// inList('0'…'5').
    fn capture_report(&mut self, key: &Key, r: &Value) -> R {
        let at = format!("/Event/EventReport/{key}");
        if !matches!(r, Value::Arr(_)) {
            return stop("captureReport(array $report): report is not an array");
        }
        let (rep, at) = if r.isset("EventReport") {
            (r.get("EventReport").unwrap().clone(), format!("{at}/EventReport"))
        } else {
            (r.clone(), at)
        };
        let Value::Arr(mut ra) = rep else {
            return stop("captureReport: EventReport not an array");
        };
        let sg = self.sg_for_element(&mut ra, &at)?;
        let rep = Value::Arr(ra);
        let d = if rep.isset("distribution") {
            rep.get("distribution").unwrap().clone()
        } else {
            Value::Int(5)
        };
        let Some(level) = in_list(&d, 5) else { return Ok(()) };
        let mut e = Element::new(ElemKind::Report, at.clone());
        e.distribution = Some(level);
        e.sharing_group = sg;
        self.out.elements.push(e);
        self.analyst_children(&rep, &at)
    }

    /// `Event::_edit` (`EventsController::edit` unwraps like `add`):
    /// `cleanupEventArrayFromXML` always; the event's sharing group when level 4;
    /// tags from the `Tag` list only (`captureTag` + `EventTag::attachTagToEvent`:
    /// an existing attachment keeps its first `local`); attributes, objects, reports
    /// as in `_add` (`editAttribute`/`editObject`/`editReport` capture the same
    /// fields for new elements).
    fn event_edit(&mut self, data: Value) -> R {
        let mut data = self.controller_unwrap(data)?;
        cleanup_event_array_from_xml(&mut data);
        let mut ev = match data.get(&k("Event")) {
            Some(Value::Arr(e)) => e.clone(),
            _ => return stop("_edit: Event is not an array"),
        };
        let mut c =
            Captured { event_sg: self.sg_for_element(&mut ev, "/Event")?, ..Default::default() };
        let evv = Value::Arr(ev.clone());
        // `if (isset($data['Event']['Tag']) && perm_tagger) foreach ($data['Event']['Tag'] …)`
        if evv.isset("Tag") {
            for tag in foreach(evv.get("Tag").unwrap(), "Tag")? {
                if !matches!(tag, Value::Arr(_)) {
                    return stop("captureTag(array $tag): Tag item is not an array");
                }
                // EventTag::handleEventTag: `empty($tag['deleted'])` attaches, else detaches
                if !tag.empty_at("deleted") {
                    continue;
                }
                let local = tag.get("local").is_some_and(|l| !l.empty());
                // EventTag::attachTagToEvent: an existing attachment stays as it is
                if let Some(t) = capture_tag(tag, local) {
                    if !c.event_tags.iter().any(|x| x.identity == t.identity) {
                        c.event_tags.push(t);
                    }
                }
            }
        }
        // editAttribute / editObject: level-4 groups and tags as __captureObjects reads them
        if let Some(attrs) = arr_mut(&mut ev, "Attribute") {
            for (key, a) in attrs.0.iter_mut() {
                if let Value::Arr(aa) = a {
                    let sg = self.sg_for_element(aa, &format!("/Event/Attribute/{key}"))?;
                    c.attr_sg.push((key.clone(), sg));
                    c.attr_tags.push((key.clone(), edit_attribute_tags(&Value::Arr(aa.clone()))?));
                }
            }
        }
        if let Some(objs) = arr_mut(&mut ev, "Object") {
            for (key, o) in objs.0.iter_mut() {
                if let Value::Arr(oa) = o {
                    let at = format!("/Event/Object/{key}");
                    let sg = self.sg_for_element(oa, &at)?;
                    c.obj_sg.push((key.clone(), sg));
                    if let Some(attrs) = arr_mut(oa, "Attribute") {
                        for (k2, a) in attrs.0.iter_mut() {
                            if let Value::Arr(aa) = a {
                                let sg =
                                    self.sg_for_element(aa, &format!("{at}/Attribute/{k2}"))?;
                                c.obj_attr_sg.push((key.clone(), k2.clone(), sg));
                                c.obj_attr_tags.push((
                                    key.clone(),
                                    k2.clone(),
                                    edit_attribute_tags(&Value::Arr(aa.clone()))?,
                                ));
                            }
                        }
                    }
                }
            }
        }
        c.event = ev;
        self.event_save(&c, false)
    }

    // -----------------------------------------------------------------------------
    // Analyst data

    /// `Event::captureAnalystData($user, $data, …)`: `Note`, `Opinion`,
    /// `Relationship` lists of an element (each item gets `note_type_name`).
    fn analyst_children(&mut self, parent: &Value, at: &str) -> R {
        for t in ["Note", "Opinion", "Relationship"] {
            if !parent.empty_at(t) {
                for (key, item) in foreach_keyed(parent.get(t).unwrap(), t)? {
                    if !matches!(item, Value::Arr(_)) {
                        return stop("captureAnalystData(array $analystData): item not an array");
                    }
                    self.capture_analyst(item, Some(t), &format!("{at}/{t}/{key}"))?;
                }
            }
        }
        Ok(())
    }

    /// `AnalystData::captureAnalystData`: `deduceAnalystDataType` (a valid
    /// `note_type_name`, else the first of `Note`/`Opinion`/`Relationship` set), the
    /// element is `$data[$type]` when set (else the data itself), its sharing group
    /// (`captureOrganisationAndSG`), children first, then the element.
    fn capture_analyst(&mut self, item: &Value, note_type: Option<&str>, at: &str) -> R {
        let types = ["Note", "Opinion", "Relationship"];
        let from_name = match note_type {
            Some(t) => Some(t.to_string()),
            None => item
                .get("note_type_name")
                .and_then(Value::as_str)
                .filter(|n| types.contains(n) && !item.empty_at("note_type_name"))
                .map(str::to_string),
        };
        let ty = match from_name
            .or_else(|| types.iter().find(|t| item.isset(t)).map(|t| t.to_string()))
        {
            Some(t) => t,
            None => return stop("deduceAnalystDataType: NotFoundException"),
        };
        let (elem, at) = if item.isset(&ty) {
            (item.get(&ty).unwrap().clone(), format!("{at}/{ty}"))
        } else {
            (item.clone(), at.to_string())
        };
        let Value::Arr(mut ea) = elem else {
            return stop("captureAnalystData: element not an array");
        };
        let sg = self.sg_for_element(&mut ea, &at)?;
        let elem = Value::Arr(ea);
        // children first (`foreach (self::ANALYST_DATA_TYPES as $childType)`)
        for t in types {
            if !elem.empty_at(t) {
                for (key, child) in foreach_keyed(elem.get(t).unwrap(), t)? {
                    if !matches!(child, Value::Arr(_)) {
                        return stop("captureAnalystData(array): child not an array");
                    }
                    self.capture_analyst(child, None, &format!("{at}/{t}/{key}"))?;
                }
            }
        }
        let mut e = Element::new(ElemKind::AnalystData, at.clone());
        // the distribution column (tinyint); absent: the column's default
        e.distribution = match elem.get("distribution") {
            Some(d) if !matches!(d, Value::Null) => d.as_column_int(),
            _ => None,
        };
        e.sharing_group = sg;
        self.out.elements.push(e);
        Ok(())
    }

    /// `AnalystDataController::pushAnalystData` → `AnalystData::captureAnalystData`
    /// on the body (one element: a list finds no type and stores nothing).
    fn analyst_push(&mut self, data: Value) -> R {
        if !matches!(data, Value::Arr(_)) {
            return stop("captureAnalystData(array): not an array");
        }
        self.capture_analyst(&data, None, "")
    }

    // -----------------------------------------------------------------------------
    // Galaxy clusters

    /// `GalaxiesController::pushCluster` → `Galaxy::importGalaxyAndClusters`: each
    /// member of the body that has `GalaxyCluster` (with a `Galaxy` or a `type`) →
    /// `GalaxyCluster::captureCluster`: its sharing group (`captureOrganisationAndSG`,
    /// level 4), the tag it is filed under (`tag_name = sprintf('misp-galaxy:%s="%s"',
    /// type, uuid)`), validation `distribution` inList('0'…'4') (absent: the unset
    /// `MISP.default_event_distribution`, which fails it), `default` clusters refused;
    /// then `GalaxyClusterRelation::captureRelations`.
    fn cluster_push(&mut self, data: Value) -> R {
        let Value::Arr(a) = &data else {
            return stop("importGalaxyAndClusters(array): not an array");
        };
        for (key, item) in a.0.clone() {
            let Some(cl @ Value::Arr(_)) = item.get("GalaxyCluster").cloned() else { continue };
            if cl.empty_at("Galaxy") && cl.empty_at("type") {
                continue;
            }
            let at = format!("/{key}/GalaxyCluster");
            if !cl.empty_at("default") {
                continue;
            }
            let Value::Arr(mut ca) = cl else { unreachable!() };
            let sg = self.sg_for_element(&mut ca, &at)?;
            let cl = Value::Arr(ca);
            let Some(level) = cl.get("distribution").and_then(|d| in_list(d, 4)) else { continue };
            let mut e = Element::new(ElemKind::GalaxyCluster, at.clone());
            e.distribution = Some(level);
            e.sharing_group = sg;
            let name =
                format!("misp-galaxy:{}=\"{}\"", str_of(cl.get("type")), str_of(cl.get("uuid")));
            e.tags.push(StoredTag { identity: tag_identity(&name), name, local: false });
            self.out.elements.push(e);
            if !cl.empty_at("GalaxyClusterRelation") {
                let rels = cl.get("GalaxyClusterRelation").unwrap();
                for (rk, rel) in foreach_keyed(rels, "GalaxyClusterRelation")? {
                    self.capture_relation(rel, &format!("{at}/GalaxyClusterRelation/{rk}"))?;
                }
            }
        }
        Ok(())
    }

    /// `GalaxyClusterRelation::captureRelations`, one relation: `GalaxyClusterRelation`
    /// member read in its place, needs `referenced_galaxy_cluster_uuid`, sharing group
    /// at level 4, validation inList('0'…'4'); tags: the names (`Hash::extract(…,
    /// '{n}.name')`) of `GalaxyClusterRelationTag` when non-empty, else of `Tag`
    /// (`GalaxyClusterRelationTag::attachTags`, one attachment per tag id).
    fn capture_relation(&mut self, rel: &Value, at: &str) -> R {
        if !matches!(rel, Value::Arr(_)) {
            return stop("captureRelations: relation not an array");
        }
        let (rel, at) = if rel.isset("GalaxyClusterRelation") {
            (
                rel.get("GalaxyClusterRelation").unwrap().clone(),
                format!("{at}/GalaxyClusterRelation"),
            )
        } else {
            (rel.clone(), at.to_string())
        };
        let Value::Arr(mut ra) = rel else { return stop("captureRelations: not an array") };
        if Value::Arr(ra.clone()).empty_at("referenced_galaxy_cluster_uuid") {
            return Ok(());
        }
        let sg = self.sg_for_element(&mut ra, &at)?;
        let rel = Value::Arr(ra);
        let Some(level) = rel.get("distribution").and_then(|d| in_list(d, 4)) else {
            return Ok(());
        };
        let mut e = Element::new(ElemKind::GalaxyCluster, at.clone());
        e.distribution = Some(level);
        e.sharing_group = sg;
        let key = if !rel.empty_at("GalaxyClusterRelationTag") {
            "GalaxyClusterRelationTag"
        } else {
            "Tag"
        };
        if let Some(Value::Arr(list)) = rel.get(key) {
            for (k, t) in list.0.iter() {
                if !matches!(k, Key::Int(_)) {
                    continue;
                }
                if let Some(t) = capture_tag(t, false) {
                    if !e.tags.iter().any(|x| x.identity == t.identity) {
                        e.tags.push(t);
                    }
                }
            }
        }
        self.out.elements.push(e);
        Ok(())
    }
}

/// The event array after `__captureObjects`, with what it resolved.
#[derive(Default)]
struct Captured {
    event: Array,
    event_sg: Option<String>,
    event_tags: Vec<StoredTag>,
    attr_sg: Vec<(Key, Option<String>)>,
    attr_tags: Vec<(Key, Vec<StoredTag>)>,
    obj_sg: Vec<(Key, Option<String>)>,
    obj_attr_sg: Vec<(Key, Key, Option<String>)>,
    obj_attr_tags: Vec<(Key, Key, Vec<StoredTag>)>,
}

/// `Event::cleanupEventArrayFromXML`: `Attribute`, `ShadowAttribute`, `Object` given
/// as one element (keys not all numeric) are wrapped in a list, then re-indexed
/// (`array_values`); `Org`, `Orgc`, `SharingGroup` are replaced by their member `0`
/// when it is set (`json_decode` made the key `"0"` the integer 0).
pub fn cleanup_event_array_from_xml(data: &mut Array) {
    let Some(ev) = arr_mut(data, "Event") else { return };
    for name in ["Attribute", "ShadowAttribute", "Object"] {
        let Some(Value::Arr(list)) = ev.get(&k(name)).cloned() else { continue };
        if list.is_empty() {
            continue;
        }
        // `is_numeric(implode('', array_keys(...)))`
        let joined: String = list.0.iter().map(|(k, _)| k.to_string()).collect();
        let list = if php::numeric_string(&joined).is_none() || joined.trim() != joined {
            Array(vec![(Key::Int(0), Value::Arr(list))])
        } else {
            list
        };
        let reindexed = Array(
            list.0.into_iter().enumerate().map(|(i, (_, v))| (Key::Int(i as i64), v)).collect(),
        );
        ev.set(k(name), Value::Arr(reindexed));
    }
    for name in ["Org", "Orgc", "SharingGroup"] {
        let zero = ev.get(&k(name)).and_then(|v| v.get_int(0)).cloned();
        // `isset($data['Event'][$object][0])`
        if let Some(z) = zero.filter(|z| !matches!(z, Value::Null)) {
            ev.set(k(name), z);
        }
    }
}

/// `(string)` of a value for the duplicate hash (`$attribute['value'] . '|' …`).
fn str_of(v: Option<&Value>) -> String {
    v.and_then(Value::to_php_string).unwrap_or_else(|| "Array".into())
}

/// `inList($check, ['0', …, 'max'])` of CakePHP's `Validation`: `(string)$check` in
/// the list, strictly. The level it stores.
fn in_list(v: &Value, max: i64) -> Option<i64> {
    let s = v.to_php_string()?;
    (0..=max).find(|l| l.to_string() == s)
}

/// `foreach ($v as $item)` where PHP needs an array (a scalar is a warning and no
/// iteration: nothing captured).
fn foreach<'a>(v: &'a Value, _what: &str) -> R<Vec<&'a Value>> {
    Ok(v.arr().map(|a| a.values().collect()).unwrap_or_default())
}

fn foreach_keyed<'a>(v: &'a Value, _what: &str) -> R<Vec<(Key, &'a Value)>> {
    Ok(v.arr().map(|a| a.0.iter().map(|(k, v)| (k.clone(), v)).collect()).unwrap_or_default())
}

/// `Tag::captureTag($tag, …)` through `Event::captureTagWithCache`: the tag's name
/// (`$tag['name']`; a non-string name finds and creates nothing), its identity.
fn capture_tag(tag: &Value, local: bool) -> Option<StoredTag> {
    let name = match tag.get("name")? {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => php::php_float_string(*f),
        _ => return None,
    };
    // Tag::$validate: notBlank / valueNotEmpty
    if name.trim().is_empty() {
        return None;
    }
    Some(StoredTag { identity: tag_identity(&name), name, local })
}

/// `Event::__captureAttributeTags`: `AttributeTag` items (one item when it has `id`;
/// `local` from the item, default 0), then the `Tag` list (one tag when it has
/// `name`), every one attached: no dedupe.
fn capture_attribute_tags(a: &Value) -> R<Vec<StoredTag>> {
    let mut out = vec![];
    if !matches!(a, Value::Arr(_)) {
        return Ok(out);
    }
    if a.isset("AttributeTag") {
        let mut list = a.get("AttributeTag").unwrap().clone();
        if list.isset("id") {
            list = Value::Arr(Array(vec![(Key::Int(0), list)]));
        }
        for item in foreach(&list, "AttributeTag")? {
            let tag = match item.get("Tag") {
                Some(t @ Value::Arr(_)) => t,
                _ => return stop("__captureAttributeTags: AttributeTag item without a Tag array"),
            };
            let local = item.get("local").is_some_and(|l| !l.empty());
            out.extend(capture_tag(tag, local));
        }
    }
    if a.isset("Tag") {
        let mut list = a.get("Tag").unwrap().clone();
        if list.isset("name") {
            list = Value::Arr(Array(vec![(Key::Int(0), list)]));
        }
        for tag in foreach(&list, "Tag")? {
            if !matches!(tag, Value::Arr(_)) {
                return stop("captureTagWithCache(array $tag): Tag item not an array");
            }
            let local = tag.get("local").is_some_and(|l| !l.empty());
            out.extend(capture_tag(tag, local));
        }
    }
    Ok(out)
}

/// `MispAttribute::editAttribute`: the `Tag` list only (not `AttributeTag`), each
/// `handleAttributeTag(..., $mock = true)` into `$tagActions['attach'][$attributeId .
/// '-' . $tag_id]`: one attachment per tag id, the LAST occurrence's `local` wins;
/// a tag with `deleted` set is detached after the attachments are saved.
fn edit_attribute_tags(a: &Value) -> R<Vec<StoredTag>> {
    let mut out: Vec<StoredTag> = vec![];
    let mut detached: Vec<String> = vec![];
    if let Some(list) = a.get("Tag") {
        for tag in foreach(list, "Tag")? {
            if !matches!(tag, Value::Arr(_)) {
                return stop("captureTag(array $tag): Tag item not an array");
            }
            let local = tag.get("local").is_some_and(|l| !l.empty());
            let Some(t) = capture_tag(tag, local) else { continue };
            if !tag.empty_at("deleted") {
                detached.push(t.identity);
                continue;
            }
            match out.iter().position(|x| x.identity == t.identity) {
                Some(i) => out[i] = t,
                None => out.push(t),
            }
        }
    }
    // attachments are saved first, then every detachment is applied
    out.retain(|t| !detached.contains(&t.identity));
    Ok(out)
}

/// Tags of an attribute that `__captureObjects` did not see (inside an `Object`
/// wrapper): `MispAttribute::captureAttribute` attaches its `Tag` list itself (one tag
/// when `!empty($attribute['Tag']['name'])`), every occurrence, without `local` (the
/// column's default 0).
fn raw_attribute_tags(a: &Value) -> Vec<StoredTag> {
    let mut out = vec![];
    if a.isset("Tag") {
        let list = a.get("Tag").unwrap();
        let list = if !list.empty_at("name") {
            Value::Arr(Array(vec![(Key::Int(0), list.clone())]))
        } else {
            list.clone()
        };
        for t in list.arr().into_iter().flat_map(|a| a.values()) {
            out.extend(capture_tag(t, false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(body: &str) -> Stored {
        receive(Endpoint::EventAdd, body.as_bytes())
    }
    fn kinds(s: &Stored) -> Vec<ElemKind> {
        s.elements.iter().map(|e| e.kind).collect()
    }

    #[test]
    fn event_levels_follow_inlist_and_loose_four() {
        // `== 4` reads the group for every spelling; inList('0'…'4') then keeps "4",
        // 4 and 4.0 ((string)4.0 is "4") and refuses "04" and " 4" (no event stored)
        let sg = r#","SharingGroup":{"name":"s","uuid":"u"}"#;
        for (d, stored) in
            [("\"4\"", true), ("4", true), ("4.0", true), ("\"04\"", false), ("\" 4\"", false)]
        {
            let s = add(&format!(r#"{{"Event":{{"info":"x","distribution":{d}{sg}}}}}"#));
            assert_eq!(s.sharing_groups.len(), 1, "{d}");
            assert_eq!(kinds(&s) == [ElemKind::Event], stored, "{d}: {s:?}");
        }
        // absent: EventsController::add's default 0
        let s = add(r#"{"Event":{"info":"x"}}"#);
        assert_eq!(s.elements[0].distribution, Some(0));
        // level 4 without a group or local id: level 0
        let s = add(r#"{"Event":{"info":"x","distribution":4}}"#);
        assert_eq!(s.elements[0].distribution, Some(0));
        // a local id: unresolved
        let s = add(r#"{"Event":{"info":"x","distribution":4,"sharing_group_id":"3"}}"#);
        assert_eq!(s.unresolved, ["/Event/sharing_group_id"]);
    }

    #[test]
    fn cleanup_wraps_single_elements_and_reads_member_zero() {
        let s = add(
            r#"{"Event":{"info":"x","distribution":"4","SharingGroup":{"uuid":"a","0":{"uuid":"b"}},
            "Attribute":{"type":"text","value":"v","distribution":"1"}}}"#,
        );
        assert_eq!(s.sharing_groups[0].0, "b");
        let a = &s.elements[1];
        assert_eq!((a.kind, a.category.as_deref()), (ElemKind::Attribute, Some("Other")));
        // numeric keys are a list already: re-indexed, not wrapped
        let s = add(
            r#"{"Event":{"info":"x","distribution":"1","Attribute":{"5":{"type":"text","value":"v"}}}}"#,
        );
        assert_eq!(s.elements[1].at, "/Event/Attribute/0");
    }

    #[test]
    fn event_tags_first_wins_eventtag_items_first() {
        let s = add(
            r#"{"Event":{"info":"x","distribution":"1","Tag":[{"name":"TLP:GREEN ","local":0}],
            "EventTag":[{"local":1,"Tag":{"name":"tlp:green","local":0}}]}}"#,
        );
        let t = &s.elements[0].tags;
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].identity.as_str(), t[0].local), ("tlp:green", true));
        // one EventTag item given as an object (it has `id`) and one Tag (it has `name`)
        let s = add(
            r#"{"Event":{"info":"x","distribution":"1","Tag":{"name":"a"},"EventTag":{"id":"1","Tag":{"name":"b"}}}}"#,
        );
        let names: Vec<_> = s.elements[0].tags.iter().map(|t| t.identity.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
    }

    #[test]
    fn tag_identity_is_pad_space_lower_255_bytes() {
        assert_eq!(tag_identity("TLP:Red   "), "tlp:red");
        assert_eq!(tag_identity(&format!("tlp:red{}x", " ".repeat(248))), "tlp:red");
        assert_eq!(tag_identity(&format!("tlp:red{}x", " ".repeat(247))).len(), 256 - 1);
        assert_eq!(tag_identity("tlp:red\t"), "tlp:red\t");
    }

    #[test]
    fn attributes_defaults_and_duplicates() {
        let s = add(r#"{"Event":{"info":"x","distribution":"1","Attribute":[
            {"type":"ip-src","value":"1.1.1.1","category":""},
            {"type":"ip-src","value":"1.1.1.1","category":""},
            {"type":"EMAIL","value":"a@b.c"},
            {"type":"text","value":"v","category":"person"},
            {"type":"text","value":"w","distribution":"04"}]}}"#);
        // the duplicate (same value|type|category) is skipped; unknown type and unknown
        // category are not stored; "04" == 4 without a group: captureSGForElement sets
        // level 0 (which inList accepts)
        assert_eq!(kinds(&s), [ElemKind::Event, ElemKind::Attribute, ElemKind::Attribute]);
        let a = &s.elements[1];
        assert_eq!((a.category.as_deref(), a.distribution), (Some("Network activity"), Some(5)));
        assert_eq!(s.elements[2].distribution, Some(0));
    }

    #[test]
    fn wrappers_are_read_in_place() {
        let s = add(
            r#"{"request":{"Event":{"info":"x","distribution":"1","Object":[{"name":"file","Object":{"name":"person","distribution":"2"}}],
            "EventReport":[{"EventReport":{"distribution":"3"}}]}}}"#,
        );
        let o = s.elements.iter().find(|e| e.kind == ElemKind::Object).unwrap();
        assert_eq!((o.name.as_deref(), o.distribution), (Some("person"), Some(2)));
        let r = s.elements.iter().find(|e| e.kind == ElemKind::Report).unwrap();
        assert_eq!(r.distribution, Some(3));
        // the edit path does not read `request`: {"request": …} becomes the event
        let e = receive(
            Endpoint::EventEdit,
            br#"{"request":{"Event":{"info":"x","distribution":"0"}}}"#,
        );
        assert_eq!(e.elements[0].distribution, None);
    }

    #[test]
    fn edit_attribute_tags_last_wins_and_deleted_detaches() {
        let s = receive(
            Endpoint::EventEdit,
            br#"{"Event":{"info":"x","Tag":[{"name":"a","deleted":1},{"name":"b"}],"Attribute":[{"type":"text","value":"v",
            "Tag":[{"name":"c","local":0},{"name":"c","local":1},{"name":"d"},{"name":"D","deleted":true}]}]}}"#,
        );
        let ev: Vec<_> = s.elements[0].tags.iter().map(|t| t.identity.as_str()).collect();
        assert_eq!(ev, ["b"]);
        let at = &s.elements[1].tags;
        assert_eq!(at.len(), 1);
        assert_eq!((at[0].identity.as_str(), at[0].local), ("c", true));
    }

    #[test]
    fn analyst_and_cluster_pushes() {
        let s = receive(
            Endpoint::AnalystDataPush,
            br#"{"Opinion":{"distribution":"1","Note":[{"distribution":"0","note_type_name":"Note"}]}}"#,
        );
        let d: Vec<_> = s.elements.iter().map(|e| e.distribution).collect();
        assert_eq!(d, [Some(0), Some(1)], "children first");
        assert!(receive(Endpoint::AnalystDataPush, br#"[{"Note":{"distribution":"0"}}]"#)
            .elements
            .is_empty());
        let s = receive(
            Endpoint::GalaxyClusterPush,
            br#"[{"GalaxyCluster":{"type":"t","uuid":"u","distribution":"1","Galaxy":{"type":"t"},"tag_name":"x"}},
            {"GalaxyCluster":{"type":"t","uuid":"v","default":true,"distribution":"1"}},
            {"GalaxyCluster":{"type":"t","uuid":"w"}}]"#,
        );
        assert_eq!(s.elements.len(), 1);
        assert_eq!(s.elements[0].tags[0].name, "misp-galaxy:t=\"u\"");
    }
}
