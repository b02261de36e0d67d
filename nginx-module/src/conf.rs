//! Directives and configuration structures.
//!
//! | directive | context | default |
//! | --- | --- | --- |
//! | `misp_guard_config PATH;` | http | — (required when `misp_guard on`) |
//! | `misp_guard on\|off;` | http, server, location | `off` |
//! | `misp_guard_mode enforce\|report;` | http, server, location | `enforce` |
//! | `misp_guard_destination [SCHEME://]HOST[:PORT];` | http, server, location | `$host:$server_port` |
//! | `misp_guard_max_body_size SIZE;` | http, server, location | `64m` |
//! | `misp_guard_max_decoded_size SIZE;` | http, server, location | `256m` |
//! | `misp_guard_max_decompression_ratio N;` | http, server, location | `8192` |
//!
//! The rules file is read and compiled while nginx parses its configuration, so
//! `nginx -t` reports a bad file (`FILE:LINE:COL: message`), and `nginx -s reload`
//! picks up a changed one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::mem::offset_of;
use std::ptr::{addr_of_mut, null_mut};

use misp_guard_core::decode::Limits;
use misp_guard_core::Policy;
use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_enum_t, ngx_conf_full_name, ngx_conf_set_enum_slot,
    ngx_conf_set_flag_slot, ngx_conf_set_num_slot, ngx_conf_set_size_slot, ngx_conf_t, ngx_flag_t,
    ngx_http_compile_complex_value, ngx_http_compile_complex_value_t, ngx_http_complex_value_t,
    ngx_http_set_complex_value_slot, ngx_int_t, ngx_pcalloc, ngx_str_t, ngx_uint_t, NGX_CONF_FLAG,
    NGX_CONF_TAKE1, NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF,
    NGX_HTTP_MAIN_CONF_OFFSET, NGX_HTTP_SRV_CONF, NGX_LOG_EMERG, NGX_OK,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, Merge, MergeConfigError};
use ngx::{ngx_conf_log_error, ngx_string};

use crate::Module;

/// `misp_guard_max_body_size` default: MISP events are rarely larger.
const DEFAULT_MAX_BODY: usize = 64 << 20;

/// `misp_guard_mode` values.
pub(crate) const MODE_ENFORCE: ngx_uint_t = 0;
/// Log the verdict, forward anyway.
pub(crate) const MODE_REPORT: ngx_uint_t = 1;

const UNSET_FLAG: ngx_flag_t = -1;
const UNSET_UINT: ngx_uint_t = ngx_uint_t::MAX;
const UNSET_SIZE: usize = usize::MAX;
const UNSET_INT: ngx_int_t = -1;

/// http-level configuration: the compiled rules.
pub(crate) struct MainConf {
    /// The compiled `misp_guard_config` (boxed: the policy tables are large).
    pub(crate) policy: Option<Box<Policy>>,
    /// The rules file, for messages.
    pub(crate) path: String,
    /// `$server_name`, `$server_name:$server_port` and `$host:$server_port`, compiled
    /// in postconfiguration: the default destination (see
    /// [`crate::dest::server_name_is_plain`]).
    pub(crate) server_name: *mut ngx_http_complex_value_t,
    pub(crate) named_destination: *mut ngx_http_complex_value_t,
    pub(crate) host_destination: *mut ngx_http_complex_value_t,
    /// `$request_id`, for log lines.
    pub(crate) request_id: *mut ngx_http_complex_value_t,
    /// The request contexts of this cycle's live requests, by request address (see
    /// `filters::ctx_mut`: found again after an internal redirect cleared `r->ctx`).
    pub(crate) contexts: RefCell<HashMap<usize, usize>>,
}

impl Default for MainConf {
    fn default() -> Self {
        MainConf {
            policy: None,
            path: String::new(),
            server_name: null_mut(),
            named_destination: null_mut(),
            host_destination: null_mut(),
            request_id: null_mut(),
            contexts: RefCell::new(HashMap::new()),
        }
    }
}

