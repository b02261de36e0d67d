//! Evaluator throughput: misp-guard-core against the naive and the conventional ways,
//! on the same generated bodies and the same rules (`bench_config`).
//!
//! Groups are named `<body>_<size>`; in each, the functions are
//!
//! | id            | what                                                            |
//! |---------------|-----------------------------------------------------------------|
//! | `core`        | `Guard` fed the whole buffer                                    |
//! | `core_4k`     | `Guard` fed 4 KiB chunks                                        |
//! | `core_64k`    | `Guard` fed 64 KiB chunks                                       |
//! | `core_gzip`   | gzip body (encoded once, outside the loop), 64 KiB chunks       |
//! | `core_br`     | br body (quality 5, encoded once), 64 KiB chunks                |
//! | `reference`   | serde_json `Value` DOM + walk (the property-test oracle)        |
//! | `serde_typed` | typed borrowed structs through serde_json, same rules           |
//! | `sonic_typed` | typed borrowed structs through sonic-rs, same rules             |
//! | `limit`       | memchr `memmem` count of `"name"`: one pass, no decision        |
//!
//! Throughput is in bytes of JSON judged (for gzip/br: decoded bytes). Every closure
//! asserts its verdict. The 100 MiB group runs only with `MISP_GUARD_BENCH_BIG=1`.
//! `benches/report.sh` turns the results into one table.

use core::hint::black_box;
use core::time::Duration;
use std::io::Write;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use misp_guard_benches::typed::{self, Limit, Parser};
use misp_guard_core::decode::Limits;
use misp_guard_core::Header;
use misp_guard_core::{Guard, Inspection, Policy, Progress, RequestInfo, RequestVerdict, Verdict};
use misp_guard_testkit::bodies::{analyst_data_push, Analyst, Body, Spec, Violation};
use misp_guard_testkit::reference::{Kind, Outcome, Reference, Search, Side as RSide};
use misp_guard_testkit::setup::{bench_config, instance_rules, DST_HOST, SRC_INSTANCE, SRC_IP};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// What every comparator must decide.
#[derive(Clone, Debug)]
enum Want {
    Allow,
    /// Core reason code, misp-guard message.
    Block(&'static str, String),
}

struct Env {
    policy: Policy,
    reference: Reference,
}

impl Env {
    fn new() -> Env {
        let cfg = bench_config(false);
        let policy = Policy::from_json_slice(&serde_json::to_vec(&cfg).expect("config"))
            .expect("bench config loads");
        let reference =
            Reference::new(instance_rules(&cfg, SRC_INSTANCE).expect("instance")).expect("rules");
        Env { policy, reference }
    }

    /// The inspection the policy plans for `method path` from the source instance.
    fn inspection(&self, method: &str, path: &str, side: RSide) -> Inspection {
        let req = RequestInfo {
            method,
            path,
            scheme: "https",
            src_ip: SRC_IP,
            dst_host: DST_HOST,
            dst_port: 443,
        };
        match self.policy.check_request(&req, &[]) {
            RequestVerdict::Allow(plan) => match side {
                RSide::Request => plan.request,
                RSide::Response => plan.response,
            }
            .unwrap_or_else(|| panic!("{method} {path}: nothing to inspect on {side:?}")),
            RequestVerdict::Block(b) => panic!("{method} {path} refused: {:?}", b.reason),
        }
    }
}

fn core_verdict(
    policy: &Policy,
    insp: Inspection,
    headers: &[Header<'_>],
    body: &[u8],
    chunk: usize,
) -> Verdict {
    let mut g = Guard::for_body(policy, insp, headers, Limits::default());
    for c in body.chunks(chunk.max(1)) {
        // Feed on after a block: the reported reason is then misp-guard's first one,
        // and the time is the worst case (a front end may stop at the first Blocked).
        let _: Progress = g.feed(c);
    }
    g.finish()
}

fn check_core(v: &Verdict, want: &Want, what: &str) {
    match (v, want) {
        (Verdict::Allow, Want::Allow) => {}
        (Verdict::Block(b), Want::Block(code, _)) if b.reason.code() == *code => {}
        _ => panic!("{what}: core said {v:?}, want {want:?}"),
    }
}

fn check_outcome(o: &Outcome, want: &Want, what: &str) {
    match (o, want) {
        (Outcome::Allow, Want::Allow) => {}
        (Outcome::Block(m), Want::Block(_, w)) if m == w => {}
        _ => panic!("{what}: said {o:?}, want {want:?}"),
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(body).expect("gzip");
    e.finish().expect("gzip")
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * KIB, 5, 22);
        w.write_all(body).expect("br");
    }
    out
}

fn size_name(n: usize) -> String {
    if n >= MIB {
        format!("{}MiB", n / MIB)
    } else {
        format!("{}KiB", n / KIB)
    }
}

/// Which comparators a case runs.
#[derive(Clone, Copy)]
struct Set {
    chunks: bool,
    encodings: bool,
    typed: bool,
    limit: bool,
}

const ALL: Set = Set { chunks: true, encodings: true, typed: true, limit: true };
const CORE_AND_NAIVE: Set = Set { chunks: false, encodings: false, typed: false, limit: false };
const WITH_TYPED: Set = Set { chunks: false, encodings: false, typed: true, limit: false };

struct Case<'e> {
    env: &'e Env,
    group: String,
    kind: Kind,
    side: RSide,
    insp: Inspection,
    body: Vec<u8>,
    want: Want,
}

