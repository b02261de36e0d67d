//! Verdicts and block reasons: stable codes, one table of strings.
//!
//! A [`Block`] is data: a stable [`Reason`] code, the offending value as found
//! (`detail`, decoded, bounded), the JSON pointer of the offending element, the side
//! (request or response) and the rule set that matched. It becomes misp-guard's log
//! wording only when rendered with [`Block::message`] / [`LogLine`]; every value taken
//! from traffic is escaped there, so a log line can never be split or forged.

use core::fmt::{self, Write as _};

pub use crate::escape::write_escaped;
use crate::limits::{DETAIL_CAP, POINTER_CAP};
use crate::policy::{Format, Policy, RuleSetId, Side};

/// The decision on a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Forward unchanged.
    Allow,
    /// Refuse with `403 Forbidden`.
    Block(Block),
}

impl Verdict {
    /// `true` for [`Verdict::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow)
    }
}

/// Why something was refused. The numbers are stable (C ABI, JSON records): never
/// reuse a retired value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum Reason {
    // --- request policy ---------------------------------------------------------
    /// The source address is not an instance's `ip`/`host`.
    SourceUnknown = 1,
    /// The destination host is not an instance's `host`/`ip`.
    DestinationUnknown = 2,
    /// `compartments_rules.can_reach` does not let the source reach the destination.
    CompartmentUnreachable = 3,
    /// The destination port is not the destination instance's port.
    PortNotAllowed = 4,
    /// Method + path is not one of misp-guard's sync endpoints.
    EndpointNotAllowed = 5,
    /// The path is not in canonical form (percent-escape, `//`, dot segment, …).
    NonCanonicalPath = 6,
    /// A method-override header or parameter was present.
    MethodOverride = 7,
    /// `/events/index` or `/galaxy_clusters/restSearch` without `minimal:1, published:1`.
    MinimalPublishedRequired = 8,
    /// A `Content-Encoding` the guard does not decode.
    UnsupportedEncoding = 9,
    /// A `Content-Type` charset other than UTF-8.
    UnsupportedCharset = 10,
    /// An inspected request body whose `Content-Type` is not `application/json` (MISP
    /// would read a form body where the guard reads JSON), or several `Content-Type`
    /// headers.
    UnsupportedContentType = 11,
    /// A header that asks to switch the connection to another protocol (`Upgrade`,
    /// `HTTP2-Settings`): MISP's sync never sends one, and a proxy that relays the
    /// upstream's `101 Switching Protocols` would carry the rest of the connection
    /// unjudged.
    ProtocolUpgrade = 12,

    // --- rules on bodies ---------------------------------------------------------
    /// An event tag is blocked.
    EventBlockedTag = 20,
    /// The event distribution level is blocked.
    EventBlockedDistribution = 21,
    /// The event sharing group is blocked.
    EventBlockedSharingGroup = 22,
    /// The event has no `Tag` list while taxonomies are required.
    EventMissingRequiredTaxonomies = 23,
    /// No tag of a required taxonomy (or none of its allowed tags) is present.
    MissingRequiredTaxonomy = 24,
    /// An attribute tag is blocked.
    AttributeBlockedTag = 30,
    /// An attribute distribution level is blocked.
    AttributeBlockedDistribution = 31,
    /// An attribute sharing group is blocked.
    AttributeBlockedSharingGroup = 32,
    /// An attribute type is blocked.
    AttributeBlockedType = 33,
    /// An attribute category is blocked.
    AttributeBlockedCategory = 34,
    /// An attribute has no `Tag` list while taxonomies are required.
    AttributeMissingRequiredTaxonomies = 35,
    /// An object distribution level is blocked.
    ObjectBlockedDistribution = 40,
    /// An object sharing group is blocked.
    ObjectBlockedSharingGroup = 41,
    /// An object type (`name`) is blocked.
    ObjectBlockedType = 42,
    /// An event report distribution level is blocked.
    EventReportBlockedDistribution = 50,
    /// An event report sharing group is blocked.
    EventReportBlockedSharingGroup = 51,
    /// A galaxy cluster distribution level is blocked.
    GalaxyClusterBlockedDistribution = 60,
    /// A galaxy cluster sharing group is blocked.
    GalaxyClusterBlockedSharingGroup = 61,
    /// A galaxy cluster's tag (`tag_name`) is blocked.
    GalaxyClusterBlockedTag = 62,
    /// An analyst note/opinion/relationship distribution level is blocked.
    AnalystDataBlockedDistribution = 70,
    /// An analyst note/opinion/relationship sharing group is blocked.
    AnalystDataBlockedSharingGroup = 71,
    /// A sighting distribution level is blocked.
    SightingBlockedDistribution = 80,
    /// A sighting sharing group is blocked.
    SightingBlockedSharingGroup = 81,
    /// The `X-UserOrgUUID` organisation is not in an element's sharing group.
    UserOrgNotInSharingGroup = 90,

    // --- bodies the guard cannot fully understand (fail closed) --------------------
    /// Not JSON (syntax error, empty body, truncated document).
    InvalidJson = 100,
    /// A byte sequence that is not UTF-8.
    InvalidUtf8 = 101,
    /// A `\u` escape that is an unpaired UTF-16 surrogate.
    LoneSurrogate = 102,
    /// Non-whitespace after the JSON document.
    TrailingData = 103,
    /// Nesting deeper than the guard's bound.
    TooDeep = 104,
    /// An event body without its `Event` wrapper.
    NoEventWrapper = 105,
    /// A value of the wrong JSON type where MISP expects an array, object or string.
    WrongType = 106,
    /// A key the rules read appears twice in one object.
    DuplicateKey = 107,
    /// A field misp-guard reads unconditionally is absent.
    MissingField = 108,
    /// A distribution level that is not a plain level number.
    BadLevel = 109,
    /// More elements or taxonomies than the evaluator's fixed bounds.
    OverCapacity = 110,
    /// A body MISP would read from another place than the guard: a `request` or
    /// `response` wrapper next to `Event`, an `Object` inside an object, an `EventReport`
    /// inside a report, a top-level `note_type_name` in analyst data.
    AmbiguousBody = 111,
    /// The (encoded) body is larger than the configured bound.
    BodyTooLarge = 120,
    /// The content decoder failed (corrupt stream).
    DecodeError = 121,
    /// The decoded body is larger than the configured bound.
    DecodedTooLarge = 122,
    /// The decoded/encoded size ratio is above the configured bound (a bomb).
    RatioExceeded = 123,
    /// Internal error (a front end could not complete the inspection).
    Internal = 130,
}

