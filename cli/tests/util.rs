//! Test helpers: a per-test temporary directory and a builder around the binary.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_misp-guard");

/// The conformance corpus: `$MISP_GUARD_CONFORMANCE`, else `../shared/conformance`
/// relative to the repository root.
pub fn corpus() -> PathBuf {
    match std::env::var_os("MISP_GUARD_CONFORMANCE") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

/// The corpus's current-format configuration.
pub fn current_config() -> PathBuf {
    corpus().join("current/config.json")
}

/// A fixture of the corpus's `current/` folder.
pub fn current_fixture(name: &str) -> PathBuf {
    corpus().join("current/fixtures").join(name)
}

/// A fresh directory for one test, under cargo's per-target temporary directory.
pub struct Dir {
    root: PathBuf,
}

impl Dir {
    fn new(name: &str) -> Dir {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("misp-guard-cli").join(name);
        if root.exists() {
            fs::remove_dir_all(&root).expect("clean test dir");
        }
        fs::create_dir_all(&root).expect("create test dir");
        Dir { root }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `rel` inside the directory.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes `contents` to `rel` (creating parent directories) and returns its path.
    pub fn create(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.root.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        fs::write(&p, contents).expect("write test file");
        p
    }
}

/// A `misp-guard` invocation being built.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl TestCommand {
    /// Adds one argument.
    pub fn arg(&mut self, a: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.arg(a);
        self
    }

    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, a: I) -> &mut Self {
        self.cmd.args(a);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, k: &str, v: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(k, v);
        self
    }

    /// Sets the working directory.
    pub fn current_dir(&mut self, d: impl AsRef<Path>) -> &mut Self {
        self.cmd.current_dir(d);
        self
    }

    /// Feeds `data` on stdin (otherwise stdin is empty).
    pub fn stdin(&mut self, data: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Some(data.into());
        self
    }

    /// The underlying command (for unusual stdio setups).
    pub fn raw(&mut self) -> &mut Command {
        &mut self.cmd
    }

    /// Runs to completion and collects the output.
    pub fn output(&mut self) -> Run {
        self.cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn misp-guard");
        let data = self.stdin.take().unwrap_or_default();
        let mut stdin = child.stdin.take().expect("child stdin");
        // A writer thread, so a child that stops reading early cannot dead-lock us.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait for misp-guard");
        writer.join().expect("stdin writer");
        Run { out, what: format!("{:?}", self.cmd) }
    }
}

/// A finished run.
pub struct Run {
    /// Status and captured streams.
    pub out: Output,
    what: String,
}

impl Run {
    /// The exit code (panics if killed by a signal).
    pub fn code(&self) -> i32 {
        self.out.status.code().expect("exited normally")
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "\ncommand: {}\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// Stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    /// Stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// Stderr lines.
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr().lines().map(str::to_owned).collect()
    }

    /// Stdout parsed as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }
}

/// The per-test directory and a command running in it with a clean environment for
/// the variables the binary reads.
pub fn setup(name: &str) -> (Dir, TestCommand) {
    let dir = Dir::new(name);
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir.path()).env_remove("MISP_GUARD_CONFORMANCE");
    (dir, TestCommand { cmd, stdin: None })
}

/// Another command running in `dir` (several runs in one test).
pub fn command_in(dir: &Dir) -> TestCommand {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir.path()).env_remove("MISP_GUARD_CONFORMANCE");
    TestCommand { cmd, stdin: None }
}
