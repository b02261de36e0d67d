//! The request-level policy: allowlist, instances, compartments, ports, endpoints.
//!
//! Order (misp-guard's): allowlisted URL, allowlisted domain (then only the source is
//! checked); otherwise source instance, destination instance, compartment, destination
//! port, endpoint; then what misp-guard does not look at: canonical path and
//! method-override headers. The legacy format checks the endpoint only, and tells
//! inbound (addressed to `proxy`) from outbound requests.

use core::fmt;

mod endpoint;

pub use endpoint::{Endpoint, ENDPOINTS};

use crate::policy::{
    same_host, BodyKind, EndpointList, Format, Inspection, MinimalSearch, Policy, RuleSetId, Side,
};
use crate::verdict::{Block, Reason};
use endpoint::{is_canonical, Traffic};

/// The request as seen on the wire.
#[derive(Clone, Copy, Debug)]
pub struct RequestInfo<'a> {
    /// Method, as sent (case-sensitive).
    pub method: &'a str,
    /// Path with query, exactly as sent (no normalisation).
    pub path: &'a str,
    /// `https` or `http`.
    pub scheme: &'a str,
    /// Source address of the connection.
    pub src_ip: &'a str,
    /// Destination host (the `Host` the client addressed).
    pub dst_host: &'a str,
    /// Destination port.
    pub dst_port: u16,
}

/// A header as sent.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// Name (compared case-insensitively).
    pub name: &'a [u8],
    /// Value bytes.
    pub value: &'a [u8],
}

/// Why a request passed the allowlist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowlisted {
    /// Its URL is in `allowlist.urls`.
    Url,
    /// Its host is in `allowlist.domains`.
    Domain,
}

/// What must happen for an allowed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Inspect the request body before forwarding it.
    pub request: Option<Inspection>,
    /// Inspect the response body before releasing it.
    pub response: Option<Inspection>,
    /// Passed through the allowlist (log [`Plan::allow_line`]).
    pub allowlisted: Option<Allowlisted>,
}

/// The request-level decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestVerdict {
    /// Go on, inspecting what the plan says.
    Allow(Plan),
    /// Refuse now; nothing reaches the upstream.
    Block(Block),
}

/// `scheme://host[:port]path`, the URL misp-guard compares with `allowlist.urls`
/// (the port is written only when it is not the scheme's default).
pub struct Url<'a>(pub &'a RequestInfo<'a>);

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.0;
        let default = matches!((r.scheme, r.dst_port), ("https", 443) | ("http", 80));
        write!(f, "{}://{}", r.scheme, r.dst_host)?;
        if !default {
            write!(f, ":{}", r.dst_port)?;
        }
        f.write_str(r.path)
    }
}

/// Compares a `Display` with a string without allocating.
fn display_eq(d: &dyn fmt::Display, s: &str) -> bool {
    struct Cmp<'a> {
        rest: &'a str,
        ok: bool,
    }
    impl fmt::Write for Cmp<'_> {
        fn write_str(&mut self, p: &str) -> fmt::Result {
            match self.rest.strip_prefix(p) {
                Some(r) => self.rest = r,
                None => self.ok = false,
            }
            Ok(())
        }
    }
    let mut c = Cmp { rest: s, ok: true };
    let _ = fmt::write(&mut c, format_args!("{d}"));
    c.ok && c.rest.is_empty()
}

impl Plan {
    fn plain() -> Self {
        Plan { request: None, response: None, allowlisted: None }
    }

    /// The info line misp-guard logs for an allowlisted request.
    pub fn allow_line<'a>(&self, req: &'a RequestInfo<'a>) -> Option<AllowLine<'a>> {
        self.allowlisted.map(|a| AllowLine { req, how: a })
    }
}

/// `url … was allowed by the allowlist` / `domain … was allowed by the allowlist`.
pub struct AllowLine<'a> {
    req: &'a RequestInfo<'a>,
    how: Allowlisted,
}

impl fmt::Display for AllowLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut esc = heapless::String::<512>::new();
        match self.how {
            Allowlisted::Url => {
                let _ = fmt::write(&mut esc, format_args!("{}", Url(self.req)));
                f.write_str("url ")?;
            }
            Allowlisted::Domain => {
                let _ = esc.push_str(self.req.dst_host);
                f.write_str("domain ")?;
            }
        }
        crate::escape::write_escaped(f, &esc)?;
        f.write_str(" was allowed by the allowlist")
    }
}

/// Header names as CGI front ends see them: case-insensitive, `_` and `-` alike
/// (`X_HTTP_METHOD_OVERRIDE` reaches PHP as `HTTP_X_HTTP_METHOD_OVERRIDE` too).
fn same_header_name(a: &[u8], b: &[u8]) -> bool {
    let norm = |c: u8| if c == b'_' { b'-' } else { c.to_ascii_lowercase() };
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| norm(x) == norm(y))
}

