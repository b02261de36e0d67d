//! Writes the committed seed corpora (`fuzz/seeds/<target>/`): small MISP-like bodies
//! of our own making, prefixed for the evaluator target with the whitespace control
//! that selects a matching inspection. Run from `fuzz/`: `cargo run --example seeds`.
//! (The conformance fixtures are added at run time by scripts/fuzz-smoke.sh as an extra,
//! read-only seed directory; they are never copied here.)

use std::io::Write;
use std::path::Path;

use misp_guard_core::BodyKind;
use misp_guard_fuzz::{
    inspections, prefix, CHUNK_SHIFT, GZIP, OWN_CURRENT, OWN_LEGACY, USER_ORG, UUID,
};

const SG: &str = r#""SharingGroup":{"uuid":"b9e656ba-b9c0-4506-83ed-7b54b43a57cb","SharingGroupOrg":[{"Organisation":{"uuid":"55f6ea5e-2c60-40e5-964f-47a8950d210f"}}],"SharingGroupServer":[{"all_orgs":false}]}"#;

fn event(extra: &str, attr: &str) -> String {
    format!(
        r#"{{"Event":{{"info":"seed","distribution":"3","Tag":[{{"name":"tlp:green"}},{{"name":"PAP:GREEN"}},{{"name":"admiralty-scale:source-reliability=\"a\""}}],"Attribute":[{{"type":"ip-dst","category":"Network activity","value":"198.51.100.1","distribution":"5","Tag":[{{"name":"tlp:green"}},{{"name":"PAP:CLEAR"}},{{"name":"admiralty-scale:x"}}]{attr}}}],"Object":[{{"name":"domain-ip","distribution":"5","Attribute":[{{"type":"domain","category":"Network activity","value":"example.org","Tag":[{{"name":"tlp:clear"}},{{"name":"PAP:CLEAR"}},{{"name":"admiralty-scale:x"}}]}}],"Note":[{{"distribution":"5","note":"n"}}]}}],"EventReport":[{{"name":"r","distribution":"5"}}],"Galaxy":[{{"name":"g","GalaxyCluster":[{{"tag_name":"misp-galaxy:x=\"y\"","distribution":"3"}}]}}]{extra}}}}}"#
    )
}

