//! Directives and configuration structures.
//!
//! | directive | context | default |
//! | --- | --- | --- |
//! | `misp_guard_config PATH;` | http | — (required when `misp_guard on`) |
//! | `misp_guard on\|off;` | http, server, location | `off` |
//! | `misp_guard_mode enforce\|report;` | http, server, location | `enforce` |
//! | `misp_guard_destination [SCHEME://]HOST[:PORT];` | http, server, location | `$host:$server_port` |
//!
//! A literal `misp_guard_destination` (no variables) is checked at configuration time:
//! a scheme other than `http://`/`https://`, a bad port, or a host that is no instance
//! (host or ip, on its port) nor allowlisted domain of the rules fails `nginx -t`.
//! `misp_guard_max_decompression_ratio` must be at least 1. Keys the rules file holds
//! that no rule reads, and values that can never match, are logged at `warn` when the
//! file is loaded.
//! | `misp_guard_max_body_size SIZE;` | http, server, location | `64m` |
//! | `misp_guard_max_decoded_size SIZE;` | http, server, location | `256m` |
//! | `misp_guard_max_decompression_ratio N;` | http, server, location | `8192` |
//! | `misp_guard_log_level error\|warn\|notice\|info;` | http, server, location | `error` |
//! | `misp_guard_status;` | location | — (the counters, Prometheus text format) |
//!
//! The rules file is read and compiled while nginx parses its configuration, so
//! `nginx -t` reports a bad file (`FILE:LINE:COL: message`), and `nginx -s reload`
//! picks up a changed one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_void};
use std::mem::offset_of;
use std::ptr::null_mut;
use std::rc::Rc;
use std::sync::Arc;

use misp_guard_core::decode::Limits;
use misp_guard_core::DestinationError;
use misp_guard_core::Policy;
use ngx::core::{NGX_CONF_ERROR, NGX_CONF_OK};
use ngx::ffi::{
    ngx_command_t, ngx_conf_full_name, ngx_conf_set_flag_slot, ngx_conf_set_num_slot,
    ngx_conf_set_size_slot, ngx_conf_t, ngx_flag_t, ngx_http_compile_complex_value,
    ngx_http_compile_complex_value_t, ngx_http_complex_value_t, ngx_http_set_complex_value_slot,
    ngx_int_t, ngx_pcalloc, ngx_str_t, ngx_uint_t, NGX_CONF_FLAG, NGX_CONF_NOARGS, NGX_CONF_TAKE1,
    NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET, NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET,
    NGX_HTTP_SRV_CONF, NGX_LOG_EMERG, NGX_LOG_ERR, NGX_LOG_INFO, NGX_LOG_NOTICE, NGX_LOG_WARN,
    NGX_OK,
};
use ngx::http::{
    HttpModuleLocationConf, HttpModuleMainConf, Merge, MergeConfigError, NgxHttpCoreModule,
};
use ngx::{ngx_conf_log_error, ngx_string};

use crate::decide::Spares;
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
    /// The compiled `misp_guard_config`, shared with the guards of this cycle's requests
    /// (each holds a reference count, so a request outliving a reload keeps its rules).
    pub(crate) policy: Option<Arc<Policy>>,
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
    /// The shared zone of the decision counters (see `metrics.rs`).
    pub(crate) metrics: *mut ngx::ffi::ngx_shm_zone_t,
    /// The request contexts of this cycle's live requests, by request address (see
    /// `ctx::ctx_mut`: found again after an internal redirect cleared `r->ctx`).
    pub(crate) contexts: RefCell<HashMap<usize, usize>>,
    /// Guards of this cycle's finished bodies, reset for the next ones.
    pub(crate) spares: Rc<Spares>,
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
            metrics: null_mut(),
            contexts: RefCell::new(HashMap::new()),
            spares: Rc::default(),
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
    /// `misp_guard_log_level`: the error_log level of refusal lines.
    pub(crate) log_level: ngx_uint_t,
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
            log_level: UNSET_UINT,
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

    /// The error_log level of refusal lines (`misp_guard_log_level`).
    pub(crate) fn refusal_level(&self) -> u32 {
        self.log_level as u32
    }

    /// Body bounds for `Guard::for_body` (`misp_guard_max_body_size` and decoding).
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_body: self.max_body_size as u64,
            max_decoded: self.max_decoded_size as u64,
            max_ratio: self.max_ratio as u64,
        }
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
        merge_value(&mut self.log_level, prev.log_level, UNSET_UINT, DEFAULT_LOG_LEVEL);
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

/// Refusals are logged at `error` by default, as misp-guard does (`logger.error`), and
/// so that Debian's stock `error_log … error;` shows them.
const DEFAULT_LOG_LEVEL: ngx_uint_t = NGX_LOG_ERR as ngx_uint_t;