/// Per-location configuration (fields set by nginx's own slot functions).
#[derive(Debug)]
#[repr(C)]
pub(crate) struct LocConf {
    pub(crate) enable: ngx_flag_t,
    pub(crate) mode: ngx_uint_t,
    /// NULL: the main configuration's default.
    pub(crate) destination: *mut ngx_http_complex_value_t,
    pub(crate) max_body_size: usize,
    pub(crate) max_decoded_size: usize,
    pub(crate) max_ratio: ngx_int_t,
}

impl Default for LocConf {
    fn default() -> Self {
        LocConf {
            enable: UNSET_FLAG,
            mode: UNSET_UINT,
            destination: null_mut(),
            max_body_size: UNSET_SIZE,
            max_decoded_size: UNSET_SIZE,
            max_ratio: UNSET_INT,
        }
    }
}

impl LocConf {
    /// `misp_guard on`.
    pub(crate) fn enabled(&self) -> bool {
        self.enable == 1
    }

    /// `misp_guard_mode report`.
    pub(crate) fn report(&self) -> bool {
        self.mode == MODE_REPORT
    }

    /// Decoding bounds for `Guard::for_body`.
    pub(crate) fn limits(&self) -> Limits {
        Limits { max_decoded: self.max_decoded_size as u64, max_ratio: self.max_ratio as u64 }
    }
}

fn merge_value<T: PartialEq + Copy>(this: &mut T, prev: T, unset: T, default: T) {
    if *this == unset {
        *this = if prev == unset { default } else { prev };
    }
}

impl Merge for LocConf {
    fn merge(&mut self, prev: &LocConf) -> Result<(), MergeConfigError> {
        let d = Limits::default();
        merge_value(&mut self.enable, prev.enable, UNSET_FLAG, 0);
        merge_value(&mut self.mode, prev.mode, UNSET_UINT, MODE_ENFORCE);
        if self.destination.is_null() {
            self.destination = prev.destination;
        }
        merge_value(&mut self.max_body_size, prev.max_body_size, UNSET_SIZE, DEFAULT_MAX_BODY);
        merge_value(
            &mut self.max_decoded_size,
            prev.max_decoded_size,
            UNSET_SIZE,
            d.max_decoded as usize,
        );
        merge_value(&mut self.max_ratio, prev.max_ratio, UNSET_INT, d.max_ratio as ngx_int_t);
        Ok(())
    }
}

// SAFETY: `MainConf` is what `create_main_conf` allocates for this module.
unsafe impl HttpModuleMainConf for Module {
    type MainConf = MainConf;
}

// SAFETY: `LocConf` is what `create_loc_conf` allocates for this module.
unsafe impl HttpModuleLocationConf for Module {
    type LocationConf = LocConf;
}

const ANY_LEVEL: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

static mut MODES: [ngx_conf_enum_t; 3] = [
    ngx_conf_enum_t { name: ngx_string!("enforce"), value: MODE_ENFORCE },
    ngx_conf_enum_t { name: ngx_string!("report"), value: MODE_REPORT },
    ngx_conf_enum_t { name: ngx_str_t { len: 0, data: null_mut() }, value: 0 },
];

