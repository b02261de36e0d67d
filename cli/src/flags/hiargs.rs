//! Step two: the validated command.

use std::ffi::OsString;
use std::path::PathBuf;

use super::lowargs::{LowArgs, Mode};
use crate::error::CliError;

/// Environment variable naming the conformance corpus directory.
pub const CORPUS_ENV: &str = "MISP_GUARD_CONFORMANCE";
/// Default corpus directory, relative to the current directory (the repository root).
pub const CORPUS_DEFAULT: &str = "../shared/conformance";

/// The validated arguments.
#[derive(Debug)]
pub struct HiArgs {
    /// What to do.
    pub command: Command,
}

/// A command ready to run.
#[derive(Debug)]
pub enum Command {
    /// Print usage: of every command, or of one (`inspect --help`, `help inspect`).
    Help(Option<Mode>),
    /// Print the version.
    Version,
    /// Load a configuration and report.
    Check {
        /// The configuration file.
        config: PathBuf,
        /// Print one JSON report on stdout.
        json: bool,
    },
    /// Judge one exchange.
    Inspect(InspectArgs),
    /// Run the corpus.
    Conformance {
        /// The corpus directory (holding `current/`, `legacy/`, `extra/`).
        dir: PathBuf,
    },
}

/// `http` or `https`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `https` (the default).
    Https,
    /// `http`.
    Http,
}

impl Scheme {
    /// As written in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
        }
    }
}

/// A `K: V` header: name as typed, value with surrounding blanks removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderArg {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// Where a body is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyArg {
    /// No body.
    Empty,
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// `inspect`'s validated arguments.
#[derive(Debug)]
pub struct InspectArgs {
    /// The configuration file.
    pub config: PathBuf,
    /// Method, as sent.
    pub method: String,
    /// Path with query, as sent.
    pub path: String,
    /// Scheme the client used.
    pub scheme: Scheme,
    /// Source address.
    pub src_ip: String,
    /// Destination host.
    pub dst_host: String,
    /// Destination port.
    pub dst_port: u16,
    /// Request headers, in order.
    pub headers: Vec<HeaderArg>,
    /// The request body.
    pub body: BodyArg,
    /// The upstream response body and headers, if given.
    pub response: Option<(BodyArg, Vec<HeaderArg>)>,
    /// Print a JSON decision record on stdout.
    pub json: bool,
}

impl HiArgs {
    /// Validates raw arguments.
    pub fn from_low(mut low: LowArgs) -> Result<HiArgs, CliError> {
        let command = match low.mode {
            None => return Err(CliError::usage("no command given")),
            Some(Mode::Help) => {
                no_positional(&low, "help", 1)?;
                Command::Help(match low.positional.first().and_then(|t| t.to_str()) {
                    None => None,
                    Some("check") => Some(Mode::Check),
                    Some("inspect") => Some(Mode::Inspect),
                    Some("conformance") => Some(Mode::Conformance),
                    Some(t) => {
                        return Err(CliError::usage(format!(
                            "no help on {t:?} (commands: check, inspect, conformance)"
                        )))
                    }
                })
            }
            Some(m @ (Mode::Check | Mode::Inspect | Mode::Conformance)) if low.help => {
                Command::Help(Some(m))
            }
            Some(Mode::Version) => Command::Version,
            Some(Mode::Check) => {
                only_flags(&low, "check", &["config", "json"])?;
                no_positional(&low, "check", 0)?;
                let json = low.json;
                Command::Check { config: path(required(&mut low.config, "config")?), json }
            }
            Some(Mode::Conformance) => {
                only_flags(&low, "conformance", &[])?;
                no_positional(&low, "conformance", 1)?;
                let dir = match low.positional.pop() {
                    Some(d) => PathBuf::from(d),
                    None => match std::env::var_os(CORPUS_ENV) {
                        Some(d) if !d.is_empty() => PathBuf::from(d),
                        _ => PathBuf::from(CORPUS_DEFAULT),
                    },
                };
                Command::Conformance { dir }
            }
            Some(Mode::Inspect) => Command::Inspect(inspect(low)?),
        };
        Ok(HiArgs { command })
    }
}