fn bodies(kind: BodyKind) -> Vec<String> {
    match kind {
        BodyKind::Event => vec![
            event("", ""),
            event(r#","Tag":[{"name":"tlp:red"}]"#, ""),
            event(&format!(",{SG}"), ""),
            event("", &format!(",{SG}")),
            event(r#","Opinion":[{"distribution":0,"opinion":50}]"#, ""),
            event(r#","Relationship":[{"distribution":"5","related_object_type":"Attribute","related_object":{"Attribute":{"type":"email","category":"Person"}}}]"#, ""),
            r#"{"Event":{"info":"x","distribution":"00","Attribute":[],"Object":[]}}"#.into(),
            r#"{"Event":{"info":"x","distribution":0.0,"Attribute":[],"Object":[]}}"#.into(),
            r#"{"Event":{"info":"x","\u0064istribution":"1","Attribute":[{"\u0074ype":"EMAIL","category":"Other"}],"Object":[]}}"#.into(),
            r#"{"Event":{"info":"x","distribution":1,"distribution":0,"Attribute":[],"Object":[]}}"#.into(),
            r#"{"Event":{"info":"\ud83d\ude00","distribution":1,"Attribute":[],"Object":[],"EventTag":[{"Tag":{"name":"TLP:RED"}}]}}"#.into(),
            r#"{"request":{"Event":{}},"Event":{"info":"x","distribution":1,"Attribute":[],"Object":[]}}"#.into(),
            r#"[{"Event":{"info":"x"}}]"#.into(),
        ],
        BodyKind::ShadowAttributeIndex => vec![
            r#"[{"ShadowAttribute":{"type":"ip-src","category":"Network activity","distribution":"5","Tag":[]}},{"ShadowAttribute":{"type":"email","category":"Person","distribution":"0"}}]"#.into(),
            "[]".into(),
        ],
        BodyKind::GalaxyClusterList => vec![
            r#"[{"GalaxyCluster":{"uuid":"u","distribution":"3","tag_name":"misp-galaxy:x=\"y\"","SharingGroup":{"uuid":"b9e656ba-b9c0-4506-83ed-7b54b43a57cb"}}},{"GalaxyCluster":{"distribution":0}}]"#.into(),
        ],
        BodyKind::GalaxyCluster => vec![
            r#"{"GalaxyCluster":{"uuid":"u","distribution":"1","tag_name":"tlp:red","GalaxyElement":[{"key":"k","value":"v"}]}}"#.into(),
        ],
        BodyKind::AnalystData => vec![
            r#"{"Note":{"uuid":"u","distribution":"5","note":"hello"}}"#.into(),
            r#"{"Relationship":{"distribution":"5","related_object_type":"Event","related_object":{"Event":{"info":"x","distribution":"0","Tag":[{"name":"tlp:red"}]}}}}"#.into(),
            r#"{"Relationship":{"distribution":"5","related_object":{"Object":{"name":"person","distribution":"5"}},"related_object_type":"Object"}}"#.into(),
        ],
        BodyKind::AnalystDataList => vec![
            r#"[{"Note":{"distribution":"5"}},{"Opinion":{"distribution":"0","opinion":"10"}},{"Relationship":{"distribution":"1","related_object_type":"GalaxyCluster","related_object":{"GalaxyCluster":{"distribution":"0"}}}}]"#.into(),
        ],
        BodyKind::EventsIndex => vec![
            r#"[{"id":"1","uuid":"u","distribution":"3","Tag":[{"name":"tlp:green"}],"SharingGroup":{"uuid":"x"}},{"Event":{"distribution":"0"}}]"#.into(),
            r#"{"response":[{"Event":{"distribution":"1","EventTag":[{"Tag":{"name":"tlp:red"}}]}}]}"#.into(),
        ],
        BodyKind::GalaxyClusterSearch => vec![
            r#"{"response":[{"GalaxyCluster":{"distribution":"3"}},{"GalaxyCluster":{"distribution":"0"}}]}"#.into(),
        ],
        BodyKind::Sightings => vec![
            r#"[{"Sighting":{"uuid":"u","distribution":"5","type":"0"}},{"distribution":"0","SharingGroup":{"uuid":"b9e656ba-b9c0-4506-83ed-7b54b43a57cb"}}]"#.into(),
        ],
        BodyKind::MinimalSearch(_) => vec![
            r#"{"minimal":1,"published":1,"limit":100}"#.into(),
            r#"{"minimal":"1","published":true}"#.into(),
            r#"{"published":1}"#.into(),
        ],
        BodyKind::UuidList => vec![
            format!(r#"["{UUID}","9C0E3E20-B1EA-4473-81D2-845C4399C36D"]"#),
            "[]".into(),
            format!(r#"[{{"uuid":"{UUID}"}}]"#),
        ],
        BodyKind::ApiDescription => vec![
            r#"{"name":"\/event_reports\/add API description","description":"POST a report","mandatory_fields":["name"],"optional_fields":["distribution","content"],"url":"\/event_reports\/add"}"#.into(),
            r#"{"EventReport":{"name":"r","content":"c"}}"#.into(),
        ],
        BodyKind::ProposalList => vec![
            r#"[{"type":"ip-dst","category":"Network activity","value":"198.51.100.1","to_ids":true}]"#.into(),
            r#"[{"type":"passport-number","category":"Person","value":"x","Tag":[{"name":"tlp:red"}]}]"#.into(),
        ],
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    // evaluator: control prefix = inspection index | mode bits (see Control)
    let dir = root.join("evaluator");
    let mut seen_kind = Vec::new();
    for (idx, (_, insp)) in inspections().iter().enumerate() {
        let first = !seen_kind.contains(&insp.kind);
        seen_kind.push(insp.kind);
        for (j, body) in bodies(insp.kind).iter().enumerate() {
            if !first && j > 0 {
                continue; // one body per further rule set of the same kind
            }
            // modes: plain; gzip + 7-byte chunks; user org + one byte at a time
            for (m, mode) in
                [0u32, GZIP | (2 << CHUNK_SHIFT), USER_ORG | (1 << CHUNK_SHIFT)].iter().enumerate()
            {
                if m > 0 && j > 1 {
                    continue;
                }
                let mut b = prefix(idx as u32 | mode, 7);
                b.extend_from_slice(body.as_bytes());
                write(&dir, &format!("i{idx:02}-{j:02}-m{m}"), &b);
            }
        }
    }
    // config
    let dir = root.join("config");
    write(&dir, "own-current.json", OWN_CURRENT.as_bytes());
    write(&dir, "own-legacy.json", OWN_LEGACY.as_bytes());
    write(&dir, "wrong-type.json", br#"{"instances":{"a":{"ip":1}}}"#);
    write(
        &dir,
        "unknown-compartment.json",
        OWN_CURRENT.replace("\"compartment_id\": \"b\"", "\"compartment_id\": \"zz\"").as_bytes(),
    );
    write(
        &dir,
        "levels-numeric.json",
        OWN_LEGACY.replace("[\"1\", \"3\"]", "[1, \"03\", 5]").as_bytes(),
    );
    write(&dir, "empty.json", b"{}");
    // decode: ctl byte, max_decoded (le u16), payload
    let dir = root.join("decode");
    let body = event("", "");
    let s = |name: &str, ctl: u8, max: u16, payload: &[u8]| {
        let mut b = vec![ctl];
        b.extend_from_slice(&max.to_le_bytes());
        b.extend_from_slice(payload);
        write(&dir, name, &b);
    };
    for (i, enc) in ["gzip", "deflate", "br"].iter().enumerate() {
        s(&format!("rt-{enc}"), i as u8 | 4 | (1 << 3), 4096, body.as_bytes());
        s(&format!("rt-{enc}-small-limit"), i as u8 | 4 | (2 << 3), 100, body.as_bytes());
    }
    s("rt-zlib", 1 | 4 | 0x20, 4096, body.as_bytes());
    let g = gz(body.as_bytes());
    s("raw-gzip", 0 | (3 << 3), 8192, &g);
    s("raw-gzip-truncated", 0, 8192, &g[..g.len() - 5]);
    let mut two = g.clone();
    two.extend_from_slice(&g);
    s("raw-gzip-two-members", 0 | (1 << 3), 8192, &two);
    // FEXTRA + FNAME + FCOMMENT header, then the same deflate stream
    let mut hdr =
        vec![0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 0xff, 3, 0, b'a', b'b', b'c'];
    hdr.extend_from_slice(b"name\0comment\0");
    hdr.extend_from_slice(&g[10..]);
    s("raw-gzip-extra-name-comment", 0, 8192, &hdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![b'{'; 3000]).unwrap();
    s("raw-zlib-ratio", 1, 65535, &z.finish().unwrap());
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        w.write_all(body.as_bytes()).unwrap();
    }
    s("raw-br", 2, 8192, &br);
    // request: selector byte, method, path, header lines
    let dir = root.join("request");
    let reqs: [(u8, &str); 10] = [
        (0, "POST\n/events/add/metadata:1\nContent-Type: application/json"),
        (4, &format!("GET\n/events/view/{UUID}/deleted[]:0/excludeGalaxy:1")),
        (0, &format!("POST\n/events/edit/{UUID}/metadata:1\nX-HTTP-Method-Override: DELETE")),
        (0, "POST\n/events/add/../../users/add"),
        (0, "POST\n/events/add?_method=DELETE"),
        (8, &format!("GET\n/analyst_data/index/Note/uuid[]:{UUID}.json")),
        (1, "POST\n/events/add"),
        (5, "POST\n/events/index\nAccept: application/json"),
        (2, "GET\n/servers/getVersion"),
        (0, "GET\n/users/view/me.json"),
    ];
    for (i, (sel, r)) in reqs.iter().enumerate() {
        let mut b = vec![*sel];
        b.extend_from_slice(r.as_bytes());
        write(&dir, &format!("req-{i:02}"), &b);
    }
}
