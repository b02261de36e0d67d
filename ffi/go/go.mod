module example.invalid/misp-guard-rs/ffi/go

go 1.19