const OVERRIDE_HEADERS: [&[u8]; 3] =
    [b"x-http-method-override", b"x-http-method", b"x-method-override"];

/// Headers that ask to switch protocols: nginx relays an upstream's `101 Switching
/// Protocols` to a client whose request carried `Upgrade` and then copies bytes both
/// ways, past every filter (`ngx_http_upstream_upgrade`); `HTTP2-Settings` goes with
/// `Upgrade: h2c`.
const UPGRADE_HEADERS: [&[u8]; 2] = [b"upgrade", b"http2-settings"];

/// The refusal of a request that asks to switch protocols, allowlisted or not.
fn upgrade_refusal(headers: &[Header<'_>]) -> Option<Block> {
    let h = headers.iter().find(|h| UPGRADE_HEADERS.iter().any(|n| same_header_name(h.name, n)))?;
    let name = core::str::from_utf8(h.name).unwrap_or("header");
    Some(Block::new(Reason::ProtocolUpgrade, Side::Request).with_detail(name))
}

/// Why no request addressed to a destination fixed in a front end's configuration can
/// pass (see [`Policy::destination_reachable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestinationError {
    /// The host is neither an instance's `host` or `ip` nor an allowlisted domain or
    /// URL host.
    UnknownHost,
    /// The host is instance `instance`'s, whose port is `expected`.
    WrongPort {
        /// Index of the instance ([`Policy::instance`]).
        instance: usize,
        /// The instance's port.
        expected: u16,
    },
}

impl Policy {
    /// For a front end whose configuration fixes the destination of its requests:
    /// can any request addressed to `host` on `port` pass the destination checks?
    /// `port: None` means the default port of the request's scheme (443 or 80), not
    /// known yet. The legacy format has no destination table: always `Ok`.
    pub fn destination_reachable(
        &self,
        host: &str,
        port: Option<u16>,
    ) -> Result<(), DestinationError> {
        if self.format == Format::Legacy {
            return Ok(());
        }
        let url_host = |u: &str| {
            let rest = u.split_once("://").map_or(u, |(_, r)| r);
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let h = match authority.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => authority,
            };
            h.trim_start_matches('[').trim_end_matches(']') == host
        };
        if self.list(self.allow_domains).any(|d| same_host(d, host))
            || self.list(self.allow_urls).any(url_host)
        {
            return Ok(());
        }
        let Some(i) = self.instance_by_addr(host) else {
            return Err(DestinationError::UnknownHost);
        };
        let expected = self.instances[i].port;
        let ok = match port {
            Some(p) => p == expected,
            None => expected == 443 || expected == 80,
        };
        if ok {
            Ok(())
        } else {
            Err(DestinationError::WrongPort { instance: i, expected })
        }
    }

    /// Decides on a request from its method, path, addresses and headers.
    pub fn check_request(&self, req: &RequestInfo<'_>, headers: &[Header<'_>]) -> RequestVerdict {
        if let Some(b) = upgrade_refusal(headers) {
            return RequestVerdict::Block(b);
        }
        match self.format {
            Format::Current => self.check_current(req, headers),
            Format::Legacy => self.check_legacy(req, headers),
        }
    }

    fn check_current(&self, req: &RequestInfo<'_>, headers: &[Header<'_>]) -> RequestVerdict {
        let block = |r: Reason| Block::new(r, Side::Request);
        let allow_url = self.list(self.allow_urls).any(|u| display_eq(&Url(req), u));
        let allow_domain =
            !allow_url && self.list(self.allow_domains).any(|d| same_host(d, req.dst_host));
        if allow_url || allow_domain {
            if self.instance_by_addr(req.src_ip).is_none() {
                return RequestVerdict::Block(block(Reason::SourceUnknown).with_detail(req.src_ip));
            }
            let how = if allow_url { Allowlisted::Url } else { Allowlisted::Domain };
            return RequestVerdict::Allow(Plan { allowlisted: Some(how), ..Plan::plain() });
        }
        let Some(src) = self.instance_by_addr(req.src_ip) else {
            return RequestVerdict::Block(block(Reason::SourceUnknown).with_detail(req.src_ip));
        };
        let Some(dst) = self.instance_by_addr(req.dst_host) else {
            return RequestVerdict::Block(
                block(Reason::DestinationUnknown).with_detail(req.dst_host),
            );
        };
        let (sc, dc) = (self.instances[src].compartment, self.instances[dst].compartment);
        if self.can_reach[sc as usize] & (1 << dc) == 0 {
            return RequestVerdict::Block(block(Reason::CompartmentUnreachable));
        }
        if req.dst_port != self.instances[dst].port {
            return RequestVerdict::Block(block(Reason::PortNotAllowed));
        }
        let find = match self.endpoints {
            EndpointList::MispSync => Endpoint::find,
            EndpointList::MispGuard => Endpoint::find_misp_guard,
        };
        let ep = match endpoint_checks(req, headers, find) {
            Ok(ep) => ep,
            Err(b) => return RequestVerdict::Block(b),
        };
        let push = |kind| Inspection {
            kind,
            side: Side::Request,
            first: RuleSetId(src as u16),
            count: 1,
            user_org_check: false,
        };
        let pull = |kind, user_org_check| Inspection {
            kind,
            side: Side::Response,
            first: RuleSetId(dst as u16),
            count: 1,
            user_org_check,
        };
        RequestVerdict::Allow(plan_for(ep.traffic, true, push, pull, MinimalSearch::EventsIndex))
    }

    fn check_legacy(&self, req: &RequestInfo<'_>, headers: &[Header<'_>]) -> RequestVerdict {
        let ep = match endpoint_checks(req, headers, Endpoint::find_legacy) {
            Ok(ep) => ep,
            Err(b) => return RequestVerdict::Block(b),
        };
        let inbound =
            self.proxy().is_some_and(|(h, p)| same_host(h, req.dst_host) && p == req.dst_port);
        let n = self.rulesets.len() as u16;
        let all = |kind, side, user_org_check| Inspection {
            kind,
            side,
            first: RuleSetId(0),
            count: n,
            user_org_check,
        };
        let push = |kind| all(kind, Side::Request, false);
        let pull = |kind, uo| all(kind, Side::Response, uo);
        let mut plan =
            plan_for(ep.traffic, !inbound, push, pull, MinimalSearch::EventsIndexExternal);
        if !inbound {
            // misp-guard's first release checked search parameters on inbound requests only.
            if matches!(plan.request.map(|i| i.kind), Some(BodyKind::MinimalSearch(_))) {
                plan.request = None;
            }
        }
        RequestVerdict::Allow(plan)
    }
}