impl Reason {
    /// Stable snake_case name used in JSON decision records and the C ABI.
    pub fn code(self) -> &'static str {
        use Reason::*;
        match self {
            SourceUnknown => "source_unknown",
            DestinationUnknown => "destination_unknown",
            CompartmentUnreachable => "compartment_unreachable",
            PortNotAllowed => "port_not_allowed",
            EndpointNotAllowed => "endpoint_not_allowed",
            NonCanonicalPath => "non_canonical_path",
            MethodOverride => "method_override",
            MinimalPublishedRequired => "minimal_published_required",
            UnsupportedEncoding => "unsupported_encoding",
            UnsupportedCharset => "unsupported_charset",
            UnsupportedContentType => "unsupported_content_type",
            ProtocolUpgrade => "protocol_upgrade",
            EventBlockedTag => "event_blocked_tag",
            EventBlockedDistribution => "event_blocked_distribution",
            EventBlockedSharingGroup => "event_blocked_sharing_group",
            EventMissingRequiredTaxonomies => "event_missing_required_taxonomies",
            MissingRequiredTaxonomy => "missing_required_taxonomy",
            AttributeBlockedTag => "attribute_blocked_tag",
            AttributeBlockedDistribution => "attribute_blocked_distribution",
            AttributeBlockedSharingGroup => "attribute_blocked_sharing_group",
            AttributeBlockedType => "attribute_blocked_type",
            AttributeBlockedCategory => "attribute_blocked_category",
            AttributeMissingRequiredTaxonomies => "attribute_missing_required_taxonomies",
            ObjectBlockedDistribution => "object_blocked_distribution",
            ObjectBlockedSharingGroup => "object_blocked_sharing_group",
            ObjectBlockedType => "object_blocked_type",
            EventReportBlockedDistribution => "event_report_blocked_distribution",
            EventReportBlockedSharingGroup => "event_report_blocked_sharing_group",
            GalaxyClusterBlockedDistribution => "galaxy_cluster_blocked_distribution",
            GalaxyClusterBlockedSharingGroup => "galaxy_cluster_blocked_sharing_group",
            GalaxyClusterBlockedTag => "galaxy_cluster_blocked_tag",
            AnalystDataBlockedDistribution => "analyst_data_blocked_distribution",
            AnalystDataBlockedSharingGroup => "analyst_data_blocked_sharing_group",
            SightingBlockedDistribution => "sighting_blocked_distribution",
            SightingBlockedSharingGroup => "sighting_blocked_sharing_group",
            UserOrgNotInSharingGroup => "user_org_not_in_sharing_group",
            InvalidJson => "invalid_json",
            InvalidUtf8 => "invalid_utf8",
            LoneSurrogate => "lone_surrogate",
            TrailingData => "trailing_data",
            TooDeep => "too_deep",
            NoEventWrapper => "no_event_wrapper",
            WrongType => "wrong_type",
            DuplicateKey => "duplicate_key",
            MissingField => "missing_field",
            BadLevel => "bad_level",
            OverCapacity => "over_capacity",
            AmbiguousBody => "ambiguous_body",
            BodyTooLarge => "body_too_large",
            DecodeError => "decode_error",
            DecodedTooLarge => "decoded_too_large",
            RatioExceeded => "ratio_exceeded",
            Internal => "internal",
        }
    }

    /// `true` for reasons produced by a configured rule (these carry the legacy
    /// `. blocked by rule: ID` suffix).
    pub fn is_rule(self) -> bool {
        (20..100).contains(&(self as u16))
    }

    /// `true` for refusals decided from method, path, addresses and headers alone.
    pub fn is_request_policy(self) -> bool {
        (self as u16) < 20
    }
}

