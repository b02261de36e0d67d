//! Profiling aid: `cargo run --release -p misp-guard-core --example tokenize -- BODY [quiet|loud]`
//! runs the tokenizer alone over BODY with a sink that wants nothing (`quiet`: every
//! value validated, none delivered) or everything (`loud`), and prints the error, if
//! any, and the number of delivered bytes. Under `valgrind --tool=callgrind` it splits
//! the evaluator's cost into the tokenizer's and the rule machine's
//! (`core/src/json/PERF.md`).

use misp_guard_core::json::{Scalar, Sink, Tokenizer, ValueType};

/// Wants every value (`loud`) or none; counts what it is given.
struct Count {
    loud: bool,
    delivered: u64,
}

impl Sink for Count {
    fn value_start(&mut self, _t: ValueType) -> bool {
        self.loud
    }
    fn key(&mut self, key: Option<&[u8]>) {
        self.delivered += key.map_or(0, |k| k.len() as u64);
    }
    fn str_part(&mut self, s: &[u8]) {
        self.delivered += s.len() as u64;
    }
    fn scalar_end(&mut self, _s: Scalar<'_>) {
        self.delivered += 1;
    }
    fn container_end(&mut self) {}
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: tokenize BODY [quiet|loud]");
        std::process::exit(2);
    }
    let body = std::fs::read(&args[1]).unwrap();
    let loud = args.get(2).is_some_and(|m| m == "loud");
    let mut sink = Count { loud, delivered: 0 };
    let mut t = Tokenizer::new();
    t.feed(&body, &mut sink);
    t.finish(&mut sink);
    println!("error: {:?}\ndelivered: {}", t.error(), sink.delivered);
}
