//! Step one: the raw arguments, as typed.
//!
//! Accepts `--flag VALUE` and `--flag=VALUE`; `--` ends the flags; a lone `-` is a
//! positional (stdin). Values are kept as `OsString` so paths need not be UTF-8; the
//! high-level step decides what must be text.

use std::ffi::{OsStr, OsString};

use crate::error::CliError;

/// The subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `check`.
    Check,
    /// `inspect`.
    Inspect,
    /// `conformance`.
    Conformance,
    /// `--help`, `-h`, `help`.
    Help,
    /// `--version`, `-V`.
    Version,
}

/// What was typed, in order.
#[derive(Debug, Default)]
pub struct LowArgs {
    /// The subcommand (`None` when no argument was given).
    pub mode: Option<Mode>,
    /// `--help` anywhere after the subcommand.
    pub help: bool,
    /// `--config`.
    pub config: Vec<OsString>,
    /// `--method`.
    pub method: Vec<OsString>,
    /// `--path`.
    pub path: Vec<OsString>,
    /// `--src-ip`.
    pub src_ip: Vec<OsString>,
    /// `--dst-host`.
    pub dst_host: Vec<OsString>,
    /// `--dst-port`.
    pub dst_port: Vec<OsString>,
    /// `--scheme`.
    pub scheme: Vec<OsString>,
    /// `--header`, each occurrence.
    pub headers: Vec<OsString>,
    /// `--response`.
    pub response: Vec<OsString>,
    /// `--response-header`, each occurrence.
    pub response_headers: Vec<OsString>,
    /// `--json`.
    pub json: bool,
    /// Positional arguments.
    pub positional: Vec<OsString>,
}

/// Flags that take a value, with where to put it.
fn value_slot<'a>(low: &'a mut LowArgs, name: &str) -> Option<&'a mut Vec<OsString>> {
    Some(match name {
        "config" => &mut low.config,
        "method" => &mut low.method,
        "path" => &mut low.path,
        "src-ip" => &mut low.src_ip,
        "dst-host" => &mut low.dst_host,
        "dst-port" => &mut low.dst_port,
        "scheme" => &mut low.scheme,
        "header" => &mut low.headers,
        "response" => &mut low.response,
        "response-header" => &mut low.response_headers,
        _ => return None,
    })
}

impl LowArgs {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<LowArgs, CliError> {
        let mut low = LowArgs::default();
        let mut args = args.into_iter();
        let Some(first) = args.next() else {
            return Ok(low);
        };
        low.mode = Some(match first.to_str() {
            Some("check") => Mode::Check,
            Some("inspect") => Mode::Inspect,
            Some("conformance") => Mode::Conformance,
            Some("help" | "-h" | "--help") => Mode::Help,
            Some("-V" | "--version") => Mode::Version,
            _ => {
                return Err(CliError::usage(format!(
                    "unknown command {:?} (expected check, inspect or conformance)",
                    first
                )))
            }
        });
        let mut only_positional = false;
        while let Some(arg) = args.next() {
            if only_positional {
                low.positional.push(arg);
                continue;
            }
            let Some(flag) = long_flag(&arg) else {
                if arg.as_encoded_bytes().len() > 1 && arg.as_encoded_bytes()[0] == b'-' {
                    if arg == "-h" {
                        low.help = true;
                        continue;
                    }
                    return Err(CliError::usage(format!("unknown flag {:?}", arg)));
                }
                low.positional.push(arg);
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n, Some(OsString::from(v))),
                None => (flag, None),
            };
            match name {
                "" => only_positional = true,
                "help" => low.help = true,
                "json" => {
                    if inline.is_some() {
                        return Err(CliError::usage("--json takes no value"));
                    }
                    low.json = true;
                }
                _ => {
                    let name = name.to_owned();
                    let Some(slot) = value_slot(&mut low, &name) else {
                        return Err(CliError::usage(format!("unknown flag --{name}")));
                    };
                    let value = match inline {
                        Some(v) => v,
                        None => args
                            .next()
                            .ok_or_else(|| CliError::usage(format!("--{name} needs a value")))?,
                    };
                    slot.push(value);
                }
            }
        }
        Ok(low)
    }
}

/// `--name[=value]` as text after the dashes, or `None` for anything else (a
/// non-UTF-8 argument starting with `-` is then reported as an unknown flag).
fn long_flag(arg: &OsStr) -> Option<&str> {
    let s = arg.to_str()?;
    s.strip_prefix("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<LowArgs, CliError> {
        LowArgs::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn flags_take_separate_or_inline_values_and_keep_order() {
        let low = parse(&[
            "inspect",
            "--config=c.json",
            "--header",
            "A: 1",
            "--header=B: 2",
            "--json",
            "-",
        ])
        .unwrap();
        assert_eq!(low.mode, Some(Mode::Inspect));
        assert_eq!(low.config, ["c.json"]);
        assert_eq!(low.headers, ["A: 1", "B: 2"]);
        assert!(low.json);
        assert_eq!(low.positional, ["-"]);
    }

    #[test]
    fn double_dash_ends_flags() {
        let low = parse(&["inspect", "--", "--json"]).unwrap();
        assert!(!low.json);
        assert_eq!(low.positional, ["--json"]);
    }

    #[test]
    fn unknown_flags_commands_and_missing_values_are_usage_errors() {
        for args in [
            &["inspect", "--nope"][..],
            &["inspect", "-x"],
            &["frobnicate"],
            &["inspect", "--config"],
            &["inspect", "--json=1"],
        ] {
            assert!(matches!(parse(args), Err(CliError::Usage(_))), "{args:?}");
        }
    }
}