/// A refusal: reason code plus where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Why.
    pub reason: Reason,
    /// Which message was judged.
    pub side: Side,
    /// The rule set that matched, for rule reasons.
    pub ruleset: Option<RuleSetId>,
    detail: heapless::String<DETAIL_CAP>,
    pointer: heapless::String<POINTER_CAP>,
}

impl Block {
    /// A block with no detail and no pointer.
    pub fn new(reason: Reason, side: Side) -> Self {
        Block {
            reason,
            side,
            ruleset: None,
            detail: heapless::String::new(),
            pointer: heapless::String::new(),
        }
    }

    /// Sets the offending value (cut at [`DETAIL_CAP`] bytes).
    pub fn with_detail(mut self, detail: &str) -> Self {
        set_bounded(&mut self.detail, detail);
        self
    }

    /// Sets the offending value from formatting arguments (cut at [`DETAIL_CAP`]).
    pub fn with_detail_fmt(mut self, args: fmt::Arguments<'_>) -> Self {
        self.detail.clear();
        let mut w = Bounded(&mut self.detail);
        let _ = w.write_fmt(args);
        self
    }

    /// Sets the JSON pointer of the offending element (cut at [`POINTER_CAP`]).
    pub fn with_pointer(mut self, pointer: &str) -> Self {
        set_bounded(&mut self.pointer, pointer);
        self
    }

    /// Sets the rule set that matched.
    pub fn with_ruleset(mut self, ruleset: Option<RuleSetId>) -> Self {
        self.ruleset = ruleset;
        self
    }

    /// The offending value as found in the message (decoded; unescaped).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// JSON pointer (RFC 6901) of the offending element, `""` for the whole message.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// misp-guard's wording for this block (without the `request blocked:` prefix).
    pub fn message<'a>(&'a self, policy: &'a Policy) -> Message<'a> {
        Message { block: self, policy }
    }

    /// The rule id to report: the legacy `block_rules[].id`, or the instance name.
    pub fn rule_id<'a>(&self, policy: &'a Policy) -> Option<&'a str> {
        self.ruleset.map(|r| policy.ruleset_name(r))
    }
}

fn set_bounded<const N: usize>(dst: &mut heapless::String<N>, src: &str) {
    dst.clear();
    let _ = Bounded(dst).write_str(src);
}

/// A `fmt::Write` that cuts at capacity on a char boundary and marks the cut with `…`.
struct Bounded<'a, const N: usize>(&'a mut heapless::String<N>);

