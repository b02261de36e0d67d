//! Prints, for each event fixture of the conformance corpus, what the receiver model
//! says MISP stores in violation of instance_2_2's rules.
use misp_guard_testkit::{receive, rule_sets, violations, Endpoint};
fn main() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/current");
    let cfg = std::fs::read(dir.join("config.json")).unwrap();
    let sets = rule_sets(&cfg, Some("instance_2_2")).unwrap();
    let mut names: Vec<_> =
        std::fs::read_dir(dir.join("fixtures")).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("test_event_") {
            continue;
        }
        let st = receive(Endpoint::EventAdd, &std::fs::read(&p).unwrap());
        let v = violations(&st, &sets);
        println!(
            "{name}: {:?} stopped={:?}",
            v.iter().map(|x| format!("{:?}@{}", x.rule, x.at)).collect::<Vec<_>>(),
            st.stopped
        );
    }
}
