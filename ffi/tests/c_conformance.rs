//! Drives `tests/conformance.c`: compiles it against the static library and the
//! checked-in header (`-Wall -Wextra -Werror`), feeds it the conformance corpus (in a
//! line format: parsing JSON in C is not the point), and requires `0 failed` for every
//! corpus folder and the API checks, under AddressSanitizer (with LeakSanitizer) and
//! under valgrind.
//!
//! The static library is the one cargo builds for this test run
//! (`target/<profile>/deps/libmisp_guard.a`, or `MISP_GUARD_STATICLIB`). The corpus is read
//! from `../shared/conformance` next to the repository (or `MISP_GUARD_CONFORMANCE`).

use core::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn conformance_dir() -> PathBuf {
    match std::env::var_os("MISP_GUARD_CONFORMANCE") {
        Some(p) => PathBuf::from(p),
        None => manifest_dir().join("../../shared/conformance"),
    }
}

/// `target/<profile>`: this test binary lives in `target/<profile>/deps`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>").to_path_buf()
}

fn staticlib() -> PathBuf {
    // `cargo test` builds every crate type of the library into `deps/` (without
    // copying it up to `target/<profile>/`, which may hold an older `cargo build`).
    let lib = match std::env::var_os("MISP_GUARD_STATICLIB") {
        Some(p) => PathBuf::from(p),
        None => profile_dir().join("deps/libmisp_guard.a"),
    };
    assert!(lib.is_file(), "static library not found at {}", lib.display());
    lib
}

/// One corpus folder as the C program sees it.
struct Folder {
    label: &'static str,
    dir: &'static str,
    file: &'static str,
    /// The scenario body goes to the upstream response (pull) or the request (push).
    fixture_is_response: bool,
}

const FOLDERS: &[Folder] = &[
    Folder {
        label: "current/push",
        dir: "current",
        file: "push_scenarios.json",
        fixture_is_response: false,
    },
    Folder {
        label: "current/pull",
        dir: "current",
        file: "pull_scenarios.json",
        fixture_is_response: true,
    },
    Folder {
        label: "legacy/push",
        dir: "legacy",
        file: "push_scenarios.json",
        fixture_is_response: false,
    },
    Folder {
        label: "legacy/pull",
        dir: "legacy",
        file: "pull_scenarios.json",
        fixture_is_response: true,
    },
    Folder { label: "extra", dir: "extra", file: "scenarios.json", fixture_is_response: false },
];

/// Resolves `./test/fixtures/NAME.json` to `<folder>/fixtures/NAME.json` (the extra
/// folder borrows `current/fixtures`).
fn fixture(corpus: &Path, dir: &str, written: &str) -> PathBuf {
    let name = Path::new(written).file_name().expect("fixture file name");
    for d in [dir, "current"] {
        let p = corpus.join(d).join("fixtures").join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("fixture {written} not found for {dir}");
}

fn put(out: &mut String, key: &str, value: &str) {
    assert!(!value.contains(['\n', '\r']), "{key} value spans lines: {value:?}");
    writeln!(out, "{key} {value}").unwrap();
}

/// Writes the scenario file; inline bodies become files in `tmp`. Returns the
/// number of scenarios.
fn write_scenarios(corpus: &Path, tmp: &Path) -> (PathBuf, usize) {
    let mut out = String::new();
    let mut count = 0;
    for f in FOLDERS {
        let config = if f.dir == "legacy" { "legacy" } else { "current" };
        let config = corpus.join(config).join("config.json");
        writeln!(out, "folder {} {}", f.label, config.display()).unwrap();
        let text = std::fs::read_to_string(corpus.join(f.dir).join(f.file))
            .unwrap_or_else(|e| panic!("{}/{}: {e}", f.dir, f.file));
        let scenarios: Vec<Value> = serde_json::from_str(&text).expect("scenario JSON");
        for s in &scenarios {
            let str_of = |k: &str| s.get(k).and_then(Value::as_str);
            let name = str_of("name").expect("name");
            put(&mut out, "scenario", name);
            put(&mut out, "method", str_of("method").expect("method"));
            put(&mut out, "url", str_of("url").expect("url"));
            put(&mut out, "scheme", str_of("scheme").unwrap_or("https"));
            // The legacy format has no client address (it does not check the source).
            let src = s.pointer("/client/ip").and_then(Value::as_str).unwrap_or("127.0.0.1");
            put(&mut out, "src", src);
            put(&mut out, "host", str_of("host").expect("host"));
            put(&mut out, "port", &s["port"].as_u64().expect("port").to_string());
            let fixture_file = str_of("fixture_file").or_else(|| str_of("event_fixture_file"));
            if let Some(ff) = fixture_file {
                let key = if f.fixture_is_response { "response_body" } else { "request_body" };
                put(&mut out, key, &fixture(corpus, f.dir, ff).display().to_string());
            }
            for (key, inline, file) in [
                ("request_body", "request_body", None),
                ("response_body", "response_body", Some("response_fixture_file")),
            ] {
                if let Some(body) = str_of(inline) {
                    let p = tmp.join(format!("{}-{name}-{inline}", f.dir));
                    std::fs::write(&p, body).expect("write inline body");
                    put(&mut out, key, &p.display().to_string());
                } else if let Some(ff) = file.and_then(str_of) {
                    put(&mut out, key, &fixture(corpus, f.dir, ff).display().to_string());
                }
            }
            if let Some(h) = s.get("response_headers").and_then(Value::as_object) {
                for (k, v) in h {
                    put(&mut out, "response_header", &format!("{k}: {}", v.as_str().unwrap()));
                }
            }
            let status = s["expected_status_code"].as_u64().expect("expected_status_code");
            put(&mut out, "status", &status.to_string());
            for log in s.get("expected_logs").and_then(Value::as_array).into_iter().flatten() {
                put(&mut out, "log", log.as_str().expect("log string"));
            }
            out.push_str("end\n");
            count += 1;
        }
    }
    let path = tmp.join("scenarios.txt");
    std::fs::write(&path, out).expect("write scenario file");
    (path, count)
}

/// The Rust target triple of this build, for `cc` (which normally reads it from a
/// build script's environment).
fn target_triple() -> String {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => format!("{arch}-unknown-linux-gnu"),
        "macos" => format!("{arch}-apple-darwin"),
        os => format!("{arch}-unknown-{os}"),
    }
}

