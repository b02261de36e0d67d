//! Test harness: a real nginx (the vendored build, so the module's ABI matches) with
//! `load_module`, TLS (a certificate generated with `openssl` at test time), HTTP/2, and a
//! stub upstream on 127.0.0.1 written with `std::net` that answers what each test asks
//! and records what reached it. Requests are made with `curl` (HTTP/1.1 or HTTP/2).
//!
//! Paths (overridable): `MISP_GUARD_NGINX_BIN` or `NGINX_BIN` (default: the vendored
//! build's `objs/nginx`, from `DEP_NGINX_BUILD_DIR`), `MISP_GUARD_MODULE` (default: the
//! `libngx_http_misp_guard.so` the test build compiled next to the test binary),
//! `MISP_GUARD_LOAD_CONF` (instead of `load_module`: a file to `include` at the top of
//! nginx.conf that loads the module, e.g. Debian's
//! `/etc/nginx/modules-enabled/50-mod-http-misp-guard.conf`), `MISP_GUARD_CONFORMANCE`
//! (default: `../shared/conformance` relative to the repository root).
#![allow(dead_code)]

pub mod corpus;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

// --- paths ------------------------------------------------------------------------------

pub fn nginx_bin() -> PathBuf {
    for var in ["MISP_GUARD_NGINX_BIN", "NGINX_BIN"] {
        if let Ok(p) = std::env::var(var) {
            return p.into();
        }
    }
    Path::new(env!("DEP_NGINX_BUILD_DIR")).join("nginx")
}

/// The nginx binary's version (`nginx -v`), e.g. `(1, 22, 1)`.
pub fn nginx_version() -> (u32, u32, u32) {
    static V: OnceLock<(u32, u32, u32)> = OnceLock::new();
    *V.get_or_init(|| {
        let out = Command::new(nginx_bin()).arg("-v").output().expect("nginx -v");
        let text = String::from_utf8_lossy(&out.stderr);
        let v = text.split("nginx/").nth(1).and_then(|t| t.split_whitespace().next());
        let n: Vec<u32> =
            v.unwrap_or("").split('.').map(|p| p.parse().expect("version number")).collect();
        assert_eq!(n.len(), 3, "nginx -v: {text}");
        (n[0], n[1], n[2])
    })
}

/// `true` when the nginx under test has the `http2` directive (1.25.1 and later).
pub fn http2_directive() -> bool {
    nginx_version() >= (1, 25, 1)
}

pub fn module_path() -> PathBuf {
    if let Ok(p) = std::env::var("MISP_GUARD_MODULE") {
        return p.into();
    }
    // The test build compiles the cdylib next to the test binary (target/<profile>/deps),
    // against the same nginx-sys build as DEP_NGINX_BUILD_DIR.
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("deps dir");
    let so = deps.join("libngx_http_misp_guard.so");
    assert!(so.is_file(), "module not built at {}", so.display());
    so
}

