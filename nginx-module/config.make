ngx_addon_name=ngx_http_misp_guard
ngx_cargo_manifest=$ngx_addon_dir/Cargo.toml

# generate the Makefile section for the module configured in "config"

ngx_rust_make_modules