fn inspect(mut low: LowArgs) -> Result<InspectArgs, CliError> {
    no_positional(&low, "inspect", 1)?;
    let config = path(required(&mut low.config, "config")?);
    let method = text(required(&mut low.method, "method")?, "method")?;
    let req_path = text(required(&mut low.path, "path")?, "path")?;
    let src_ip = text(required(&mut low.src_ip, "src-ip")?, "src-ip")?;
    let dst_host = text(required(&mut low.dst_host, "dst-host")?, "dst-host")?;
    let port = text(required(&mut low.dst_port, "dst-port")?, "dst-port")?;
    for (name, v) in [("method", &method), ("path", &req_path), ("src-ip", &src_ip)] {
        if v.is_empty() {
            return Err(CliError::usage(format!("--{name} must not be empty")));
        }
    }
    if dst_host.is_empty() {
        return Err(CliError::usage("--dst-host must not be empty"));
    }
    // digits only, no sign, no leading zero: the port as a URL would carry it
    let canonical = port.bytes().all(|b| b.is_ascii_digit()) && !port.starts_with('0');
    let dst_port = match port.parse::<u16>() {
        Ok(p) if p > 0 && canonical => p,
        _ => {
            return Err(CliError::usage(format!(
                "--dst-port must be a port number (1-65535), not {port:?}"
            )))
        }
    };
    let scheme = match optional(&mut low.scheme, "scheme")? {
        None => Scheme::Https,
        Some(s) => match s.to_str() {
            Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            _ => return Err(CliError::usage(format!("--scheme must be https or http, not {s:?}"))),
        },
    };
    let headers = headers(&low.headers, "header")?;
    let response_headers = headers_of(&low, "response-header")?;
    let body = match low.positional.pop() {
        None => BodyArg::Empty,
        Some(p) => body_arg(p),
    };
    let response = match optional(&mut low.response, "response")? {
        Some(r) => {
            let r = body_arg(r);
            if r == BodyArg::Stdin && body == BodyArg::Stdin {
                return Err(CliError::usage(
                    "the request body and --response cannot both be read from stdin (`-`)",
                ));
            }
            Some((r, response_headers))
        }
        None if !response_headers.is_empty() => {
            return Err(CliError::usage("--response-header needs --response FILE"))
        }
        None => None,
    };
    Ok(InspectArgs {
        config,
        method,
        path: req_path,
        scheme,
        src_ip,
        dst_host,
        dst_port,
        headers,
        body,
        response,
        json: low.json,
    })
}

fn headers_of(low: &LowArgs, flag: &str) -> Result<Vec<HeaderArg>, CliError> {
    headers(&low.response_headers, flag)
}

/// Parses `K: V` header arguments. The name must be a non-empty HTTP token; the value
/// is kept as typed except surrounding spaces and tabs (RFC 9110 optional whitespace).
fn headers(raw: &[OsString], flag: &str) -> Result<Vec<HeaderArg>, CliError> {
    raw.iter()
        .map(|h| {
            let s = h
                .to_str()
                .ok_or_else(|| CliError::usage(format!("--{flag} {h:?} is not valid UTF-8")))?;
            let bad =
                || CliError::usage(format!("--{flag} must look like 'Name: value', not {s:?}"));
            let (name, value) = s.split_once(':').ok_or_else(bad)?;
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(bad());
            }
            if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(CliError::usage(format!(
                    "--{flag} value must not contain CR, LF or NUL: {s:?}"
                )));
            }
            let value = value.trim_matches(|c| c == ' ' || c == '\t');
            Ok(HeaderArg { name: name.to_owned(), value: value.to_owned() })
        })
        .collect()
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn body_arg(p: OsString) -> BodyArg {
    if p == "-" {
        BodyArg::Stdin
    } else {
        BodyArg::File(PathBuf::from(p))
    }
}

fn path(v: OsString) -> PathBuf {
    PathBuf::from(v)
}

fn text(v: OsString, flag: &str) -> Result<String, CliError> {
    v.into_string().map_err(|v| CliError::usage(format!("--{flag} {v:?} is not valid UTF-8")))
}

/// The value of a flag that must appear exactly once.
fn required(vals: &mut Vec<OsString>, flag: &str) -> Result<OsString, CliError> {
    optional(vals, flag)?.ok_or_else(|| CliError::usage(format!("--{flag} is required")))
}

/// The value of a flag that may appear at most once (a repeated flag is ambiguous).
fn optional(vals: &mut Vec<OsString>, flag: &str) -> Result<Option<OsString>, CliError> {
    if vals.len() > 1 {
        return Err(CliError::usage(format!("--{flag} given more than once")));
    }
    Ok(vals.pop())
}

/// Refuses flags that belong to another command.
fn only_flags(low: &LowArgs, cmd: &str, allowed: &[&str]) -> Result<(), CliError> {
    let given = [
        ("config", !low.config.is_empty()),
        ("method", !low.method.is_empty()),
        ("path", !low.path.is_empty()),
        ("src-ip", !low.src_ip.is_empty()),
        ("dst-host", !low.dst_host.is_empty()),
        ("dst-port", !low.dst_port.is_empty()),
        ("scheme", !low.scheme.is_empty()),
        ("header", !low.headers.is_empty()),
        ("response", !low.response.is_empty()),
        ("response-header", !low.response_headers.is_empty()),
        ("json", low.json),
    ];
    match given.iter().find(|(name, set)| *set && !allowed.contains(name)) {
        Some((name, _)) => Err(CliError::usage(format!("--{name} is not a flag of `{cmd}`"))),
        None => Ok(()),
    }
}