pub fn conformance_dir() -> PathBuf {
    if let Ok(p) = std::env::var("MISP_GUARD_CONFORMANCE") {
        return p.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir()
        .join("misp-guard-nginx-tests")
        .join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// Self-signed certificate and key, generated once per test process.
pub fn tls_files() -> &'static (PathBuf, PathBuf) {
    static TLS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    TLS.get_or_init(|| {
        let d = scratch("tls");
        let (cert, key) = (d.join("cert.pem"), d.join("key.pem"));
        let st = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(st.success(), "openssl req failed");
        (cert, key)
    })
}

// --- nginx ------------------------------------------------------------------------------

/// What goes into a generated nginx.conf.
#[derive(Clone)]
pub struct Conf {
    /// The rules file (empty: no `misp_guard_config`).
    pub rules: PathBuf,
    pub upstream_port: u16,
    /// Extra directives at http level.
    pub http: String,
    /// Extra directives inside `location /`.
    pub location: String,
    /// Extra directives at server level (`{dir}`: the nginx directory, as in `http`
    /// and `location`).
    pub server: String,
    /// The TLS port (default: a free one).
    pub port: Option<u16>,
    /// Run nginx as one process (`master_process off`) under valgrind's memcheck, its
    /// report written to this file (see [`Nginx::stop_memcheck`]).
    pub memcheck: Option<PathBuf>,
}

impl Conf {
    pub fn new(rules: impl Into<PathBuf>, upstream: &Upstream) -> Self {
        Conf {
            rules: rules.into(),
            upstream_port: upstream.port,
            http: String::new(),
            // Test-only wiring: the scenario's destination comes from a header.
            location: "misp_guard on;\n            misp_guard_destination $http_x_test_dst;".into(),
            port: None,
            memcheck: None,
            server: String::new(),
        }
    }

    pub fn http(mut self, s: &str) -> Self {
        self.http.push_str(s);
        self.http.push('\n');
        self
    }

    /// Replaces the directives inside `location /` (before `proxy_pass`).
    pub fn location(mut self, s: &str) -> Self {
        self.location = s.into();
        self
    }

    /// Adds directives inside `location /`.
    pub fn more(mut self, s: &str) -> Self {
        self.location.push_str("\n            ");
        self.location.push_str(s);
        self
    }
}

pub struct Nginx {
    pub dir: PathBuf,
    /// TLS port (HTTP/1.1 and HTTP/2).
    pub port: u16,
    /// Plain HTTP port (raw-socket tests).
    pub plain_port: u16,
    child: Option<Child>,
    pub conf: Conf,
}

impl Nginx {
    pub fn conf_path(&self) -> PathBuf {
        self.dir.join("nginx.conf")
    }

    pub fn render(conf: &Conf, dir: &Path, port: u16, plain_port: u16) -> String {
        let (cert, key) = tls_files();
        format!(
            r#"{load}
daemon off;
master_process {master};
worker_processes 2;
error_log {dir}/error.log info;
pid {dir}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    client_max_body_size 64m;
    client_body_buffer_size 16k;
    {rules}
    # Test-only wiring: the scenario's client.ip becomes $remote_addr.
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-Client-IP;
    {http}
    server {{
        listen 127.0.0.1:{port} ssl{listen_http2};
        listen 127.0.0.1:{plain_port};
        {http2_on}
        ssl_certificate {cert};
        ssl_certificate_key {key};
        {server}
        location / {{
            {location}
            proxy_pass http://127.0.0.1:{up};
        }}
    }}
}}
"#,
            load = match std::env::var("MISP_GUARD_LOAD_CONF") {
                Ok(f) => format!("include {f};"),
                Err(_) => format!("load_module {};", module_path().display()),
            },
            dir = dir.display(),
            rules = if conf.rules.as_os_str().is_empty() {
                String::new()
            } else {
                format!("misp_guard_config {};", conf.rules.display())
            },
            http = conf.http.replace("{dir}", &dir.display().to_string()),
            port = port,
            plain_port = plain_port,
            cert = cert.display(),
            key = key.display(),
            location = conf.location.replace("{dir}", &dir.display().to_string()),
            server = conf.server.replace("{dir}", &dir.display().to_string()),
            up = conf.upstream_port,
            master = if conf.memcheck.is_some() { "off" } else { "on" },
            // `http2 on;` exists from nginx 1.25.1 on; before, `listen … http2`.
            listen_http2 = if http2_directive() { "" } else { " http2" },
            http2_on = if http2_directive() { "http2 on;" } else { "" },
        )
    }

    /// Writes the configuration and runs `nginx -t`: (success, stderr).
    pub fn test_config(conf: &Conf) -> (bool, String) {
        let dir = scratch("conftest");
        let text = Self::render(conf, &dir, free_port(), free_port());
        std::fs::write(dir.join("nginx.conf"), text).expect("write conf");
        let out = Command::new(nginx_bin())
            .arg("-t")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .output()
            .expect("run nginx -t");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }

    pub fn start(name: &str, conf: Conf) -> Nginx {
        let dir = scratch(name);
        let (port, plain_port) = (conf.port.unwrap_or_else(free_port), free_port());
        std::fs::write(dir.join("nginx.conf"), Self::render(&conf, &dir, port, plain_port))
            .expect("write conf");
        let mut cmd = match &conf.memcheck {
            None => Command::new(nginx_bin()),
            Some(report) => {
                let mut c = Command::new("valgrind");
                c.arg(format!("--log-file={}", report.display()))
                    .arg(format!("--suppressions={}/tests/nginx.supp", env!("CARGO_MANIFEST_DIR")))
                    .args(["--leak-check=full", "--show-leak-kinds=all", "--num-callers=40"])
                    .args(["--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99"])
                    .arg(nginx_bin());
                c
            }
        };
        let child = cmd
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        let mut n = Nginx { dir, port, plain_port, child: Some(child), conf };
        n.wait_ready();
        n
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = c.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!("nginx exited at start ({st}): {err}\n{}", self.error_log());
                }
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.plain_port)).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not start listening: {}", self.error_log());
    }

    pub fn error_log(&self) -> String {
        std::fs::read(self.dir.join("error.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn log_len(&self) -> usize {
        std::fs::metadata(self.dir.join("error.log")).map(|m| m.len() as usize).unwrap_or(0)
    }

    /// The error log written since `from` (a [`Nginx::log_len`]).
    pub fn log_since(&self, from: usize) -> String {
        let b = std::fs::read(self.dir.join("error.log")).unwrap_or_default();
        String::from_utf8_lossy(b.get(from..).unwrap_or(&[])).into_owned()
    }

    fn master_pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).expect("running")
    }

    /// `nginx -s reload` (SIGHUP to the master); waits until the new workers started.
    pub fn reload(&self) {
        let before = self.error_log().matches("start worker process").count();
        // SAFETY: sending a signal to our own child process.
        let rc = unsafe { libc::kill(self.master_pid(), libc::SIGHUP) };
        assert_eq!(rc, 0, "kill -HUP");
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let log = self.error_log();
            if log.matches("start worker process").count() > before {
                // let the old workers finish their graceful exit
                std::thread::sleep(Duration::from_millis(300));
                return;
            }
            if log.contains("[emerg]") {
                panic!("reload failed: {log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("reload did not start new workers: {}", self.error_log());
    }

    /// Graceful stop; returns the error log after asserting no worker crashed.
    pub fn stop(mut self) -> String {
        self.shutdown();
        let log = self.error_log();
        assert_no_crash(&log);
        log
    }

    /// Graceful stop of a [`Conf::memcheck`] nginx; returns valgrind's report after
    /// asserting that nginx exited by itself with valgrind's exit code 0: no invalid read,
    /// write or free, no use of uninitialised memory, no definite or indirect leak (beyond
    /// the suppressions in `tests/nginx.supp`), and no block of any kind (even
    /// reachable) still held at exit that the module allocated.
    pub fn stop_memcheck(mut self) -> String {
        let report = self.conf.memcheck.clone().expect("started with Conf::memcheck");
        let status = self.shutdown();
        let log = self.error_log();
        assert_no_crash(&log);
        let text = std::fs::read_to_string(&report).expect("valgrind report");
        assert_eq!(status, Some(0), "valgrind reported errors:\n{text}");
        // Records are runs of `==PID== text` lines separated by an empty `==PID==` line.
        let mut held = Vec::new();
        let mut record = String::new();
        for line in text.lines().chain(["==0=="]) {
            let body = line.splitn(3, "==").nth(2).unwrap_or("").trim();
            if body.is_empty() {
                if record.contains("loss record") && record.contains("misp_guard") {
                    held.push(std::mem::take(&mut record));
                }
                record.clear();
            } else {
                record.push_str(body);
                record.push('\n');
            }
        }
        assert!(held.is_empty(), "memory of the module held at exit:\n{}", held.join("\n"));
        text
    }

    /// SIGQUIT, then waits for the exit (a minute: valgrind is slow); the exit code.
    fn shutdown(&mut self) -> Option<i32> {
        let mut c = self.child.take()?;
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(c.id() as i32, libc::SIGQUIT) };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                return st.code();
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub fn assert_no_crash(log: &str) {
    for bad in ["exited on signal", "[alert]", "[crit]"] {
        let hits: Vec<&str> = log.lines().filter(|l| l.contains(bad)).collect();
        assert!(hits.is_empty(), "error.log has `{bad}`:\n{}", hits.join("\n"));
    }
}

// --- stub upstream ------------------------------------------------------------------------

/// What the upstream answers for a test id (header `X-Test-Id`).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many body bytes (Content-Length says all), then reset.
    pub cut_after: Option<usize>,
    /// Send only this many body bytes, then fall silent for [`STALL`] before closing.
    pub stall_after: Option<usize>,
}

/// How long a stalled reply stays silent (longer than any test's `proxy_read_timeout`).
pub const STALL: Duration = Duration::from_secs(4);

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
            cut_after: None,
            stall_after: None,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// A request as the upstream received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct UpState {
    replies: Mutex<HashMap<String, Reply>>,
    received: Mutex<HashMap<String, Vec<Received>>>,
}