impl<const N: usize> fmt::Write for Bounded<'_, N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let room = N - self.0.len();
            if c.len_utf8() + '…'.len_utf8() > room {
                if !self.0.ends_with('…') && room >= '…'.len_utf8() {
                    let _ = self.0.push('…');
                }
                return Ok(());
            }
            let _ = self.0.push(c);
        }
        Ok(())
    }
}

struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0)
    }
}

/// misp-guard's wording for a [`Block`]; see [`Block::message`].
pub struct Message<'a> {
    block: &'a Block,
    policy: &'a Policy,
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reason::*;
        let b = self.block;
        let d = Esc(b.detail());
        let side = match b.side {
            Side::Request => "request",
            Side::Response => "response",
        };
        let at = Esc(b.pointer());
        match b.reason {
            SourceUnknown => write!(f, "source host {d} does not exist in instances hosts mapping"),
            DestinationUnknown => {
                write!(f, "destination host {d} does not exist in instances hosts mapping")
            }
            CompartmentUnreachable => f.write_str("cannot reach compartment"),
            PortNotAllowed => f.write_str("destination port is not allowed"),
            EndpointNotAllowed => f.write_str("endpoint not allowed"),
            NonCanonicalPath => write!(f, "endpoint not allowed: non-canonical path ({d})"),
            MethodOverride => write!(f, "endpoint not allowed: method override ({d})"),
            ProtocolUpgrade => write!(f, "endpoint not allowed: protocol upgrade ({d})"),
            MinimalPublishedRequired => {
                write!(f, "{{'minimal': 1, 'published': 1}} is required for {d} requests")
            }
            UnsupportedEncoding => write!(f, "unsupported content encoding: {d}"),
            UnsupportedCharset => write!(f, "unsupported charset: {d}"),
            UnsupportedContentType => write!(f, "unsupported content type: {d}"),
            EventBlockedTag => write!(f, "event has blocked tag: {d}"),
            EventBlockedDistribution => write!(f, "event has blocked distribution level: {d}"),
            EventBlockedSharingGroup => write!(f, "event has blocked sharing group uuid: {d}"),
            EventMissingRequiredTaxonomies => f.write_str("event is missing required taxonomies"),
            MissingRequiredTaxonomy => write!(f, "event is missing required taxonomy: {d}"),
            AttributeBlockedTag => write!(f, "attribute with a blocked tag: {d}"),
            AttributeBlockedDistribution => {
                write!(f, "attribute with a blocked distribution level: {d}")
            }
            AttributeBlockedSharingGroup => {
                write!(f, "attribute with a blocked sharing group uuid: {d}")
            }
            AttributeBlockedType => write!(f, "attribute with a blocked type: {d}"),
            AttributeBlockedCategory => write!(f, "attribute with a blocked category: {d}"),
            AttributeMissingRequiredTaxonomies => {
                f.write_str("attribute is missing required taxonomies")
            }
            ObjectBlockedDistribution => write!(f, "object with a blocked distribution level: {d}"),
            ObjectBlockedSharingGroup => write!(f, "object with a blocked sharing group uuid: {d}"),
            ObjectBlockedType => write!(f, "object with a blocked type: {d}"),
            EventReportBlockedDistribution => {
                write!(f, "event report has blocked distribution level: {d}")
            }
            EventReportBlockedSharingGroup => {
                write!(f, "event report has blocked sharing group uuid: {d}")
            }
            GalaxyClusterBlockedDistribution => {
                write!(f, "galaxy cluster has blocked distribution level: {d}")
            }
            GalaxyClusterBlockedSharingGroup => {
                write!(f, "galaxy cluster has blocked sharing group uuid: {d}")
            }
            GalaxyClusterBlockedTag => write!(f, "galaxy cluster has blocked tag: {d}"),
            AnalystDataBlockedDistribution => {
                write!(f, "analyst data has blocked distribution level: {d}")
            }
            AnalystDataBlockedSharingGroup => {
                write!(f, "analyst data has blocked sharing group uuid: {d}")
            }
            SightingBlockedDistribution => write!(f, "sighting has blocked distribution level: {d}"),
            SightingBlockedSharingGroup => write!(f, "sighting has blocked sharing group uuid: {d}"),
            UserOrgNotInSharingGroup => {
                write!(f, "user with organisation uuid: {d} (X-UserOrgUUID) not in sharing group")
            }
            InvalidJson => write!(f, "invalid JSON body: {d}"),
            InvalidUtf8 => write!(f, "invalid JSON body: invalid UTF-8 {d}"),
            LoneSurrogate => write!(f, "invalid JSON body: unpaired UTF-16 surrogate escape {d}"),
            TrailingData => write!(f, "invalid JSON body: data {d}"),
            TooDeep => write!(f, "invalid JSON body: nesting deeper than {d}"),
            NoEventWrapper => write!(f, "no `Event` property in {side} body"),
            WrongType => write!(f, "unexpected error, rejecting {side}: {at} is not {d}"),
            DuplicateKey => write!(f, "unexpected error, rejecting {side}: duplicate key {d} in {at}"),
            MissingField => {
                write!(f, "unexpected error, rejecting {side}: missing field {d} in {at}")
            }
            BadLevel => write!(
                f,
                "unexpected error, rejecting {side}: distribution level {d} at {at} is not a plain level"
            ),
            OverCapacity => write!(f, "unexpected error, rejecting {side}: {d} at {at}"),
            AmbiguousBody => write!(f, "ambiguous {side} body: MISP reads {d}"),
            BodyTooLarge => write!(f, "{side} body larger than {d} bytes"),
            DecodeError => write!(f, "undecodable {side} body: {d}"),
            DecodedTooLarge => write!(f, "decoded {side} body larger than {d} bytes"),
            RatioExceeded => write!(f, "decoded {side} body exceeds compression ratio {d}"),
            Internal => write!(f, "unexpected error, rejecting {side}: {d}"),
        }?;
        if self.policy.format() == Format::Legacy && b.reason.is_rule() {
            if let Some(id) = b.rule_id(self.policy) {
                write!(f, ". blocked by rule: {}", Esc(id))?;
            }
        }
        Ok(())
    }
}

