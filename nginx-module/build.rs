//! Build script. nginx-sys reports what it found out about the nginx it builds (or
//! was pointed at) through `DEP_NGINX_*` variables, which cargo hands only to direct
//! dependents — hence the direct `nginx-sys` dependency
//! (<https://github.com/rust-lang/cargo/issues/3544>). We turn the OS and feature
//! lists into `ngx_os` / `ngx_feature` cfgs, and pass the nginx build directory (home
//! of the vendored `nginx` binary, whose ABI matches the module) to the tests.

/// Reads a variable and asks cargo to rerun when it changes.
fn var(name: &str) -> Option<String> {
    println!("cargo::rerun-if-env-changed={name}");
    std::env::var(name).ok()
}

fn main() {
    for (cfg, source) in [("ngx_feature", "DEP_NGINX_FEATURES"), ("ngx_os", "DEP_NGINX_OS")] {
        let known = var(&format!("{source}_CHECK")).unwrap_or_else(|| "any()".to_owned());
        println!("cargo::rustc-check-cfg=cfg({cfg}, values({known}))");
        let values = var(source).unwrap_or_default();
        for value in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            println!("cargo::rustc-cfg={cfg}=\"{value}\"");
        }
    }
    if let Some(dir) = var("DEP_NGINX_BUILD_DIR") {
        println!("cargo::rustc-env=DEP_NGINX_BUILD_DIR={dir}");
    }
}