#[derive(Clone)]
pub struct Upstream {
    pub port: u16,
    state: Arc<UpState>,
}

impl Upstream {
    pub fn start() -> Upstream {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        let port = l.local_addr().expect("addr").port();
        let state = Arc::new(UpState::default());
        let st = state.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &st);
                });
            }
        });
        Upstream { port, state }
    }

    pub fn set(&self, id: &str, reply: Reply) {
        self.state.replies.lock().unwrap().insert(id.into(), reply);
    }

    /// Requests received with this test id.
    pub fn received(&self, id: &str) -> Vec<Received> {
        self.state.received.lock().unwrap().get(id).cloned().unwrap_or_default()
    }
}

fn serve(conn: TcpStream, st: &UpState) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut rd = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    rd.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if rd.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let get =
        |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        rd.read_exact(&mut body)?;
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut sz = String::new();
            rd.read_line(&mut sz)?;
            let n =
                usize::from_str_radix(sz.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            rd.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let id = get("x-test-id").unwrap_or_default();
    let rec = Received { method: method.clone(), path, headers, body };
    st.received.lock().unwrap().entry(id.clone()).or_default().push(rec);
    let reply = st.replies.lock().unwrap().get(&id).cloned().unwrap_or_else(|| Reply::json("{}"));

    let mut out = conn;
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
    out.write_all(head.as_bytes())?;
    if method == "HEAD" {
        return Ok(());
    }
    if let Some(n) = reply.stall_after {
        out.write_all(&reply.body[..n.min(reply.body.len())])?;
        out.flush()?;
        std::thread::sleep(STALL);
        return Ok(());
    }
    match reply.cut_after {
        None => out.write_all(&reply.body)?,
        Some(n) => {
            out.write_all(&reply.body[..n.min(reply.body.len())])?;
            out.flush()?;
            std::thread::sleep(Duration::from_millis(100));
            reset(&out);
            return Ok(());
        }
    }
    out.flush()?;
    let _ = out.shutdown(Shutdown::Write);
    Ok(())
}