/// Endpoint list, canonical path, method override.
fn endpoint_checks(
    req: &RequestInfo<'_>,
    headers: &[Header<'_>],
    find: fn(&str, &str) -> Option<&'static Endpoint>,
) -> Result<&'static Endpoint, Block> {
    let block = |r: Reason| Block::new(r, Side::Request);
    let Some(ep) = find(req.method, req.path) else {
        return Err(block(Reason::EndpointNotAllowed));
    };
    if let Some(why) = is_canonical(ep, req.path) {
        return Err(block(Reason::NonCanonicalPath).with_detail(why));
    }
    for h in headers {
        if OVERRIDE_HEADERS.iter().any(|n| same_header_name(h.name, n)) {
            let name = core::str::from_utf8(h.name).unwrap_or("header");
            return Err(block(Reason::MethodOverride).with_detail(name));
        }
    }
    Ok(ep)
}

fn plan_for(
    traffic: Traffic,
    inspect_push: bool,
    push: impl Fn(BodyKind) -> Inspection,
    pull: impl Fn(BodyKind, bool) -> Inspection,
    index_label: MinimalSearch,
) -> Plan {
    let mut plan = Plan::plain();
    let push_if = |k| if inspect_push { Some(push(k)) } else { None };
    match traffic {
        Traffic::Plain | Traffic::HeadEvent => {}
        Traffic::PushEvent => plan.request = push_if(BodyKind::Event),
        Traffic::PushNewEvent => plan.request = push_if(BodyKind::EventAdd),
        Traffic::PushGalaxyClusters => plan.request = push_if(BodyKind::GalaxyClusterList),
        Traffic::PushSightings => plan.request = push_if(BodyKind::Sightings),
        Traffic::PushAnalystData => plan.request = push_if(BodyKind::AnalystData),
        Traffic::PullEvent => plan.response = Some(pull(BodyKind::Event, true)),
        Traffic::PullShadowAttributes => {
            plan.response = Some(pull(BodyKind::ShadowAttributeIndex, false))
        }
        Traffic::PullGalaxyCluster => plan.response = Some(pull(BodyKind::GalaxyCluster, false)),
        Traffic::PullSightings => plan.response = Some(pull(BodyKind::Sightings, false)),
        Traffic::PullAnalystData => plan.response = Some(pull(BodyKind::AnalystDataList, false)),
        Traffic::EventsIndex => {
            plan.request = Some(push(BodyKind::MinimalSearch(index_label)));
            plan.response = Some(pull(BodyKind::EventsIndex, false));
        }
        Traffic::GalaxyClusterSearch => {
            plan.request = Some(push(BodyKind::MinimalSearch(MinimalSearch::GalaxyClusters)));
            plan.response = Some(pull(BodyKind::GalaxyClusterSearch, false));
        }
        Traffic::SightingUuidFilter => {
            plan.request = push_if(BodyKind::UuidList);
            plan.response = Some(pull(BodyKind::UuidList, false));
        }
        Traffic::ApiDescription => plan.response = Some(pull(BodyKind::ApiDescription, false)),
        Traffic::PushProposals => plan.request = push_if(BodyKind::ProposalList),
    }
    plan
}