impl Case<'_> {
    fn run(&self, c: &mut Criterion, set: Set, tune: impl Fn(&mut BenchmarkGroup<'_, WallTime>)) {
        let (env, body, want) = (self.env, &self.body[..], &self.want);
        let (kind, side, insp) = (self.kind, self.side, self.insp);
        let policy = &env.policy;

        // Once, untimed: all comparators agree with the designed verdict.
        let core_once = core_verdict(policy, insp, &[], body, body.len());
        check_core(&core_once, want, &self.group);
        if let (Verdict::Block(b), Want::Block(_, m)) = (&core_once, want) {
            let got = b.message(policy).to_string();
            if &got != m {
                eprintln!("note: {}: core words it {got:?}, misp-guard {m:?}", self.group);
            }
        }
        check_outcome(&env.reference.evaluate(kind, side, body, None), want, "reference");

        let mut g = c.benchmark_group(&self.group);
        g.throughput(Throughput::Bytes(body.len() as u64));
        tune(&mut g);
        g.bench_function("core", |b| {
            b.iter(|| {
                check_core(
                    &core_verdict(policy, insp, &[], black_box(body), body.len()),
                    want,
                    "core",
                )
            })
        });
        if set.chunks {
            for (name, chunk) in [("core_4k", 4 * KIB), ("core_64k", 64 * KIB)] {
                g.bench_function(name, |b| {
                    b.iter(|| {
                        check_core(
                            &core_verdict(policy, insp, &[], black_box(body), chunk),
                            want,
                            name,
                        )
                    })
                });
            }
        }
        if set.encodings {
            for (name, enc, coded) in
                [("core_gzip", "gzip", gzip(body)), ("core_br", "br", brotli(body))]
            {
                let headers = [Header { name: b"Content-Encoding", value: enc.as_bytes() }];
                check_core(&core_verdict(policy, insp, &headers, &coded, 64 * KIB), want, name);
                g.bench_function(name, |b| {
                    b.iter(|| {
                        let v = core_verdict(policy, insp, &headers, black_box(&coded), 64 * KIB);
                        check_core(&v, want, name)
                    })
                });
            }
        }
        g.bench_function("reference", |b| {
            b.iter(|| {
                check_outcome(
                    &env.reference.evaluate(kind, side, black_box(body), None),
                    want,
                    "reference",
                )
            })
        });
        if set.typed {
            let rules = env.reference.rules();
            for (name, p) in [("serde_typed", Parser::SerdeJson), ("sonic_typed", Parser::SonicRs)]
            {
                let once =
                    typed::evaluate(rules, p, kind, side, body, None).expect("supported kind");
                check_outcome(&once, want, name);
                g.bench_function(name, |b| {
                    b.iter(|| {
                        let o = typed::evaluate(rules, p, kind, side, black_box(body), None);
                        check_outcome(&o.expect("supported kind"), want, name)
                    })
                });
            }
        }
        if set.limit {
            let limit = Limit::default();
            let n = limit.count(body);
            assert!(n > 0);
            g.bench_function("limit", |b| b.iter(|| assert_eq!(limit.count(black_box(body)), n)));
        }
        g.finish();
    }
}

fn want_of(v: &Violation) -> Want {
    let (code, msg) = v.expected();
    Want::Block(code, msg)
}

