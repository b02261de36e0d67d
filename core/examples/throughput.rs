//! Profiling aid: `cargo run --release -p misp-guard-core --example throughput -- CONFIG BODY [ROUNDS] [CHUNK]`
//! judges BODY as an event push from the config's first instance and prints bytes/s.
//! (Use under `perf record` or `valgrind --tool=callgrind`; benches/ holds the real
//! benchmarks.)

use std::time::Instant;

use misp_guard_core::{BodyKind, Guard, Inspection, Policy, RuleSetId, Side};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: throughput CONFIG BODY [ROUNDS] [CHUNK]");
        std::process::exit(2);
    }
    let policy = Policy::from_json_slice(&std::fs::read(&args[1]).unwrap()).unwrap();
    let body = std::fs::read(&args[2]).unwrap();
    let rounds: usize = args.get(3).map_or(10, |s| s.parse().unwrap());
    let chunk: usize = args.get(4).map_or(usize::MAX, |s| s.parse().unwrap());
    let insp = Inspection {
        kind: BodyKind::Event,
        side: Side::Request,
        first: RuleSetId(0),
        count: 1,
        user_org_check: false,
    };
    let start = Instant::now();
    let mut last = None;
    for _ in 0..rounds {
        let mut g = Guard::new(&policy, insp);
        for c in body.chunks(chunk.min(body.len())) {
            g.feed(c);
        }
        last = Some(g.finish());
    }
    let secs = start.elapsed().as_secs_f64();
    let gbs = (body.len() * rounds) as f64 / secs / 1e9;
    println!("{:?}\n{} bytes x {rounds}: {gbs:.3} GB/s", last.unwrap(), body.len());
}