fn no_positional(low: &LowArgs, cmd: &str, most: usize) -> Result<(), CliError> {
    if low.positional.len() > most {
        let extra = &low.positional[most];
        return Err(CliError::usage(format!("unexpected argument {extra:?} for `{cmd}`")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hi<S: AsRef<str>>(args: &[S]) -> Result<Command, CliError> {
        let low = LowArgs::parse(args.iter().map(|a| OsString::from(a.as_ref())))?;
        HiArgs::from_low(low).map(|h| h.command)
    }

    const BASE: [&str; 13] = [
        "inspect",
        "--config",
        "c.json",
        "--method",
        "GET",
        "--path",
        "/users/view/me.json",
        "--src-ip",
        "10.0.0.1",
        "--dst-host",
        "h.example",
        "--dst-port",
        "443",
    ];

    fn with(extra: &[&str]) -> Vec<String> {
        BASE.iter().chain(extra).map(|s| s.to_string()).collect()
    }

    #[test]
    fn inspect_defaults() {
        let Command::Inspect(a) = hi(&BASE).unwrap() else { panic!("not inspect") };
        assert_eq!(a.scheme, Scheme::Https);
        assert_eq!(a.dst_port, 443);
        assert_eq!(a.body, BodyArg::Empty);
        assert!(a.response.is_none());
        assert!(!a.json);
    }

    #[test]
    fn inspect_headers_body_and_response() {
        let args = with(&[
            "--header",
            "Content-Encoding:  gzip ",
            "--response",
            "r.json",
            "--response-header",
            "X-UserOrgUUID: abc",
            "--scheme",
            "http",
            "-",
        ]);
        let Command::Inspect(a) = hi(&args).unwrap() else { panic!("not inspect") };
        assert_eq!(
            a.headers,
            [HeaderArg { name: "Content-Encoding".into(), value: "gzip".into() }]
        );
        assert_eq!(a.body, BodyArg::Stdin);
        assert_eq!(a.scheme, Scheme::Http);
        let (r, rh) = a.response.unwrap();
        assert_eq!(r, BodyArg::File("r.json".into()));
        assert_eq!(rh[0].value, "abc");
    }

    #[test]
    fn invalid_inspect_arguments_are_usage_errors() {
        let cases: Vec<Vec<String>> = vec![
            BASE[..11].iter().map(|s| s.to_string()).collect(), // no --dst-port
            with(&["--dst-port", "1"]),
            with(&["--scheme", "ftp"]),
            with(&["--header", "NoColon"]),
            with(&["--header", "Bad Name: v"]),
            with(&["--response-header", "A: b"]),
            with(&["--response", "-", "-"]),
            with(&["a", "b"]),
        ];
        for args in cases {
            assert!(matches!(hi(&args), Err(CliError::Usage(_))), "{args:?}");
        }
        for bad in ["70000", "0", "+443", "0443", " 443", "443 ", "", "-1", "４４３"] {
            let mut port = BASE.to_vec();
            port[12] = bad;
            assert!(matches!(hi(&port), Err(CliError::Usage(_))), "--dst-port {bad:?}");
        }
    }

    #[test]
    fn check_and_conformance() {
        assert!(matches!(hi(&["check", "--config", "x"]), Ok(Command::Check { .. })));
        assert!(matches!(hi(&["check"]), Err(CliError::Usage(_))));
        assert!(matches!(
            hi(&["check", "--config", "x", "--json"]),
            Ok(Command::Check { json: true, .. })
        ));
        assert!(matches!(
            hi(&["check", "--config", "x", "--method", "GET"]),
            Err(CliError::Usage(_))
        ));
        let Ok(Command::Conformance { dir }) = hi(&["conformance", "/c"]) else { panic!() };
        assert_eq!(dir, PathBuf::from("/c"));
        assert!(matches!(
            hi(&["check", "--config", "x", "--help"]),
            Ok(Command::Help(Some(Mode::Check)))
        ));
        assert!(matches!(hi(&["inspect", "-h"]), Ok(Command::Help(Some(Mode::Inspect)))));
        assert!(matches!(hi(&["help", "conformance"]), Ok(Command::Help(Some(Mode::Conformance)))));
        assert!(matches!(hi(&["help"]), Ok(Command::Help(None))));
        assert!(hi(&["help", "nothing"]).is_err());
    }
}