/// `misp_guard_log_level` values: nginx's own level names.
const LOG_LEVELS: [(&str, u32); 4] = [
    ("error", NGX_LOG_ERR),
    ("warn", NGX_LOG_WARN),
    ("notice", NGX_LOG_NOTICE),
    ("info", NGX_LOG_INFO),
];

/// A directive's `set` handler, as nginx calls it.
type SetFn = unsafe extern "C" fn(*mut ngx_conf_t, *mut ngx_command_t, *mut c_void) -> *mut c_char;

/// One directive: where it may stand (`type_`), its handler, which configuration it
/// writes (`conf`) and at which field (`offset`; 0 for handlers that find their own).
const fn command(
    name: ngx_str_t,
    type_: u32,
    set: SetFn,
    conf: ngx_uint_t,
    offset: usize,
) -> ngx_command_t {
    ngx_command_t {
        name,
        type_: type_ as ngx_uint_t,
        set: Some(set),
        conf,
        offset,
        post: null_mut(),
    }
}

/// The directives (terminated by an empty command).
pub(crate) static mut COMMANDS: [ngx_command_t; 10] = [
    command(
        ngx_string!("misp_guard_config"),
        NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
        set_config,
        NGX_HTTP_MAIN_CONF_OFFSET,
        0,
    ),
    command(
        ngx_string!("misp_guard"),
        ANY_LEVEL | NGX_CONF_FLAG,
        ngx_conf_set_flag_slot,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, enable),
    ),
    command(
        ngx_string!("misp_guard_mode"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_mode,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, mode),
    ),
    command(
        ngx_string!("misp_guard_destination"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_destination,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, destination),
    ),
    command(
        ngx_string!("misp_guard_max_body_size"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        ngx_conf_set_size_slot,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, max_body_size),
    ),
    command(
        ngx_string!("misp_guard_max_decoded_size"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        ngx_conf_set_size_slot,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, max_decoded_size),
    ),
    command(
        ngx_string!("misp_guard_max_decompression_ratio"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_ratio,
        NGX_HTTP_LOC_CONF_OFFSET,
        offset_of!(LocConf, max_ratio),
    ),
    command(
        ngx_string!("misp_guard_log_level"),
        ANY_LEVEL | NGX_CONF_TAKE1,
        set_log_level,
        NGX_HTTP_LOC_CONF_OFFSET,
        0,
    ),
    command(
        ngx_string!("misp_guard_status"),
        NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
        set_status,
        NGX_HTTP_LOC_CONF_OFFSET,
        0,
    ),
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
                // Ignored keys and values that never match: `nginx -t` shows them.
                policy.lint(&bytes, |l| {
                    ngx_conf_log_error!(NGX_LOG_WARN, cf, "misp_guard_config: {path}:{l}");
                });
                mcf.policy = Some(Arc::new(policy));
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

/// `misp_guard_log_level error|warn|notice|info;` (an error names the directive and
/// its values).
extern "C" fn set_log_level(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes this module's location configuration
        // (NGX_HTTP_LOC_CONF_OFFSET) and a valid `cf` whose `args` holds the directive and
        // its one argument (TAKE1).
        let (lcf, value) = unsafe {
            let args: &[ngx_str_t] = (*(*cf).args).as_slice();
            (&mut *(conf as *mut LocConf), args[1])
        };
        if lcf.log_level != UNSET_UINT {
            return c"is duplicate".as_ptr() as *mut c_char;
        }
        let value = value.as_bytes();
        match LOG_LEVELS.iter().find(|(name, _)| name.as_bytes() == value) {
            Some(&(_, level)) => {
                lcf.log_level = level as ngx_uint_t;
                NGX_CONF_OK
            }
            None => {
                let v = String::from_utf8_lossy(value);
                ngx_conf_log_error!(
                    NGX_LOG_EMERG,
                    cf,
                    "misp_guard_log_level: invalid value \"{v}\" (error, warn, notice or info)"
                );
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
        let own_destination = !this.destination.is_null();
        if this.merge(prev).is_err() {
            return NGX_CONF_ERROR;
        }
        let policy = Module::main_conf(cfr).and_then(|m| m.policy.as_deref());
        if let (true, Some(policy)) = (own_destination, policy) {
            // SAFETY: set by `set_destination` to a complex value compiled into the
            // configuration pool.
            let cv = unsafe { &*this.destination };
            if let Err(msg) = check_literal_destination(cv, policy) {
                ngx_conf_log_error!(NGX_LOG_EMERG, cf, "misp_guard_destination {msg}");
                return NGX_CONF_ERROR;
            }
        }
        let has_rules = policy.is_some();
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

/// `misp_guard_mode enforce|report;`: nginx's enum slot, with a message that names the
/// directive and its values.
extern "C" fn set_mode(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes this module's location configuration and `cf.args` holds
        // the directive and its one argument (TAKE1).
        let (lcf, value) = unsafe {
            let args: &[ngx_str_t] = (*(*cf).args).as_slice();
            (&mut *(conf as *mut LocConf), args[1])
        };
        if lcf.mode != UNSET_UINT {
            return c"is duplicate".as_ptr() as *mut c_char;
        }
        lcf.mode = match value.as_bytes() {
            b"enforce" => MODE_ENFORCE,
            b"report" => MODE_REPORT,
            other => {
                let v = String::from_utf8_lossy(other);
                ngx_conf_log_error!(
                    NGX_LOG_EMERG,
                    cf,
                    "misp_guard_mode: invalid value \"{v}\" (expected \"enforce\" or \"report\")"
                );
                return NGX_CONF_ERROR;
            }
        };
        NGX_CONF_OK
    })
}

/// `misp_guard_destination [SCHEME://]HOST[:PORT];`: a complex value (variables
/// allowed); a literal one is parsed now (scheme, host, port), and checked against the
/// rules in `merge_loc_conf` (the rules may come later in the http block).
extern "C" fn set_destination(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx's own slot for a complex value field (`cmd.offset`) of this
        // module's location configuration.
        let rv = unsafe { ngx_http_set_complex_value_slot(cf, cmd, conf) };
        if rv != NGX_CONF_OK {
            return rv;
        }
        // SAFETY: the slot just stored a complex value compiled into the pool.
        let cv = unsafe { &*(*(conf as *mut LocConf)).destination };
        match literal(cv).map(|v| (v, crate::dest::parse(v))) {
            Some((v, Err(e))) => {
                let why = match e {
                    crate::dest::DestError::EmptyHost => "has no host",
                    crate::dest::DestError::BadPort => "has a port that is not 1-65535",
                    crate::dest::DestError::BadScheme => {
                        "has a scheme that is neither http:// nor https://"
                    }
                };
                ngx_conf_log_error!(
                    NGX_LOG_EMERG,
                    cf,
                    "misp_guard_destination \"{v}\" {why} (expected [http://|https://]HOST[:PORT])"
                );
                NGX_CONF_ERROR
            }
            _ => NGX_CONF_OK,
        }
    })
}