fn tune_for(size: usize) -> impl Fn(&mut BenchmarkGroup<'_, WallTime>) {
    move |g| {
        if size >= 10 * MIB {
            g.sample_size(10);
            g.warm_up_time(Duration::from_millis(500));
            g.measurement_time(Duration::from_secs(3));
        } else if size >= MIB {
            g.sample_size(20);
            g.measurement_time(Duration::from_secs(2));
        }
    }
}

fn event_case<'e>(env: &'e Env, size: usize, prefix: &str, plant: Option<Violation>) -> Case<'e> {
    let mut spec = Spec::event(size, 42);
    let want = match &plant {
        Some(v) => {
            spec = spec.with_plant(v.clone(), 1.0);
            want_of(v)
        }
        None => Want::Allow,
    };
    Case {
        env,
        group: format!("{prefix}_{}", size_name(size)),
        kind: Kind::Event,
        side: RSide::Request,
        insp: env.inspection("POST", "/events/add", RSide::Request),
        body: spec.generate(),
        want,
    }
}

fn evaluator(c: &mut Criterion) {
    let env = Env::new();
    for size in [KIB, MIB, 10 * MIB] {
        event_case(&env, size, "event", None).run(c, ALL, tune_for(size));
    }
    // A violation in the very last attribute: everything must be read.
    let last = Violation::AttributeTag("tlp:red".into());
    event_case(&env, 10 * MIB, "event_blocked_last", Some(last)).run(
        c,
        WITH_TYPED,
        tune_for(10 * MIB),
    );

    let shadow = Case {
        env: &env,
        group: "shadow_attributes_1MiB".into(),
        kind: Kind::ShadowAttributeIndex,
        side: RSide::Response,
        insp: env.inspection(
            "GET",
            "/shadow_attributes/index/all:1/timestamp:0/limit:1000/page:1/deleted[]:0/deleted[]:1.json",
            RSide::Response,
        ),
        body: Spec::new(Body::ShadowAttributes, MIB, 7).generate(),
        want: Want::Allow,
    };
    shadow.run(c, WITH_TYPED, tune_for(MIB));

    let index = Case {
        env: &env,
        group: "events_index_1MiB".into(),
        kind: Kind::EventsIndex,
        side: RSide::Response,
        insp: env.inspection("POST", "/events/index", RSide::Response),
        body: Spec::new(Body::EventsIndex, MIB, 7).generate(),
        want: Want::Allow,
    };
    index.run(c, CORE_AND_NAIVE, tune_for(MIB));

    let clusters = Case {
        env: &env,
        group: "galaxy_clusters_1MiB".into(),
        kind: Kind::GalaxyClusterList,
        side: RSide::Request,
        insp: env.inspection("POST", "/galaxies/pushCluster", RSide::Request),
        body: Spec::new(Body::GalaxyClusters, MIB, 7).generate(),
        want: Want::Allow,
    };
    clusters.run(c, CORE_AND_NAIVE, tune_for(MIB));

    let analyst = Case {
        env: &env,
        group: "analyst_push_2KiB".into(),
        kind: Kind::AnalystData,
        side: RSide::Request,
        insp: env.inspection("POST", "/analyst_data/pushAnalystData", RSide::Request),
        body: analyst_data_push(Analyst::RelationshipToEvent, 7, None),
        want: Want::Allow,
    };
    analyst.run(c, WITH_TYPED, |_| {});

    let search = Case {
        env: &env,
        group: "events_index_search".into(),
        kind: Kind::MinimalSearch(Search::EventsIndex),
        side: RSide::Request,
        insp: env.inspection("POST", "/events/index", RSide::Request),
        body: br#"{"minimal":1,"published":1,"timestamp":"1661956302","eventid":[]}"#.to_vec(),
        want: Want::Allow,
    };
    search.run(c, CORE_AND_NAIVE, |_| {});
}

/// 100 MiB: opt-in (`MISP_GUARD_BENCH_BIG=1`); generation alone takes seconds and the
/// DOM reference needs ~1 GiB.
fn big(c: &mut Criterion) {
    if std::env::var_os("MISP_GUARD_BENCH_BIG").is_none() {
        return;
    }
    let env = Env::new();
    let set = Set { chunks: true, encodings: false, typed: true, limit: true };
    event_case(&env, 100 * MIB, "event", None).run(c, set, |g| {
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(10));
        g.sampling_mode(criterion::SamplingMode::Flat);
    });
}

criterion_group!(benches, evaluator, big);
criterion_main!(benches);