/// The directives (terminated by an empty command).
pub(crate) static mut COMMANDS: [ngx_command_t; 8] = [
    ngx_command_t {
        name: ngx_string!("misp_guard_config"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(set_config),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("misp_guard"),
        type_: (ANY_LEVEL | NGX_CONF_FLAG) as ngx_uint_t,
        set: Some(ngx_conf_set_flag_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, enable),
        post: null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("misp_guard_mode"),
        type_: (ANY_LEVEL | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(ngx_conf_set_enum_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, mode),
        post: addr_of_mut!(MODES) as *mut c_void,
    },
    ngx_command_t {
        name: ngx_string!("misp_guard_destination"),
        type_: (ANY_LEVEL | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(ngx_http_set_complex_value_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, destination),
        post: null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("misp_guard_max_body_size"),
        type_: (ANY_LEVEL | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(ngx_conf_set_size_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, max_body_size),
        post: null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("misp_guard_max_decoded_size"),
        type_: (ANY_LEVEL | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(ngx_conf_set_size_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, max_decoded_size),
        post: null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("misp_guard_max_decompression_ratio"),
        type_: (ANY_LEVEL | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(ngx_conf_set_num_slot),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: offset_of!(LocConf, max_ratio),
        post: null_mut(),
    },
    ngx_command_t::empty(),
];

/// `misp_guard_config PATH;`: reads and compiles the rules now.
extern "C" fn set_config(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET)
        // and a valid `cf` whose `args` holds the directive and its one argument (TAKE1).
        let (mcf, mut name) = unsafe {
            let args: &[ngx_str_t] = (*(*cf).args).as_slice();
            (&mut *(conf as *mut MainConf), args[1])
        };
        if mcf.policy.is_some() {
            return c"is duplicate".as_ptr() as *mut c_char;
        }
        // SAFETY: `name` is a valid nginx string; `ngx_conf_full_name` replaces it with a
        // cycle-pool allocation holding the path relative to the configuration prefix.
        if unsafe { ngx_conf_full_name((*cf).cycle, &mut name, 1) } != NGX_OK as ngx_int_t {
            return NGX_CONF_ERROR;
        }
        // `name` now points at `len` valid bytes in the cycle pool.
        let path = name.to_str().map(str::to_owned);
        let Ok(path) = path else {
            ngx_conf_log_error!(NGX_LOG_EMERG, cf, "misp_guard_config: path is not UTF-8");
            return NGX_CONF_ERROR;
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{path}: cannot read: {e}");
                return NGX_CONF_ERROR;
            }
        };
        match Policy::from_json_slice(&bytes) {
            Ok(policy) => {
                mcf.policy = Some(Box::new(policy));
                mcf.path = path;
                NGX_CONF_OK
            }
            Err(e) => {
                ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{path}:{e}");
                NGX_CONF_ERROR
            }
        }
    })
}

/// Merges a location's configuration into its parent's, then refuses `misp_guard on`
/// without rules (at configuration time, so `nginx -t` says so).
pub(crate) extern "C" fn merge_loc_conf(
    cf: *mut ngx_conf_t,
    prev: *mut c_void,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes this module's parent and child location configurations
        // (created by `create_loc_conf`) and the http block's `cf`.
        let (prev, this, cfr) =
            unsafe { (&*(prev as *const LocConf), &mut *(conf as *mut LocConf), &*cf) };
        if this.merge(prev).is_err() {
            return NGX_CONF_ERROR;
        }
        let has_rules = Module::main_conf(cfr).is_some_and(|m| m.policy.is_some());
        if this.enabled() && !has_rules {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "\"misp_guard on\" needs \"misp_guard_config\" in the http block"
            );
            return NGX_CONF_ERROR;
        }
        NGX_CONF_OK
    })
}

/// Compiles the default destination and the request id complex values.
pub(crate) fn init_defaults(cf: &mut ngx_conf_t) -> Result<(), ()> {
    let name = compile(cf, "$server_name")?;
    let named = compile(cf, "$server_name:$server_port")?;
    let host = compile(cf, "$host:$server_port")?;
    let rid = compile(cf, "$request_id")?;
    let mcf = Module::main_conf_mut(cf).ok_or(())?;
    mcf.server_name = name;
    mcf.named_destination = named;
    mcf.host_destination = host;
    mcf.request_id = rid;
    Ok(())
}

fn compile(cf: &mut ngx_conf_t, value: &'static str) -> Result<*mut ngx_http_complex_value_t, ()> {
    // SAFETY: allocation from the configuration pool (lives as long as the cycle);
    // zeroed memory is a valid empty complex value and compile context.
    let cv = unsafe { ngx_pcalloc(cf.pool, size_of::<ngx_http_complex_value_t>()) }
        as *mut ngx_http_complex_value_t;
    if cv.is_null() {
        return Err(());
    }
    let mut src = ngx_str_t { len: value.len(), data: value.as_ptr() as *mut u8 };
    // SAFETY: see above; a zeroed compile context is how nginx modules start one.
    let mut ccv: ngx_http_compile_complex_value_t = unsafe { std::mem::zeroed() };
    ccv.cf = cf;
    ccv.value = &mut src;
    ccv.complex_value = cv;
    // SAFETY: `ccv` is fully initialised; nginx copies what it keeps of `src` (a
    // 'static string anyway) into the configuration pool.
    if unsafe { ngx_http_compile_complex_value(&mut ccv) } != NGX_OK as ngx_int_t {
        return Err(());
    }
    Ok(cv)
}