/// The text of a complex value without variables.
fn literal(cv: &ngx_http_complex_value_t) -> Option<&str> {
    if !cv.lengths.is_null() {
        return None;
    }
    // A compiled complex value without variables holds its text in `value`.
    let bytes = cv.value.as_bytes();
    std::str::from_utf8(bytes).ok()
}

/// A literal destination must name an instance of the rules (host or ip) on its port,
/// or an allowlisted domain: else every request through it would be refused.
fn check_literal_destination(cv: &ngx_http_complex_value_t, policy: &Policy) -> Result<(), String> {
    let Some(v) = literal(cv) else { return Ok(()) };
    let Ok(d) = crate::dest::parse(v) else { return Ok(()) }; // refused by set_destination
    let port = d.port.or_else(|| d.scheme.map(crate::dest::default_port));
    match policy.destination_reachable(d.host, port) {
        Ok(()) => Ok(()),
        Err(DestinationError::UnknownHost) => Err(format!(
            "\"{v}\": host \"{}\" is neither an instance's host or ip nor an allowlisted \
             domain in the rules: every request would be refused",
            d.host
        )),
        Err(DestinationError::WrongPort { instance, expected }) => {
            let name = policy.instance(instance).map_or("", |i| i.0);
            let given = match port {
                Some(p) => format!("port {p}"),
                None => "no port (the request's scheme default, 443 or 80)".to_owned(),
            };
            Err(format!(
                "\"{v}\": {given}, but instance \"{name}\" is on port {expected}: every \
                 request would be refused"
            ))
        }
    }
}

/// `misp_guard_max_decompression_ratio N;`: nginx's number slot, refusing 0 (it would
/// refuse every compressed body).
extern "C" fn set_ratio(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx's own slot for an `ngx_int_t` field (`cmd.offset`) of this
        // module's location configuration.
        let rv = unsafe { ngx_conf_set_num_slot(cf, cmd, conf) };
        if rv != NGX_CONF_OK {
            return rv;
        }
        // SAFETY: as above: this module's location configuration.
        let lcf = unsafe { &*(conf as *const LocConf) };
        if lcf.max_ratio < 1 {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "misp_guard_max_decompression_ratio must be at least 1 (0 would refuse every \
                 compressed body)"
            );
            return NGX_CONF_ERROR;
        }
        NGX_CONF_OK
    })
}

/// `misp_guard_status;`: this location answers the counters (and is never guarded).
extern "C" fn set_status(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    crate::no_panic(NGX_CONF_ERROR, || {
        // SAFETY: nginx passes this module's location configuration and a valid `cf`.
        let (lcf, cf) = unsafe { (&mut *(conf as *mut LocConf), &mut *cf) };
        lcf.enable = 0;
        let Some(clcf) = NgxHttpCoreModule::location_conf_mut(cf) else {
            return NGX_CONF_ERROR;
        };
        clcf.handler = Some(crate::metrics::status_handler);
        NGX_CONF_OK
    })
}
