//! The checked-in `include/misp_guard.h` must be exactly what the pinned cbindgen
//! generates from this crate. Regenerate with
//! `MISP_GUARD_BLESS=1 cargo test -p misp-guard-ffi --test header`.

use std::path::PathBuf;

fn generate() -> Vec<u8> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is valid");
    let v = env!("CARGO_PKG_VERSION");
    let mut parts = v.split('.');
    let mut next = || parts.next().unwrap_or("0").to_owned();
    let (major, minor, patch) = (next(), next(), next());
    config.after_includes = Some(format!(
        "\n#define MISP_GUARD_VERSION \"{v}\"\n\
         #define MISP_GUARD_VERSION_MAJOR {major}\n\
         #define MISP_GUARD_VERSION_MINOR {minor}\n\
         #define MISP_GUARD_VERSION_PATCH {}",
        patch.split(|c: char| !c.is_ascii_digit()).next().unwrap_or("0")
    ));
    // `Reason` (stable block reason numbers) comes from the core's verdict table.
    // Only that file is parsed: the rest of the core is not C-facing, and cbindgen
    // trips over some of its types (e.g. aliases of `heapless::String<N>`).
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_src(crate_dir.join("../core/src/verdict.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut out = Vec::new();
    bindings.write(&mut out);
    out
}

#[test]
fn checked_in_header_matches_generated() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/misp_guard.h");
    let generated = generate();
    if std::env::var_os("MISP_GUARD_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/misp_guard.h");
        return;
    }
    let current = std::fs::read(&path).unwrap_or_default();
    if current != generated {
        let cur = String::from_utf8_lossy(&current);
        let gen = String::from_utf8_lossy(&generated);
        let first = cur.lines().zip(gen.lines()).position(|(a, b)| a != b);
        panic!(
            "include/misp_guard.h is out of date (first differing line: {:?}); regenerate with \
             `MISP_GUARD_BLESS=1 cargo test -p misp-guard-ffi --test header` and commit it",
            first.map(|i| i + 1)
        );
    }
}
