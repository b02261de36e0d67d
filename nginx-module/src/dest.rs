//! `misp_guard_destination` values: `[SCHEME://]HOST[:PORT]`.
//!
//! The host is compared by the core with the instances' `host`/`ip` as written, so it is
//! passed on as found (IPv6 literals without their brackets). Without a port, the
//! scheme's default port applies (443 for https, 80 for http). The optional scheme only
//! matters for `allowlist.urls`; without it the request's own scheme applies.

/// A parsed destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Destination<'a> {
    /// `http` or `https` when the value named one.
    pub(crate) scheme: Option<&'static str>,
    /// Host name or address.
    pub(crate) host: &'a str,
    /// Port when the value named one.
    pub(crate) port: Option<u16>,
}

/// Why a destination value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DestError {
    /// No host.
    EmptyHost,
    /// A port that is not a number in 1..=65535.
    BadPort,
    /// `SCHEME://` with a scheme other than `http` or `https`.
    BadScheme,
}

/// Parses `[SCHEME://]HOST[:PORT]`.
pub(crate) fn parse(v: &str) -> Result<Destination<'_>, DestError> {
    let (scheme, rest) = if let Some(r) = strip_prefix_ci(v, "https://") {
        (Some("https"), r)
    } else if let Some(r) = strip_prefix_ci(v, "http://") {
        (Some("http"), r)
    } else if v.contains("://") {
        return Err(DestError::BadScheme);
    } else {
        (None, v)
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or(DestError::EmptyHost)?;
        match after {
            "" => (h, None),
            p => (h, Some(p.strip_prefix(':').ok_or(DestError::BadPort)?)),
        }
    } else {
        match rest.split_once(':') {
            // More than one colon: a bare IPv6 literal without a port.
            Some((_, p)) if p.contains(':') => (rest, None),
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(DestError::EmptyHost);
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(DestError::BadPort),
        },
    };
    Ok(Destination { scheme, host, port })
}

fn strip_prefix_ci<'a>(v: &'a str, prefix: &str) -> Option<&'a str> {
    let head = v.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &v[prefix.len()..])
}

/// Which default destination applies when `misp_guard_destination` is not set: the
/// server block's own name when it has a plain one (`server_name misp.example.org;`),
/// so that a client cannot pick the instance (and its rules, or an allowlisted domain)
/// with its `Host` header; only a server without such a name falls back to `$host`.
pub(crate) fn server_name_is_plain(name: &str) -> bool {
    !name.is_empty()
        && name != "_"
        && !name.starts_with('~')
        && !name.starts_with('.')
        && !name.contains('*')
}

/// The default port of a scheme.
pub(crate) fn default_port(scheme: &str) -> u16 {
    if scheme == "http" {
        80
    } else {
        443
    }
}
