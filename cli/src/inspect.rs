//! `misp-guard inspect`: one exchange through [`decide`], logs to stderr, optional JSON
//! record on stdout, exit 0 allow / 1 block.

use std::fs::File;
use std::io;
use std::process::ExitCode;

use misp_guard_core::Header;
use misp_guard_core::RequestInfo;

use crate::body::Body;
use crate::config::load_policy;
use crate::decide::{decide, Exchange, Response};
use crate::error::CliError;
use crate::flags::{BodyArg, HeaderArg, InspectArgs};
use crate::{out, record};

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let policy = load_policy(&args.config)?;
    // Open every input before deciding, so a wrong path is a usage problem whatever
    // the verdict would have been.
    let request_body = open(&args.body, "request body")?;
    let response = match &args.response {
        Some((body, headers)) => Some((open(body, "response")?, headers)),
        None => None,
    };
    let request_headers = as_headers(&args.headers);
    let response_headers = response.as_ref().map(|(_, h)| as_headers(h)).unwrap_or_default();
    let ex = Exchange {
        req: RequestInfo {
            method: &args.method,
            path: &args.path,
            scheme: args.scheme.as_str(),
            src_ip: &args.src_ip,
            dst_host: &args.dst_host,
            dst_port: args.dst_port,
        },
        request_headers: &request_headers,
        request_body,
        response: response.map(|(body, _)| Response { headers: &response_headers, body }),
    };
    let decision = decide(&policy, ex).map_err(|e| CliError::Io(e.to_string()))?;
    out::logs(&decision.logs)?;
    if args.json {
        out::stdout(&record::render(&policy, &decision))?;
    }
    Ok(if decision.block.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn as_headers(h: &[HeaderArg]) -> Vec<Header<'_>> {
    h.iter().map(|h| Header { name: h.name.as_bytes(), value: h.value.as_bytes() }).collect()
}

fn open(arg: &BodyArg, what: &str) -> Result<Body<'static>, CliError> {
    Ok(match arg {
        BodyArg::Empty => Body::Empty,
        BodyArg::Stdin => Body::Reader(Box::new(io::stdin().lock())),
        BodyArg::File(p) => {
            let fail = |e: &io::Error| {
                CliError::io(format!("cannot open {what} {}", crate::error::shown(p)), e)
            };
            let f = File::open(p).map_err(|e| fail(&e))?;
            // A directory opens on Unix but cannot be read: refuse it now, whether or
            // not this call's verdict reads the body.
            if f.metadata().map_err(|e| fail(&e))?.is_dir() {
                return Err(fail(&io::Error::other("is a directory")));
            }
            Body::Reader(Box::new(f))
        }
    })
}
