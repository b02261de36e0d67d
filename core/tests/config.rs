//! Configuration loading (`Policy::from_json_slice`, serde-json-core, no allocation):
//! every load here is checked against serde_json's reading of the same bytes
//! (`misp_guard_testkit::config`, compiled by the same builder): the same policy on
//! every corpus configuration and unusual spellings, the same error kind and JSON
//! path; positions (line:column) are pinned here.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

use misp_guard_core::{ConfigError, ConfigErrorKind as K};
use misp_guard_core::{Format, Policy};
use misp_guard_testkit::config as oracle;

fn corpus() -> PathBuf {
    std::env::var_os("MISP_GUARD_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"))
}

// --- allocation counting (per thread: tests run in parallel) ---------------------------

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (r, ALLOCS.with(Cell::get) - before)
}

#[test]
fn loading_never_allocates() {
    let current = std::fs::read(corpus().join("current/config.json")).unwrap();
    let legacy = std::fs::read(corpus().join("legacy/config.json")).unwrap();
    let escaped = edit(BASE, r#""tlp:red""#, r#""tlp:\u0072ed\ud83d\ude00""#);
    let broken = edit(BASE, "\"port\": 443,", "\"port\": \"443\",");
    for (name, json, ok) in [
        ("current", &current[..], true),
        ("legacy", &legacy[..], true),
        ("escaped", escaped.as_bytes(), true),
        ("error", broken.as_bytes(), false),
        ("syntax", b"{\"allowlist\": [1,]}", false),
    ] {
        let (r, n) = allocations(|| Policy::from_json_slice(json).map(drop));
        assert_eq!(r.is_ok(), ok, "{name}: {r:?}");
        assert_eq!(n, 0, "{name}: {n} allocations");
    }
    // The counter works.
    let (_, n) = allocations(|| std::hint::black_box(Vec::<u8>::with_capacity(8)));
    assert!(n > 0);
}

/// Loads `json`; serde_json's reading must agree (same policy, or same error kind
/// and path).
fn load(json: &[u8]) -> Result<Policy, ConfigError> {
    let r = Policy::from_json_slice(json);
    if let Some(d) = oracle::disagreement(json, &r) {
        panic!("serde_json reads it otherwise: {d}\n{}", String::from_utf8_lossy(json));
    }
    r
}

/// Loads `json`, which must load.
fn same_policy(json: &str) -> Policy {
    load(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// The error `json` is refused with.
fn error_of(json: &str) -> ConfigError {
    load(json.as_bytes()).err().expect("refused")
}

#[test]
fn corpus_configs_load_as_serde_json_reads_them() {
    for (folder, format) in [("current", Format::Current), ("legacy", Format::Legacy)] {
        let json = std::fs::read_to_string(corpus().join(folder).join("config.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let p = same_policy(&json);
        assert_eq!(p.format(), format, "{folder}");
        let instances = v.get("instances").and_then(|i| i.as_object()).map_or(0, |o| o.len());
        assert_eq!(p.instance_count(), instances, "{folder}");
        let rules = v.get("block_rules").and_then(|r| r.as_array()).map_or(instances, |a| a.len());
        assert_eq!(p.ruleset_count(), rules, "{folder}");
    }
}

#[test]
fn invalid_corpus_config_is_refused() {
    // `{}`: valid JSON, no members.
    let p = corpus().join("current/fixtures/test_invalid_config.json");
    let json = std::fs::read_to_string(p).unwrap();
    let a = error_of(&json);
    assert_eq!(a.kind, K::MissingField);
    assert_eq!(a.message.as_str(), "missing field `allowlist`");
    assert_eq!((a.line, a.column, a.path.as_str()), (1, 1, ""), "{a}");
}

/// A small current-format configuration, one member per line so that positions are
/// easy to check.
const BASE: &str = r#"{
  "allowlist": {
    "urls": ["https://feed.example/x?y"],
    "domains": ["feed.example"]
  },
  "compartments_rules": {
    "can_reach": {
      "c1": ["c1", "c2"],
      "c2": ["c1"]
    }
  },
  "instances": {
    "a": {
      "ip": "10.0.0.1",
      "host": "a.example",
      "port": 443,
      "compartment_id": "c1",
      "affiliation": "",
      "taxonomies_rules": {
        "required_taxonomies": ["tlp"],
        "allowed_tags": {"tlp": ["tlp:green", "TLP:Amber"], "pap": ["pap:red"]},
        "blocked_tags": ["tlp:red"]
      },
      "blocked_distribution_levels": ["0"],
      "blocked_sharing_groups_uuids": ["b9e656ba-b9c0-4506-83ed-7b54b43a57cb"],
      "blocked_attribute_types": ["email"],
      "blocked_attribute_categories": ["Person"],
      "blocked_object_types": ["person"]
    },
    "b": {
      "ip": "10.0.0.2",
      "host": "b.example",
      "port": 8443,
      "compartment_id": "c2",
      "affiliation": null,
      "taxonomies_rules": {},
      "blocked_distribution_levels": [],
      "blocked_sharing_groups_uuids": [],
      "blocked_attribute_types": [],
      "blocked_attribute_categories": [],
      "blocked_object_types": []
    }
  }
}"#;

const LEGACY: &str = r#"{
  "proxy": {"host": "guard.example", "port": 8888},
  "misp": {"host": "misp.example", "port": 443},
  "block_rules": [
    {
      "id": "r1",
      "description": null,
      "blocked_tags": ["tlp:red"],
      "blocked_distribution_levels": ["0", 1]
    },
    {"id": "r2"}
  ]
}"#;

/// `BASE` with `from` replaced by `to` (exactly once).
fn edit(base: &str, from: &str, to: &str) -> String {
    assert_eq!(base.matches(from).count(), 1, "ambiguous edit {from:?}");
    base.replacen(from, to, 1)
}

#[test]
fn unusual_spellings_load_identically() {
    let cases = [
        BASE.to_string(),
        LEGACY.to_string(),
        // Escapes in keys and values, numbers as levels.
        edit(BASE, r#""tlp:red""#, r#""tlp:\u0072ed", "a\"b\\c\/d\u00e9\ud83d\ude00""#),
        edit(BASE, r#""a": {"#, r#""inst\u0061nce_\u00e9": {"#),
        edit(BASE, r#"["0"]"#, r#"[0, "1", 5, 63]"#),
        edit(BASE, r#""c2": ["c1"]"#, r#""c\u0032": ["c\u0031", "c2"]"#),
        // Members in another order: instances before the compartments they use.
        r#"{"instances": {"x": {"blocked_object_types": [], "blocked_attribute_categories": [],
            "blocked_attribute_types": [], "blocked_sharing_groups_uuids": [],
            "blocked_distribution_levels": [], "taxonomies_rules": {"blocked_tags": ["a"]},
            "compartment_id": "k", "port": 1, "host": "h", "ip": "1.2.3.4"}},
            "compartments_rules": {"can_reach": {"k": ["k"]}}, "allowlist": {}}"#
            .to_string(),
        // Legacy: only the required members.
        r#"{"block_rules": [], "misp": {"port": 1, "host": "m"}, "proxy": {"host": "p", "port": 2}}"#
            .to_string(),
        // White space everywhere JSON allows it.
        BASE.replace(": ", " :\r\n\t ").replace(", ", " ,\n "),
    ];
    for json in &cases {
        same_policy(json);
    }
}

#[test]
fn escaped_strings_are_compared_unescaped() {
    let plain = same_policy(BASE);
    let escaped = same_policy(&edit(BASE, r#""tlp:red""#, r#""tl\u0070:\u0072ed""#));
    assert!(plain == escaped);
}

/// Line of the `n`th (0-based) occurrence of `marker` in `doc`.
fn line_of(doc: &str, marker: &str, n: usize) -> u32 {
    if marker == "<EOF>" {
        return doc.matches('\n').count() as u32 + 1;
    }
    let off = doc.match_indices(marker).nth(n).unwrap_or_else(|| panic!("no {marker:?}")).0;
    doc[..off].matches('\n').count() as u32 + 1
}

struct Case {
    name: &'static str,
    json: String,
    kind: K,
    path: &'static str,
    /// (marker, occurrence) whose line the error must be on.
    line: (&'static str, usize),
}

fn cases() -> Vec<Case> {
    let c = |name, json: String, kind, path, line| Case { name, json, kind, path, line };
    vec![
        c("bad JSON: trailing comma", edit(BASE, r#""c1"]"#, r#""c1",]"#), K::Syntax, "", ("\"c1\",]", 0)),
        c("bad JSON: missing colon", edit(BASE, r#""host": "b.example""#, r#""host" "b.example""#), K::Syntax, "", ("\"host\" \"b", 0)),
        c("bad JSON: bad escape", edit(BASE, r#""email""#, r#""em\ail""#), K::Syntax, "", ("em\\ail", 0)),
        c("bad JSON: lone surrogate", edit(BASE, r#""email""#, r#""\ud800x""#), K::Syntax, "", ("ud800", 0)),
        c("bad JSON: truncated", BASE[..BASE.len() - 40].to_string(), K::Syntax, "", ("<EOF>", 0)),
        c("bad JSON: trailing data", format!("{BASE}\n{{}}"), K::Syntax, "", ("<EOF>", 0)),
        c("missing field", edit(BASE, "\"port\": 8443,\n", ""), K::MissingField, "instances.b", ("\"b\": {", 0)),
        c("missing top-level field", edit(BASE, "\"allowlist\"", "\"allow_list\""), K::UnknownField, "allow_list", ("allow_list", 0)),
        c("misspelt field", edit(BASE, "\"ip\": \"10.0.0.1\",", "\"ip\": \"10.0.0.1\", \"prot\": 1,"), K::UnknownField, "instances.a.prot", ("prot", 0)),
        c("misspelt field: singular", edit(BASE, r#""blocked_tags": ["tlp:red"]"#, r#""blocked_tag": ["tlp:red"]"#), K::UnknownField, "instances.a.taxonomies_rules.blocked_tag", ("blocked_tag", 0)),
        c("misspelt field: case and separators", edit(BASE, r#""blocked_tags": ["tlp:red"]"#, r#""Blocked-Tags": ["tlp:red"]"#), K::UnknownField, "instances.a.taxonomies_rules.Blocked-Tags", ("Blocked-Tags", 0)),
        c("misspelt field: required one missing too", edit(BASE, "\"blocked_distribution_levels\": []", "\"blocked_distribution_level\": []"), K::UnknownField, "instances.b.blocked_distribution_level", ("blocked_distribution_level\"", 0)),
        c("misplaced field", edit(BASE, "\"blocked_distribution_levels\": [\"0\"],", "\"blocked_distribution_levels\": [\"0\"], \"blocked_tags\": [\"x\"],"), K::UnknownField, "instances.a.blocked_tags", ("\"blocked_tags\": [\"x\"]", 0)),
        c("field starting like a rule", edit(BASE, "\"ip\": \"10.0.0.1\",", "\"ip\": \"10.0.0.1\", \"blocked_objects\": [],"), K::UnknownField, "instances.a.blocked_objects", ("blocked_objects", 0)),
        c("misspelt field after a wrong type", edit(&edit(BASE, "\"port\": 443,", "\"port\": \"443\","), "\"ip\": \"10.0.0.2\",", "\"ip\": \"10.0.0.2\", \"IP\": 1,"), K::UnknownField, "instances.b.IP", ("\"IP\"", 0)),
        c("wrong type: port as string", edit(BASE, "\"port\": 443,", "\"port\": \"443\","), K::WrongType, "instances.a.port", ("\"443\"", 0)),
        c("wrong type: port as float", edit(BASE, "\"port\": 443,", "\"port\": 443.0,"), K::WrongType, "instances.a.port", ("443.0", 0)),
        c("invalid: port out of range", edit(BASE, "\"port\": 443,", "\"port\": 70000,"), K::Invalid, "instances.a.port", ("70000", 0)),
        c("wrong type: list as string", edit(BASE, r#""blocked_tags": ["tlp:red"]"#, r#""blocked_tags": "tlp:red""#), K::WrongType, "instances.a.taxonomies_rules.blocked_tags", ("\"blocked_tags\": \"", 0)),
        c("wrong type: list element", edit(BASE, r#"["email"]"#, r#"["email", 5]"#), K::WrongType, "instances.a.blocked_attribute_types[1]", ("\"email\", 5", 0)),
        c("wrong type: level", edit(BASE, r#"["0"]"#, r#"["0", 1.5]"#), K::WrongType, "instances.a.blocked_distribution_levels[1]", ("1.5", 0)),
        c("invalid: level out of range", edit(BASE, r#"["0"]"#, r#"["0", "64"]"#), K::Invalid, "instances.a.blocked_distribution_levels[1]", ("\"64\"", 0)),
        c("wrong type: instance", edit(BASE, "\"b\": {", "\"b\": [], \"c\": {"), K::WrongType, "instances.b", ("\"b\": []", 0)),
        c("wrong type: instance as positional array", edit(BASE, "\"b\": {", "\"b\": [\"10.0.0.2\", \"b.example\", 8443, \"c2\", null, {}, [], [], [], [], []], \"c\": {"), K::WrongType, "instances.b", ("\"b\": [", 0)),
        c("wrong type: taxonomies_rules as array", edit(BASE, "\"taxonomies_rules\": {},", "\"taxonomies_rules\": [],"), K::WrongType, "instances.b.taxonomies_rules", ("\"taxonomies_rules\": []", 0)),
        c("duplicate instance name", edit(BASE, "\"b\": {", "\"a\": {"), K::Invalid, "instances.a", ("\"a\": {", 1)),
        c("duplicate top-level member", edit(BASE, "\"instances\": {", "\"allowlist\": {}, \"instances\": {"), K::Invalid, "allowlist", ("\"allowlist\": {}", 0)),
        c("duplicate key holding a backquote", edit(BASE, r#""c2": ["c1"]"#, r#""c2": ["c1"], "c`9": [], "c`9": []"#), K::Invalid, "compartments_rules.can_reach.c`9", ("\"c`9\": []", 1)),
        c("duplicate key, path over 160 bytes", edit(BASE, r#""c2": ["c1"]"#, &format!(r#""c2": ["c1"], "{0}": [], "{0}": []"#, "k".repeat(200))), K::Invalid, Box::leak(format!("compartments_rules.can_reach.{}", "k".repeat(131)).into_boxed_str()), ("\"kkkk", 1)),
        c("unknown compartment, path over 160 bytes", edit(BASE, "\"compartment_id\": \"c2\"", "\"compartment_id\": \"c9\"").replace("\"b\": {", &format!("\"{}\": {{", "b".repeat(150))), K::Invalid, Box::leak(format!("instances.{}", "b".repeat(150)).into_boxed_str()), ("\"bbbb", 0)),
        c("duplicate can_reach source", edit(BASE, r#""c2": ["c1"]"#, r#""c1": ["c1"]"#), K::Invalid, "compartments_rules.can_reach.c1", ("\"c1\": [\"c1\"]", 0)),
        c("wrong type: document", "[1, 2]".into(), K::WrongType, "", ("[1", 0)),
        c("duplicate instance ip", edit(BASE, "\"10.0.0.2\"", "\"10.0.0.1\""), K::Invalid, "instances.b.ip", ("\"ip\"", 1)),
        c("duplicate ip, instance named with a dot", edit(&edit(BASE, "\"b\": {", "\"x.y[0]\": {"), "\"10.0.0.2\"", "\"10.0.0.1\""), K::Invalid, "instances.x.y[0].ip", ("\"ip\"", 1)),
        c("unknown compartment, escaped instance name", edit(&edit(BASE, "\"b\": {", "\"\\u0062\": {"), "\"compartment_id\": \"c2\"", "\"compartment_id\": \"c9\""), K::Invalid, "instances.b.compartment_id", ("\"c9\"", 0)),
        c("duplicate instance host", edit(BASE, "\"b.example\"", "\"a.example\""), K::Invalid, "instances.b.host", ("\"host\"", 1)),
        c("unknown compartment in compartment_id", edit(BASE, "\"compartment_id\": \"c2\"", "\"compartment_id\": \"c9\""), K::Invalid, "instances.b.compartment_id", ("\"c9\"", 0)),
        c("unknown compartment in can_reach", edit(BASE, r#""c2": ["c1"]"#, r#""c2": ["c1", "c3"]"#), K::Invalid, "compartments_rules.can_reach.c2[1]", ("\"c3\"", 0)),
        c("duplicate field", edit(BASE, "\"host\": \"b.example\",", "\"host\": \"b.example\", \"host\": \"c\","), K::Invalid, "instances.b.host", ("\"host\": \"c\"", 0)),
        c("legacy: missing id", edit(LEGACY, r#"{"id": "r2"}"#, r#"{"description": "x"}"#), K::MissingField, "block_rules[1]", ("\"description\": \"x\"", 0)),
        c("legacy: misspelt field", edit(LEGACY, r#""port": 8888"#, r#""port": 8888, "prot": true"#), K::UnknownField, "proxy.prot", ("prot", 0)),
        c("legacy: misspelt rule field", edit(LEGACY, r#""blocked_tags": ["tlp:red"]"#, r#""blocked_tag": ["tlp:red"]"#), K::UnknownField, "block_rules[0].blocked_tag", ("blocked_tag", 0)),
        c("legacy: wrong type", edit(LEGACY, r#""port": 443"#, r#""port": true"#), K::WrongType, "misp.port", ("true", 0)),
        c("legacy: rule as positional array", edit(LEGACY, r#"{"id": "r2"}"#, r#"["r2"]"#), K::WrongType, "block_rules[1]", ("[\"r2\"]", 0)),
        c("legacy: level", edit(LEGACY, r#"["0", 1]"#, r#"["0", -1]"#), K::WrongType, "block_rules[0].blocked_distribution_levels[1]", ("-1", 0)),
    ]
}

#[test]
fn errors_have_kind_path_and_position() {
    let mut failures = Vec::new();
    for case in cases() {
        let want_line = line_of(&case.json, case.line.0, case.line.1);
        {
            let loader = "serde-json-core";
            // One policy-sized result at a time (debug builds keep every temporary).
            let e = match load(case.json.as_bytes()).map(drop) {
                Ok(_) => {
                    failures.push(format!("{}: accepted", case.name));
                    continue;
                }
                Err(e) => e,
            };
            let shown = e.to_string();
            let ok = e.kind == case.kind
                && e.path.as_str() == case.path
                && e.line == want_line
                && e.column > 0
                && shown.starts_with(&format!("{}:{}: ", e.line, e.column))
                && !e.message.is_empty();
            if !ok {
                failures.push(format!(
                    "{}: {loader}: got {:?} at {}:{} path {:?}: {shown}; want {:?} at line {want_line} path {:?}",
                    case.name, e.kind, e.line, e.column, e.path.as_str(), case.kind, case.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn capacity_errors_are_clear() {
    // 65 instances: over the policy's capacity.
    let mut inst = String::new();
    for i in 0..65 {
        if i > 0 {
            inst.push(',');
        }
        inst.push_str(&format!(
            r#""i{i}": {{"ip": "10.1.0.{i}", "host": "h{i}", "port": 1, "compartment_id": "c",
            "taxonomies_rules": {{}}, "blocked_distribution_levels": [],
            "blocked_sharing_groups_uuids": [], "blocked_attribute_types": [],
            "blocked_attribute_categories": [], "blocked_object_types": []}}"#
        ));
    }
    let json = format!(
        r#"{{"allowlist": {{}}, "compartments_rules": {{"can_reach": {{"c": ["c"]}}}}, "instances": {{{inst}}}}}"#
    );
    let a = error_of(&json);
    assert_eq!((a.kind, a.path.as_str()), (K::Capacity, "instances.i64"), "{a}");
    assert_eq!(a.line, line_of(&json, "\"i64\"", 0), "{a}");
    assert!(a.message.contains("64"), "{a}");

    // A string longer than the policy's bound.
    let long = "x".repeat(300);
    let a = error_of(&edit(BASE, "\"email\"", &format!("\"{long}\"")));
    assert_eq!(a.kind, K::Capacity);
    assert_eq!(a.path.as_str(), "instances.a.blocked_attribute_types");
}

/// One instance may hold as many strings as the policy (2048 entries in all), written
/// with escapes or not: the loader's batch and scratch area are no tighter than the
/// policy (serde_json's reading has neither).
#[test]
fn long_lists_in_one_instance_load() {
    // 600 escaped tags (~6 KiB after unescaping) and 600 plain ones in one instance
    let tags: Vec<String> = (0..600).map(|i| format!("\"t\\u00e9\\/{i:04}\"")).collect();
    let types: Vec<String> = (0..600).map(|i| format!("\"type{i}\"")).collect();
    let json = edit(
        &edit(BASE, r#"["tlp:red"]"#, &format!("[{}]", tags.join(","))),
        r#"["email"]"#,
        &format!("[{}]", types.join(",")),
    );
    same_policy(&json);
    // One more than the policy holds: refused. Known difference (issue #14): the batch
    // keeps the first 2048 strings in document order and the builder sees those, so
    // the error may name another list of the instance than serde_json's reading.
    let tags: Vec<String> = (0..2049).map(|i| format!("\"t{i}\"")).collect();
    let json = edit(BASE, r#"["tlp:red"]"#, &format!("[{}]", tags.join(",")));
    let a = Policy::from_json_slice(json.as_bytes()).map(drop).unwrap_err();
    assert_eq!((a.kind, a.message.as_str()), (K::Capacity, "more than 2048 list entries"), "{a}");
    assert!(a.path.starts_with("instances.a.taxonomies_rules."), "{a}");
    // over the policy's bound through several rule sets: named at the list that does
    // not fit, under `taxonomies_rules` (it used to be named without it, at 1:1)
    let tags: Vec<String> = (0..1500).map(|i| format!("\"t{i}\"")).collect();
    let json = edit(
        BASE,
        r#""blocked_attribute_types": [],"#,
        &format!(r#""blocked_attribute_types": [{}],"#, tags.join(",")),
    );
    let json = edit(&json, r#"["tlp:red"]"#, &format!("[{}]", tags.join(",")));
    let a = error_of(&json);
    assert_eq!(
        (a.kind, a.path.as_str()),
        (K::Capacity, "instances.b.blocked_attribute_types"),
        "{a}"
    );
    let json = edit(
        BASE,
        r#""taxonomies_rules": {},"#,
        &format!(r#""taxonomies_rules": {{"blocked_tags": [{}]}},"#, tags.join(",")),
    );
    let json = edit(&json, r#"["email"]"#, &format!("[{}]", tags.join(",")));
    let a = error_of(&json);
    assert_eq!(
        (a.kind, a.path.as_str()),
        (K::Capacity, "instances.b.taxonomies_rules.blocked_tags"),
        "{a}"
    );
    assert_eq!(a.line, line_of(&json, "\"blocked_tags\"", 1), "{a}");
}

/// Every value of the sample configurations replaced by a value of another type:
/// refused (or accepted) as serde_json reads it, each wrong type worded as serde's
/// derive words it (`invalid type: string "x", expected u16`; `expected a map` where
/// serde names the Rust struct).
#[test]
fn wrong_types_are_refused_as_serde_json_refuses_them() {
    fn paths(
        v: &serde_json::Value,
        at: &mut Vec<serde_json::Value>,
        out: &mut Vec<Vec<serde_json::Value>>,
    ) {
        out.push(at.clone());
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| {
                at.push(k.clone().into());
                paths(x, at, out);
                at.pop();
            }),
            serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
                at.push(i.into());
                paths(x, at, out);
                at.pop();
            }),
            _ => {}
        }
    }
    let others = [
        r#""s\"q\u00e9""#,
        "1",
        "-2",
        "1.5",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "[1]",
        r#"{"a": 1}"#,
        "18446744073709551616",
        "-9223372036854775809",
        "1e3",
        &format!("\"{}\"", "x".repeat(100)),
    ];
    let mut wrong = 0;
    for base in [BASE, LEGACY] {
        let v: serde_json::Value = serde_json::from_str(base).unwrap();
        let mut all = Vec::new();
        paths(&v, &mut Vec::new(), &mut all);
        for at in all {
            for other in others {
                let mut w = v.clone();
                let mut node = &mut w;
                for k in &at {
                    node = match k {
                        serde_json::Value::String(s) => &mut node[s.as_str()],
                        i => &mut node[i.as_u64().unwrap() as usize],
                    };
                }
                *node = serde_json::from_str(other).unwrap();
                let json = serde_json::to_string_pretty(&w).unwrap();
                if let Err(e) = load(json.as_bytes()).map(drop) {
                    wrong += usize::from(e.kind == K::WrongType);
                }
            }
        }
    }
    assert!(wrong > 100, "{wrong} wrong types");
    // the wording, pinned (serde_json's for the same value)
    for (from, to, want) in [
        ("\"port\": 443,", "\"port\": \"443\",", "invalid type: string \"443\", expected u16"),
        (
            "\"port\": 443,",
            "\"port\": 443.0,",
            "invalid type: floating point `443.0`, expected u16",
        ),
        ("\"port\": 443,", "\"port\": true,", "invalid type: boolean `true`, expected u16"),
        ("\"port\": 443,", "\"port\": null,", "invalid type: null, expected u16"),
        ("\"port\": 443,", "\"port\": [],", "invalid type: sequence, expected u16"),
        (r#"["email"]"#, r#"["email", 5]"#, "invalid type: integer `5`, expected a string"),
        (
            r#"["0"]"#,
            r#"[-1]"#,
            "invalid type: integer `-1`, expected a distribution level (a string or an integer)",
        ),
        (
            r#"["0"]"#,
            r#"[{}]"#,
            "invalid type: map, expected a distribution level (a string or an integer)",
        ),
        (
            r#""blocked_tags": ["tlp:red"]"#,
            r#""blocked_tags": "tl\"p""#,
            "invalid type: string \"tl\\\"p\", expected a sequence",
        ),
        (
            "\"taxonomies_rules\": {},",
            "\"taxonomies_rules\": 1,",
            "invalid type: integer `1`, expected a map",
        ),
        ("\"port\": 443,", "\"port\": 70000,", "invalid value: integer `70000`, expected u16"),
    ] {
        let e = error_of(&edit(BASE, from, to));
        assert_eq!(e.message.as_str(), want, "{to}");
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing() {
    let json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(error_of(&json).kind, K::Syntax);
}

#[test]
fn every_truncation_of_a_config_is_refused() {
    for n in 0..LEGACY.len() {
        let a = error_of(&LEGACY[..n]);
        assert_eq!(a.kind, K::Syntax, "at {n}: {a}");
        // at the end of the input (its last byte), on its last line
        let text = LEGACY[..n].trim_end_matches(['\n']);
        assert_eq!(a.line as usize, text.matches('\n').count() + 1, "at {n}: {a}");
    }
}

/// Every one-byte deletion and a few one-byte replacements of the sample configurations:
/// the loader accepts the documents serde_json's reading accepts (with equal policies)
/// and refuses the others with the same kind and path.
#[test]
fn serde_json_agrees_on_every_small_mutation() {
    let mut mismatches = Vec::new();
    for base in [BASE, LEGACY] {
        let bytes = base.as_bytes();
        let mut docs: Vec<Vec<u8>> = Vec::new();
        for i in 0..bytes.len() {
            let mut d = bytes.to_vec();
            d.remove(i);
            docs.push(d);
            for r in [b'"', b'1', b'[', b'{', b'x', b','] {
                if i % 7 == 0 && bytes[i] != r {
                    let mut d = bytes.to_vec();
                    d[i] = r;
                    docs.push(d);
                }
            }
        }
        for d in docs {
            let loaded = Policy::from_json_slice(&d);
            if let Some(m) = oracle::disagreement(&d, &loaded) {
                mismatches
                    .push(format!("{}\n  {m}", String::from_utf8_lossy(&d).replace('\n', " ")));
            }
        }
    }
    let all = mismatches.len();
    mismatches.truncate(10);
    assert!(mismatches.is_empty(), "{all} mismatches:\n{}", mismatches.join("\n"));
}

/// misp-guard's `config.schema.json` allows keys it does not define: annotated
/// configurations load, to the same rules as without the annotations, and every
/// ignored key is listed with its path and position.
#[test]
fn annotation_keys_are_ignored_and_listed() {
    let annotated = edit(
        &edit(
            &edit(
                &edit(
                    BASE,
                    "{\n  \"allowlist\": {",
                    "{\n  \"comment\": \"top\",\n  \"allowlist\": {\"note\": 1, ",
                ),
                "\"ip\": \"10.0.0.1\",",
                "\"ip\": \"10.0.0.1\", \"_comment\": {\"nested\": [1, {\"blocked_tags\": []}]},",
            ),
            "\"required_taxonomies\": [\"tlp\"],",
            "\"required_taxonomies\": [\"tlp\"], \"owner\": null,",
        ),
        "\"can_reach\": {",
        "\"description\": \"who reaches whom\", \"can_reach\": {",
    );
    let (plain_rules, plain_ignored) = rules_and_ignored(BASE);
    assert!(plain_ignored.is_empty());
    let (rules, ignored) = rules_and_ignored(&annotated);
    // Without the ignored keys, the same rules.
    assert_eq!(rules, plain_rules);
    let shown: Vec<(&str, u32)> = ignored.iter().map(|k| (k.path.as_str(), k.line)).collect();
    let want = [
        ("comment", line_of(&annotated, "\"comment\"", 0)),
        ("allowlist.note", line_of(&annotated, "\"note\"", 0)),
        ("compartments_rules.description", line_of(&annotated, "\"description\"", 0)),
        ("instances.a._comment", line_of(&annotated, "\"_comment\"", 0)),
        ("instances.a.taxonomies_rules.owner", line_of(&annotated, "\"owner\"", 0)),
    ];
    assert_eq!(shown, want);
    // columns point at the key's opening quote
    let k = &ignored[1];
    let line = annotated.lines().nth(k.line as usize - 1).unwrap();
    assert_eq!(&line[k.column as usize - 1..][..6], "\"note\"");
    let shown = k.to_string();
    assert_eq!(
        shown,
        format!("{}:{}: key ignored (no rule reads it) (at allowlist.note)", k.line, k.column)
    );

    // Legacy: the first release read its file with plain lookups.
    let legacy = edit(LEGACY, r#""id": "r1","#, r#""id": "r1", "comment": "x","#);
    let (_, ignored) = rules_and_ignored(&legacy);
    let paths: Vec<&str> = ignored.iter().map(|k| k.path.as_str()).collect();
    assert_eq!(paths, ["block_rules[0].comment"]);
}

/// Loads `json` (serde_json agreeing) and keeps only the policy's rules
/// (its `Debug` rendering without the ignored keys) and its ignored keys: one
/// policy-sized value at a time on the stack of debug builds.
#[inline(never)]
fn rules_and_ignored(json: &str) -> (String, Vec<misp_guard_core::IgnoredKey>) {
    let p = same_policy(json);
    let ignored = p.ignored_keys().to_vec();
    let rules = format!("{p:?}").replace(&format!("{ignored:?}"), "");
    (rules, ignored)
}

/// More ignored keys than the policy keeps: the same rules load, the rest is counted.
#[test]
fn ignored_keys_beyond_the_list_are_counted() {
    let n = misp_guard_core::limits::MAX_IGNORED + 5;
    let notes: String = (0..n).map(|i| format!("\"note{i}\": {i}, ")).collect();
    let json = edit(BASE, "\"ip\": \"10.0.0.2\",", &format!("{notes}\"ip\": \"10.0.0.2\","));
    let p = same_policy(&json);
    assert_eq!(p.ignored_keys().len(), misp_guard_core::limits::MAX_IGNORED);
    assert_eq!(p.ignored_keys_not_shown(), 5);
    assert_eq!(p.ignored_keys()[0].path.as_str(), "instances.b.note0");
    drop(p);
    let (rules, _) = rules_and_ignored(&json);
    assert_eq!(rules.replace(", more: 5", ", more: 0"), rules_and_ignored(BASE).0);
}

/// A refused key is quoted whole or visibly cut (`…`), never cut mid-word: the
/// message used to end in ``… `blocked_attribute_ty``.
#[test]
fn long_messages_are_never_cut_silently() {
    let long = format!("blocked_tags_{}", "x".repeat(300));
    let json = edit(BASE, r#""blocked_tags": ["tlp:red"]"#, &format!(r#""{long}": ["tlp:red"]"#));
    {
        let e = error_of(&json);
        assert_eq!(e.kind, K::UnknownField, "{e}");
        assert!(e.message.ends_with("(refused: ignoring it could switch a rule off)"), "{e}");
        assert!(
            e.message.starts_with("unknown field `blocked_tags_xxx") && e.message.contains("x…`"),
            "{e}"
        );
    }
    let e = misp_guard_core::ConfigError::semantic(K::Invalid, "", &"y".repeat(300));
    assert!(e.message.ends_with('…') && e.message.len() <= 200, "{}", e.message);
}

/// A destination fixed in a front end's configuration (nginx `misp_guard_destination`)
/// is checked against the rules at load: an instance's host or ip on its port, or an
/// allowlisted domain.
#[test]
fn fixed_destinations_are_checked_against_the_rules() {
    use misp_guard_core::DestinationError as D;
    let p = Policy::from_json_slice(BASE.as_bytes()).unwrap();
    assert_eq!(p.destination_reachable("a.example", None), Ok(()));
    assert_eq!(p.destination_reachable("a.example", Some(443)), Ok(()));
    assert_eq!(p.destination_reachable("10.0.0.1", Some(443)), Ok(()));
    assert_eq!(
        p.destination_reachable("a.example", Some(8443)),
        Err(D::WrongPort { instance: 0, expected: 443 })
    );
    assert_eq!(
        p.destination_reachable("b.example", None),
        Err(D::WrongPort { instance: 1, expected: 8443 })
    );
    assert_eq!(p.destination_reachable("b.example", Some(8443)), Ok(()));
    assert_eq!(p.destination_reachable("feed.example", Some(1)), Ok(()));
    assert_eq!(p.destination_reachable("c.example", None), Err(D::UnknownHost));
    // host names compare as DNS names do: any case, `host.` is `host`
    assert_eq!(p.destination_reachable("A.EXAMPLE", None), Ok(()));
    assert_eq!(p.destination_reachable("a.example.", Some(443)), Ok(()));
    assert_eq!(p.destination_reachable("FEED.example.", Some(1)), Ok(()));
    assert_eq!(p.destination_reachable("a.example..", None), Err(D::UnknownHost));
}

/// `endpoints` (optional, top level, current format): read as serde_json reads it,
/// way, default to MISP's sync calls, and refuse another value or type at the key.
#[test]
fn the_endpoint_list_key_loads_identically_and_defaults_to_misp_sync() {
    use misp_guard_core::EndpointList;
    let base = std::fs::read_to_string(corpus().join("current/config.json")).unwrap();
    assert_eq!(list_of(&base), EndpointList::MispSync);
    for (value, list) in
        [("misp-guard", EndpointList::MispGuard), ("misp-sync", EndpointList::MispSync)]
    {
        let json = base.replacen('{', &format!("{{\n  \"endpoints\": \"{value}\","), 1);
        assert_eq!(list_of(&json), list, "{value}");
        // after the instances too
        let moved = format!(
            "{{{}, \"endpoints\": \"{value}\"}}",
            &base[base.find('{').unwrap() + 1..base.rfind('}').unwrap()]
        );
        assert_eq!(list_of(&moved), list, "{value} last");
    }
    for (value, kind) in [
        ("\"all\"", K::Invalid),
        ("\"MISP-GUARD\"", K::Invalid),
        ("1", K::WrongType),
        ("[\"misp-guard\"]", K::WrongType),
    ] {
        let json = base.replacen('{', &format!("{{\n  \"endpoints\": {value},"), 1);
        let a = error_of(&json);
        assert_eq!(a.kind, kind, "{value}: {a}");
        assert_eq!(a.path.as_str(), "endpoints", "{value}");
        assert_eq!((a.line, a.column), (2, 3), "{value}: {a}");
    }
    // twice is refused, as every top-level key
    let twice =
        base.replacen('{', "{\n  \"endpoints\": \"misp-sync\", \"endpoints\": \"misp-guard\",", 1);
    let a = error_of(&twice);
    assert_eq!((a.kind, a.path.as_str()), (K::Invalid, "endpoints"), "{a}");
}

/// The endpoint list `json` loads with (serde_json agreeing); a frame of its own, so
/// that the policies (~90 KiB each) do not pile up in the test's frame.
fn list_of(json: &str) -> misp_guard_core::EndpointList {
    same_policy(json).endpoint_list()
}
