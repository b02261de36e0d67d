//! `misp-guard check --config FILE [--json]`: load a configuration and report what is
//! wrong with it (errors, exit 2) or suspicious (warnings, exit 0); silent when clean.

use std::path::Path;
use std::process::ExitCode;

use misp_guard_core::{ConfigErrorKind, Lint};
use serde_json::{json, Value};

use crate::config::{self, LoadError};
use crate::error::CliError;
use crate::out;

/// Runs `check`.
pub fn run(path: &Path, json: bool) -> Result<ExitCode, CliError> {
    let file = crate::error::shown(path);
    let loaded = config::read_config(path).and_then(|bytes| {
        let policy = config::compile(path, &bytes)?;
        let mut lints = Vec::new();
        policy.lint(&bytes, |l| lints.push(l.clone()));
        Ok(lints)
    });
    match (loaded, json) {
        (Ok(lints), false) => {
            let lines: Vec<String> = lints.iter().map(|l| warning_line(&file, l)).collect();
            out::logs(&lines)?;
            Ok(ExitCode::SUCCESS)
        }
        (Err(e), false) => Err(e.into()),
        (Ok(lints), true) => {
            let warnings: Vec<Value> = lints.iter().map(lint_json).collect();
            report(&file, Vec::new(), warnings, ExitCode::SUCCESS)
        }
        (Err(e), true) => report(&file, vec![error_json(&e)], Vec::new(), ExitCode::from(2)),
    }
}

/// `FILE:LINE:COL: warning: message (at PATH)` (`FILE: warning: …` without a position).
fn warning_line(file: &str, l: &Lint) -> String {
    let shown = l.to_string();
    if l.line == 0 {
        let rest = shown.strip_prefix("0:0: ").unwrap_or(&shown);
        return format!("{file}: warning: {rest}");
    }
    match shown.split_once(": ") {
        Some((pos, rest)) => format!("{file}:{pos}: warning: {rest}"),
        None => format!("{file}: warning: {shown}"),
    }
}

fn lint_json(l: &Lint) -> Value {
    json!({
        "kind": l.kind.code(),
        "line": l.line,
        "column": l.column,
        "path": l.path.as_str(),
        "message": l.message.as_str(),
    })
}

fn error_json(e: &LoadError) -> Value {
    match e {
        LoadError::Invalid { err, .. } => json!({
            "kind": kind_code(err.kind),
            "line": err.line,
            "column": err.column,
            "path": err.path.as_str(),
            "message": err.message.as_str(),
        }),
        other => json!({
            "kind": "io",
            "line": 0,
            "column": 0,
            "path": "",
            "message": other.to_string(),
        }),
    }
}

fn kind_code(k: ConfigErrorKind) -> &'static str {
    match k {
        ConfigErrorKind::Io => "io",
        ConfigErrorKind::Syntax => "syntax",
        ConfigErrorKind::MissingField => "missing_field",
        ConfigErrorKind::UnknownField => "unknown_field",
        ConfigErrorKind::WrongType => "wrong_type",
        ConfigErrorKind::Invalid => "invalid",
        ConfigErrorKind::Capacity => "capacity",
        _ => "other",
    }
}

fn report(
    file: &str,
    errors: Vec<Value>,
    warnings: Vec<Value>,
    code: ExitCode,
) -> Result<ExitCode, CliError> {
    let ok = errors.is_empty();
    let doc = json!({"file": file, "ok": ok, "errors": errors, "warnings": warnings});
    out::print_or_ignore_pipe(&format!("{doc}\n"), code)
}