/// Compiles the C program; `Err` carries the compiler's complaint.
fn compile(exe: &Path, sanitize: bool) -> Result<(), String> {
    let triple = target_triple();
    let compiler = cc::Build::new()
        .cargo_metadata(false)
        .target(&triple)
        .host(&triple)
        .opt_level(1)
        .debug(true)
        .get_compiler();
    let mut cmd = compiler.to_command();
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(manifest_dir().join("../include"));
    if sanitize {
        cmd.args(["-fsanitize=address", "-fno-omit-frame-pointer"]);
    }
    cmd.arg(manifest_dir().join("tests/conformance.c")).arg("-o").arg(exe).arg(staticlib()).args([
        "-lpthread",
        "-ldl",
        "-lm",
    ]);
    let out = cmd.output().map_err(|e| format!("cannot run the C compiler: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?}\n{}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// Runs the program (through `wrapper`, if any) and checks every summary line.
fn run_and_check(exe: &Path, wrapper: &[&str], env: &[(&str, &str)]) {
    let (file, scenarios) = write_scenarios(&conformance_dir(), &tmp_dir(exe));
    assert!(scenarios > 0, "no scenarios");
    let mut cmd = match wrapper.split_first() {
        Some((w, rest)) => {
            let mut c = Command::new(w);
            c.args(rest).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.arg(&file).envs(env.iter().copied());
    let out = cmd.output().expect("run the conformance program");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let report = format!("stdout:\n{stdout}\nstderr (last 8000 bytes):\n{}", tail(&stderr, 8000));
    let mut labels: Vec<&str> = FOLDERS.iter().map(|f| f.label).collect();
    labels.extend(["api", "total"]);
    for label in labels {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{label}: ")))
            .unwrap_or_else(|| panic!("no summary for {label}\n{report}"));
        assert!(line.ends_with(" 0 failed"), "{line}\n{report}");
    }
    let total: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("total: "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("total count");
    assert!(total as usize > scenarios, "api checks missing:\n{report}");
    assert!(out.status.success(), "exit status {:?}\n{report}", out.status);
    for bad in ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "Invalid read", "Invalid write"]
    {
        assert!(!stderr.contains(bad), "{bad}\n{report}");
    }
}

fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

fn tmp_dir(exe: &Path) -> PathBuf {
    let d = exe.with_extension("d");
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn scratch() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ffi-c-conformance");
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

fn valgrind() -> Option<&'static str> {
    ["/usr/bin/valgrind", "/usr/local/bin/valgrind"].into_iter().find(|p| Path::new(p).is_file())
}

/// AddressSanitizer + LeakSanitizer. Without ASan support in the C toolchain the
/// same program runs under valgrind instead (and fails if neither exists).
#[test]
fn c_conformance_asan() {
    let exe = scratch().join("conformance-asan");
    match compile(&exe, true) {
        Ok(()) => run_and_check(
            &exe,
            &[],
            &[("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86")],
        ),
        Err(e) => {
            let vg = valgrind().unwrap_or_else(|| panic!("no ASan and no valgrind:\n{e}"));
            eprintln!("AddressSanitizer unavailable, using valgrind:\n{e}");
            let exe = scratch().join("conformance-plain-fallback");
            compile(&exe, false).expect("compile conformance.c");
            run_and_check(&exe, &valgrind_args(vg), &[]);
        }
    }
}

fn valgrind_args(vg: &str) -> Vec<&str> {
    vec![
        vg,
        "--quiet",
        "--error-exitcode=87",
        "--leak-check=full",
        "--errors-for-leak-kinds=definite,indirect",
        "--show-leak-kinds=definite,indirect",
    ]
}

/// The plain build under valgrind (memcheck: invalid accesses, uninitialised reads,
/// definite and indirect leaks). Skipped, loudly, when valgrind is not installed
/// (unless `MISP_GUARD_REQUIRE_VALGRIND` is set).
#[test]
fn c_conformance_valgrind() {
    let Some(vg) = valgrind() else {
        // CI sets MISP_GUARD_REQUIRE_VALGRIND (scripts/ffi-test.sh) so this cannot pass
        // vacuously there.
        assert!(
            std::env::var_os("MISP_GUARD_REQUIRE_VALGRIND").is_none(),
            "valgrind is required but not installed"
        );
        eprintln!("SKIPPED: valgrind not installed");
        return;
    };
    let exe = scratch().join("conformance-valgrind");
    compile(&exe, false).expect("compile conformance.c");
    run_and_check(&exe, &valgrind_args(vg), &[]);
}