/// The log line misp-guard writes for a refusal:
/// `request blocked: [METHOD]PATH - MESSAGE`, with traffic escaped.
pub struct LogLine<'a> {
    /// Request method as sent.
    pub method: &'a str,
    /// Request path (with query) as sent.
    pub path: &'a str,
    /// The refusal.
    pub block: &'a Block,
    /// The policy (for rule ids).
    pub policy: &'a Policy,
}

impl fmt::Display for LogLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request blocked: [{}]{} - {}",
            Esc(self.method),
            Esc(self.path),
            self.block.message(self.policy)
        )
    }
}

/// The line misp-guard logs before refusing an endpoint outside its list:
/// `rejecting non allowed request to PATH`. Present for [`Reason::EndpointNotAllowed`],
/// [`Reason::NonCanonicalPath`], [`Reason::MethodOverride`] and
/// [`Reason::ProtocolUpgrade`].
pub struct PreambleLine<'a> {
    /// Request path (with query) as sent.
    pub path: &'a str,
}

impl fmt::Display for PreambleLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejecting non allowed request to {}", Esc(self.path))
    }
}

/// What misp-guard logs for a refusal, in order: the [`PreambleLine`] (endpoint
/// refusals only), then the [`LogLine`]. Every frontend (CLI, C ABI, nginx) logs these.
pub struct RefusalLines<'a> {
    /// `rejecting non allowed request to PATH`, when [`Block::has_preamble`].
    pub preamble: Option<PreambleLine<'a>>,
    /// `request blocked: [METHOD]PATH - MESSAGE`.
    pub line: LogLine<'a>,
}

impl<'a> RefusalLines<'a> {
    /// The lines for `block` of the request `method` `path` (as sent).
    pub fn new(method: &'a str, path: &'a str, block: &'a Block, policy: &'a Policy) -> Self {
        RefusalLines {
            preamble: block.has_preamble().then_some(PreambleLine { path }),
            line: LogLine { method, path, block, policy },
        }
    }
}

impl Block {
    /// `true` when misp-guard writes a [`PreambleLine`] before the [`LogLine`].
    pub fn has_preamble(&self) -> bool {
        matches!(
            self.reason,
            Reason::EndpointNotAllowed
                | Reason::NonCanonicalPath
                | Reason::MethodOverride
                | Reason::ProtocolUpgrade
        )
    }
}
