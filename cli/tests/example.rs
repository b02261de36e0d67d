//! The README's first-run example (issue #15): the `target/release/misp-guard` lines
//! of the block after `<!-- example commands` in README.md, run exactly as written
//! (the binary under test standing in for `target/release/misp-guard`) from the
//! repository root, with the exit code and stderr line each one announces.

use std::path::Path;
use std::process::Command;

use crate::util::BIN;

/// (arguments, expected exit code, expected stderr) of each documented command.
fn documented() -> Vec<(Vec<String>, i32, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let block = readme
        .split("<!-- example commands")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the example block in README.md");
    // Join continuation lines.
    let text = block.replace("\\\n", " ");
    let mut out: Vec<(Vec<String>, i32, String)> = Vec::new();
    for line in text.lines() {
        if let Some(stderr) = line.strip_prefix("# stderr: ") {
            out.last_mut().expect("a command before its stderr").2 = format!("{stderr}\n");
            continue;
        }
        let Some(rest) = line.strip_prefix("target/release/misp-guard ") else { continue };
        let (args, comment) = rest.split_once('#').expect("every command says its exit code");
        let code: i32 = comment
            .trim()
            .strip_prefix("exit ")
            .and_then(|c| c.split(',').next())
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or_else(|| panic!("no exit code in {comment:?}"));
        out.push((args.split_whitespace().map(String::from).collect(), code, String::new()));
    }
    out
}

#[test]
fn readme_example_commands_do_what_it_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cmds = documented();
    // check, then one allowed and one blocked push
    assert_eq!(cmds.iter().map(|c| c.1).collect::<Vec<_>>(), [0, 0, 1]);
    for (args, code, stderr) in cmds {
        let out = Command::new(BIN).args(&args).current_dir(&root).output().expect("run");
        let shown = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {shown}");
        assert_eq!(shown, stderr, "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    }
}