/// Closes with a TCP RST (SO_LINGER 0).
fn reset(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let lg = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket fd and a properly sized linger struct.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &lg as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

// --- client ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    H1,
    H2,
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proto::H1 => "HTTP/1.1",
            Proto::H2 => "HTTP/2",
        })
    }
}

#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub proto: Proto,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Self {
        Req {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
            proto: Proto::H1,
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = Some(b.into());
        self
    }

    pub fn proto(mut self, p: Proto) -> Self {
        self.proto = p;
        self
    }

    /// The test-only wiring headers: test id, source address, destination.
    pub fn wiring(self, id: &str, src: Option<&str>, dst: &str) -> Self {
        let r = self.header("X-Test-Id", id).header("X-Test-Dst", dst);
        match src {
            Some(ip) => r.header("X-Real-Client-IP", ip),
            None => r,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub version: String,
    pub body: Vec<u8>,
    /// Response headers (names as sent), of the last response curl read.
    pub headers: Vec<(String, String)>,
    /// curl's exit code (0: complete response).
    pub exit: i32,
}

impl Resp {
    /// The first value of a response header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends `req` over TLS to nginx with curl.
pub fn send(n: &Nginx, req: &Req) -> Resp {
    static K: AtomicUsize = AtomicUsize::new(0);
    let k = K.fetch_add(1, Ordering::SeqCst);
    let out = n.dir.join(format!("resp-{k}"));
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-k", "-g", "--path-as-is", "--max-time", "120"]);
    cmd.arg(match req.proto {
        Proto::H1 => "--http1.1",
        Proto::H2 => "--http2",
    });
    if req.method == "HEAD" {
        cmd.arg("--head");
    } else {
        cmd.args(["-X", &req.method]);
    }
    for (k, v) in &req.headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    if let Some(b) = &req.body {
        let f = n.dir.join(format!("req-{k}"));
        std::fs::write(&f, b).expect("write body");
        cmd.arg("--data-binary").arg(format!("@{}", f.display()));
    }
    let head = n.dir.join(format!("head-{k}"));
    cmd.arg("-D").arg(&head);
    cmd.arg("-o").arg(&out).args(["-w", "%{http_code} %{http_version}"]);
    cmd.arg(format!("https://127.0.0.1:{}{}", n.port, req.path));
    let o = cmd.output().expect("run curl");
    let w = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut it = w.split_whitespace();
    let status = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let version = it.next().unwrap_or("").to_string();
    let body = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let head_text = std::fs::read(&head).unwrap_or_default();
    let _ = std::fs::remove_file(&head);
    let headers = String::from_utf8_lossy(&head_text)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp { status, version, body, headers, exit: o.status.code().unwrap_or(-1) }
}
