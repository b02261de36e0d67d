//! Peak-memory probe for `benches/report.sh` (run under `/usr/bin/time -v`).
//!
//! ```text
//! rss gen PATH [MIB] [blocked] write a generated event of MIB MiB (default 100) to PATH
//!                             (`blocked`: with a `tlp:red` tag on the last attribute)
//! rss config PATH [SRC_IP]    write the bench configuration, source instance at SRC_IP
//! rss core PATH [CHUNK]       stream PATH through Guard in CHUNK-byte reads (default 64 KiB)
//! rss reference PATH          read PATH whole, serde_json DOM + walk
//! rss sonic PATH              read PATH whole, typed structs through sonic-rs
//! ```
//!
//! Generation is a separate invocation so that the measured peak is the evaluator's
//! alone. Each mode prints `verdict bytes seconds MB/s` on one line.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::process::ExitCode;
use std::time::Instant;

use misp_guard_benches::typed::{self, Parser};
use misp_guard_core::decode::Limits;
use misp_guard_core::{Guard, Policy, RequestInfo, RequestVerdict, Verdict};
use misp_guard_testkit::bodies::{Spec, Violation};
use misp_guard_testkit::reference::{Kind, Reference, Side};
use misp_guard_testkit::setup::{bench_config, instance_rules, DST_HOST, SRC_INSTANCE, SRC_IP};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rss: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    let path = args.get(1).ok_or("usage: rss gen|core|reference|sonic PATH [N]")?;
    let num = |i: usize, d: usize| -> Result<usize, String> {
        args.get(i).map_or(Ok(d), |s| s.parse().map_err(|e| format!("{s}: {e}")))
    };
    let cfg = bench_config(false);
    let started = Instant::now();
    let (verdict, bytes) = match mode {
        "gen" => {
            let mib = num(2, 100)?;
            let f = File::create(path).map_err(|e| format!("{path}: {e}"))?;
            let mut spec = Spec::event(mib << 20, 42);
            if args.get(3).map(String::as_str) == Some("blocked") {
                spec = spec.with_plant(Violation::AttributeTag("tlp:red".into()), 1.0);
            }
            let n = spec.write_to(BufWriter::new(f)).map_err(|e| format!("{path}: {e}"))?;
            ("written".to_string(), n)
        }
        "config" => {
            let mut cfg = cfg.clone();
            if let Some(ip) = args.get(2) {
                cfg["instances"][SRC_INSTANCE]["ip"] = serde_json::Value::String(ip.clone());
            }
            let text = serde_json::to_string_pretty(&cfg).map_err(|e| e.to_string())?;
            std::fs::write(path, &text).map_err(|e| format!("{path}: {e}"))?;
            ("written".to_string(), text.len() as u64)
        }
        "core" => {
            let chunk = num(2, 64 * 1024)?;
            let bytes = serde_json::to_vec(&cfg).map_err(|e| e.to_string())?;
            let policy = Policy::from_json_slice(&bytes).map_err(|e| e.to_string())?;
            let req = RequestInfo {
                method: "POST",
                path: "/events/add",
                scheme: "https",
                src_ip: SRC_IP,
                dst_host: DST_HOST,
                dst_port: 443,
            };
            let insp = match policy.check_request(&req, &[]) {
                RequestVerdict::Allow(plan) => plan.request.ok_or("no inspection planned")?,
                RequestVerdict::Block(b) => return Err(format!("request refused: {:?}", b.reason)),
            };
            let mut g = Guard::for_body(&policy, insp, &[], Limits::default());
            let mut f = File::open(path).map_err(|e| format!("{path}: {e}"))?;
            let mut buf = vec![0u8; chunk.max(1)];
            let mut total = 0u64;
            loop {
                let n = f.read(&mut buf).map_err(|e| format!("{path}: {e}"))?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                g.feed(&buf[..n]);
            }
            let v = match g.finish() {
                Verdict::Allow => "allow".to_string(),
                Verdict::Block(b) => format!("block:{}", b.reason.code()),
            };
            (v, total)
        }
        "reference" | "sonic" => {
            let body = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            let inst = instance_rules(&cfg, SRC_INSTANCE).ok_or("no instance")?;
            let r = Reference::new(inst)?;
            let o = if mode == "reference" {
                r.evaluate(Kind::Event, Side::Request, &body, None)
            } else {
                typed::evaluate(r.rules(), Parser::SonicRs, Kind::Event, Side::Request, &body, None)
                    .ok_or("unsupported")?
            };
            (format!("{o:?}"), body.len() as u64)
        }
        other => return Err(format!("unknown mode {other:?}")),
    };
    let secs = started.elapsed().as_secs_f64();
    println!("{verdict} {bytes} {secs:.3} {:.1}", bytes as f64 / secs / 1e6);
    Ok(())
}
