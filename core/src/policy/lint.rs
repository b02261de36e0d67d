//! Warnings about a configuration that loaded: what it says that no request can ever
//! match, and the keys it ignored. Nothing here changes a decision; front ends show
//! them (`misp-guard check`, nginx at load).

use core::fmt::Write as _;

use super::error::{push_cut, push_cut_marked};
use super::load::position_of_path;
use super::load::scan::{line_col, unescape, Scan};
use super::{Format, Policy};

/// What a [`Lint`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LintKind {
    /// A key no rule reads (ignored, as misp-guard does).
    IgnoredKey,
    /// An instance `ip` that is not an IPv4 or IPv6 address: no request comes from it.
    BadAddress,
    /// An instance `port` 0: no request is addressed to it.
    BadPort,
    /// A blocked distribution level above 5: MISP has none, and the guard refuses
    /// such a value in a body anyway.
    LevelNeverSeen,
    /// An instance whose compartment no `can_reach` list names: no request (but an
    /// allowlisted one) can be addressed to it.
    Unreachable,
}

impl LintKind {
    /// A stable name (`ignored_key`, …) for machine-readable output.
    pub fn code(self) -> &'static str {
        match self {
            LintKind::IgnoredKey => "ignored_key",
            LintKind::BadAddress => "bad_address",
            LintKind::BadPort => "bad_port",
            LintKind::LevelNeverSeen => "level_never_seen",
            LintKind::Unreachable => "unreachable_instance",
        }
    }
}

/// One warning, with its position (1-based; 0 when it has none, e.g. the count of
/// ignored keys not listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lint {
    /// What.
    pub kind: LintKind,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// JSON path (`instances.a.ip`), may be empty.
    pub path: heapless::String<160>,
    /// Human-readable message.
    pub message: heapless::String<200>,
}

impl core::fmt::Display for Lint {
    /// `LINE:COL: message (at PATH)` on one line; a front end prefixes the file name.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}:{}: ", self.line, self.column)?;
        crate::escape::write_escaped(f, &self.message)?;
        if !self.path.is_empty() {
            f.write_str(" (at ")?;
            crate::escape::write_escaped(f, &self.path)?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl Policy {
    /// Calls `f` with every warning about this policy, in a fixed order (ignored keys
    /// in document order, then per instance / rule set). `json` must be the document
    /// the policy was loaded from (for positions). Allocates nothing.
    pub fn lint(&self, json: &[u8], mut f: impl FnMut(&Lint)) {
        // A warning at `path`, positioned where the path points (the key of a member).
        let mut lint = |kind, path: &str, at: Option<(u32, u32)>, msg: core::fmt::Arguments<'_>| {
            let mut l = Lint {
                kind,
                line: 0,
                column: 0,
                path: heapless::String::new(),
                message: heapless::String::new(),
            };
            push_cut(&mut l.path, path);
            let mut m = heapless::String::<400>::new();
            let _ = m.write_fmt(msg);
            push_cut_marked(&mut l.message, &m);
            let found = || position_of_path(json, path).map(|off| line_col(json, off));
            if let Some((line, column)) = at.or_else(|| found().filter(|_| !path.is_empty())) {
                (l.line, l.column) = (line, column);
            }
            f(&l);
        };
        for k in self.ignored_keys() {
            let key = k.path.rsplit('.').next().unwrap_or("");
            let at = Some((k.line, k.column));
            lint(
                LintKind::IgnoredKey,
                &k.path,
                at,
                format_args!("key `{key}` ignored: no rule reads it"),
            );
        }
        if self.ignored_keys_not_shown() > 0 {
            let n = self.ignored_keys_not_shown();
            lint(LintKind::IgnoredKey, "", None, format_args!("and {n} more ignored keys"));
        }
        let mut path = heapless::String::<160>::new();
        for inst in self.instances.iter() {
            let name = self.s(inst.name);
            let ip = self.s(inst.ip);
            path.clear();
            let _ = write!(path, "instances.{name}");
            let base = path.len();
            if !is_ip(ip) {
                let _ = path.push_str(".ip");
                lint(
                    LintKind::BadAddress,
                    &path,
                    None,
                    format_args!("`{ip}` is not an IP address: no request can come from it"),
                );
                path.truncate(base);
            }
            if inst.port == 0 {
                let _ = path.push_str(".port");
                lint(
                    LintKind::BadPort,
                    &path,
                    None,
                    format_args!("port 0: no request is addressed to it"),
                );
                path.truncate(base);
            }
            let c = inst.compartment;
            if !self.can_reach.iter().any(|m| m & (1 << c) != 0) {
                let _ = path.push_str(".compartment_id");
                let comp = self.s(self.compartments[c as usize]);
                lint(
                    LintKind::Unreachable,
                    &path,
                    None,
                    format_args!(
                        "no compartment can reach `{comp}`: only allowlisted requests can be \
                         addressed to instance `{name}`"
                    ),
                );
                path.truncate(base);
            }
        }
        for (i, r) in self.rulesets.iter().enumerate() {
            if r.blocked_levels >> 6 == 0 {
                continue;
            }
            path.clear();
            let _ = match self.format {
                Format::Current => write!(path, "instances.{}", self.s(r.name)),
                Format::Legacy => write!(path, "block_rules[{i}]"),
            };
            let _ = path.push_str(".blocked_distribution_levels");
            let base = path.len();
            for n in 0.. {
                path.truncate(base);
                let _ = write!(path, "[{n}]");
                let Some(off) = position_of_path(json, &path) else { break };
                match level_at(json, off) {
                    Some(level) if level > 5 => lint(
                        LintKind::LevelNeverSeen,
                        &path,
                        None,
                        format_args!(
                            "distribution level {level} does not exist (MISP's are 0-5): it \
                             never matches"
                        ),
                    ),
                    _ => {}
                }
            }
        }
    }
}

/// The configured level at `off` (a string or an integer), as the builder reads it.
fn level_at(json: &[u8], off: usize) -> Option<u32> {
    let mut s = Scan { b: json, i: off };
    let start = s.i;
    let mut buf = [0u8; 8];
    let text = if s.peek() == Some(b'"') {
        let mut end = start + 1;
        while *json.get(end)? != b'"' {
            end += 1 + usize::from(json[end] == b'\\');
        }
        unescape(&json[start + 1..end], &mut buf)?
    } else {
        s.value().ok()?;
        core::str::from_utf8(&json[start..s.i]).ok()?
    };
    text.parse().ok()
}

/// An IPv4 or IPv6 address as written (what a peer address is compared with).
fn is_ip(s: &str) -> bool {
    s.parse::<core::net::IpAddr>().is_ok()
}
