//! The SIMD string scan (core/src/json/simd.rs) and the portable one must give the same
//! events and the same errors. Fed whole, string interiors go through the vector path
//! (32/16 bytes a step); fed in chunks of 1 or 7 bytes, every chunk is shorter than a
//! vector and goes through the portable scan. Random documents put quotes, backslashes,
//! controls, DEL and (valid or broken) UTF-8 at every position and alignment.

use misp_guard_core::json::{Scalar, Sink, SyntaxError, Tokenizer, ValueType};

#[derive(Default, PartialEq, Debug)]
struct Rec {
    events: Vec<String>,
    cur: Vec<u8>,
}

impl Sink for Rec {
    fn value_start(&mut self, t: ValueType) -> bool {
        self.events.push(format!("start {t:?}"));
        self.cur.clear();
        true
    }
    fn key(&mut self, key: Option<&[u8]>) {
        self.events.push(format!("key {:?}", key.map(String::from_utf8_lossy)));
    }
    fn str_part(&mut self, s: &[u8]) {
        assert!(std::str::from_utf8(s).is_ok(), "str_part must be whole characters");
        self.cur.extend_from_slice(s);
    }
    fn scalar_end(&mut self, s: Scalar<'_>) {
        match s {
            Scalar::String => {
                self.events.push(format!("str {:?}", String::from_utf8_lossy(&self.cur)))
            }
            other => self.events.push(format!("{other:?}")),
        }
    }
    fn container_end(&mut self) {
        self.events.push("end".into());
    }
}

fn run(doc: &[u8], chunk: usize) -> (Vec<String>, Option<SyntaxError>) {
    let mut t = Tokenizer::new();
    let mut r = Rec::default();
    for c in doc.chunks(chunk.max(1)) {
        t.feed(c, &mut r);
    }
    t.finish(&mut r);
    (r.events, t.error())
}

/// xorshift: deterministic, no dependency.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

const SPECIALS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\\"",
    b"\\n",
    b"\\u00e9",
    b"\\ud83d\\ude00",
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\xc3",
    b"\xff",
    b"\xed\xa0\x80",
    b" ",
];

fn random_string(seed: &mut u64, len: usize, special_rate: u64) -> Vec<u8> {
    let mut s = Vec::with_capacity(len + 8);
    while s.len() < len {
        let r = rng(seed);
        if r % special_rate == 0 {
            s.extend_from_slice(SPECIALS[(r >> 16) as usize % SPECIALS.len()]);
        } else {
            s.push(b'a' + ((r >> 8) % 26) as u8);
        }
    }
    s
}

#[test]
fn simd_and_portable_scans_agree_on_random_documents() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut errors = 0;
    for round in 0..3000 {
        let pad = (round % 40) as usize; // shifts every string's alignment
        let mut doc = Vec::new();
        doc.extend_from_slice(b"{");
        doc.extend(std::iter::repeat(b' ').take(pad));
        for k in 0..3 {
            if k > 0 {
                doc.extend_from_slice(b",\n  ");
            }
            let klen = (rng(&mut seed) % 40) as usize;
            let vlen = (rng(&mut seed) % 120) as usize;
            let rate = [7, 40, 400, 1_000_000][(rng(&mut seed) % 4) as usize];
            doc.push(b'"');
            doc.extend_from_slice(&random_string(&mut seed, klen, rate));
            doc.extend_from_slice(b"\": \"");
            doc.extend_from_slice(&random_string(&mut seed, vlen, rate));
            doc.push(b'"');
        }
        doc.extend_from_slice(b"}");
        let whole = run(&doc, doc.len());
        errors += whole.1.is_some() as usize;
        for chunk in [1, 7] {
            assert_eq!(
                run(&doc, chunk),
                whole,
                "chunks of {chunk}: {:?}",
                String::from_utf8_lossy(&doc)
            );
        }
    }
    // the generator must exercise both outcomes
    assert!(errors > 100 && errors < 2900, "{errors} invalid documents of 3000");
}

#[test]
fn plain_strings_decode_to_themselves_at_every_length() {
    for len in 0..300 {
        let s: Vec<u8> = (0..len)
            .map(|i| b' ' + (i * 7 % 95) as u8)
            .filter(|&b| b != b'"' && b != b'\\')
            .collect();
        let mut doc = b"[\"".to_vec();
        doc.extend_from_slice(&s);
        doc.extend_from_slice(b"\"]");
        let (events, err) = run(&doc, doc.len());
        assert_eq!(err, None);
        assert_eq!(events[2], format!("str {:?}", String::from_utf8_lossy(&s)));
        assert_eq!(run(&doc, 1), (events, None));
    }
}
