//! The evaluator on arbitrary bodies, any chunking.
//!
//! Properties, for every input:
//! * no panic;
//! * the verdict (reason, detail, pointer, rule set) fed in random chunks of 1..=N bytes
//!   equals the verdict of the body fed in one chunk, and `Guard::new` (identity)
//!   equals `Guard::for_body` without `Content-Encoding`;
//! * the gzip-encoded body, judged through the decoder, gets the same allow/block
//!   decision (the reason may differ only in that the identity path sees a syntax
//!   error after a rule violation: see fuzz/README.md, "Known differences");
//! * a block renders to one log line (no CR/LF: traffic cannot forge log lines).
//!
//! Input: see `misp_guard_fuzz::Control` (a whitespace prefix selects the inspection).
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use misp_guard_core::decode::Limits;
use misp_guard_core::LogLine;
use misp_guard_core::{Guard, Verdict};
use misp_guard_fuzz::{chunks, headers, inspections, policies, Control, USER_ORGS};

fuzz_target!(|data: &[u8]| {
    let c = Control::read(data);
    let all = inspections();
    let (pi, insp) = all[c.inspection % all.len()];
    let policy = &policies()[pi];
    let user_org = c.user_org.map(|i| USER_ORGS[i]);

    let judge = |encoding: Option<&str>, body: &[u8], max: usize| -> Verdict {
        let h = headers(encoding, user_org);
        let mut g = Guard::for_body(policy, insp, &h, Limits::default());
        if max == usize::MAX {
            g.feed(body);
        } else {
            for ch in chunks(body, max, c.seed) {
                g.feed(ch);
            }
        }
        g.finish()
    };

    let whole = judge(None, data, usize::MAX);
    let split = judge(None, data, c.max_chunk);
    assert_eq!(whole, split, "chunking (max {}) changed the verdict", c.max_chunk);

    // the identity driver without headers
    let mut g = Guard::new(policy, insp);
    if let Some(u) = user_org {
        g.set_user_org_uuid(u.as_bytes());
    }
    g.feed(data);
    assert_eq!(g.finish(), whole, "Guard::new and Guard::for_body disagree");

    if c.gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        let gz = enc.finish().unwrap();
        let via = judge(Some("gzip"), &gz, c.max_chunk.max(3));
        assert_eq!(
            via.is_allow(),
            whole.is_allow(),
            "gzip changed the decision: {via:?} vs {whole:?}"
        );
        if let (Verdict::Block(a), Verdict::Block(b)) = (&via, &whole) {
            // the decoder stops feeding at the first block: a later syntax error is
            // seen by the identity path only
            let later_syntax = matches!(
                b.reason,
                misp_guard_core::Reason::InvalidJson
                    | misp_guard_core::Reason::InvalidUtf8
                    | misp_guard_core::Reason::LoneSurrogate
                    | misp_guard_core::Reason::TrailingData
                    | misp_guard_core::Reason::TooDeep
            );
            if !later_syntax {
                assert_eq!(a, b, "gzip changed the block");
            }
        }
    }

    if let Verdict::Block(b) = &whole {
        let line = LogLine { method: "POST", path: "/events/add", block: b, policy }.to_string();
        assert!(!line.contains('\n') && !line.contains('\r'), "log line split: {line:?}");
        let _ = b.message(policy).to_string();
        let _ = b.rule_id(policy);
    }
});
