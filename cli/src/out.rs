//! Writing answers: a closed stdout (broken pipe) is not an error and keeps the
//! answer's exit code; any other write error exits 2.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::error::CliError;

/// Writes `text` to stdout and flushes. `Ok(false)`: the reader went away.
pub fn stdout(text: &str) -> Result<bool, CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(CliError::io("cannot write to stdout", &e)),
    }
}

/// Writes `text` to stdout and returns `code`, also when stdout is a closed pipe.
pub fn print_or_ignore_pipe(text: &str, code: ExitCode) -> Result<ExitCode, CliError> {
    stdout(text)?;
    Ok(code)
}

/// Writes log lines to stderr. A closed stderr is ignored; other errors exit 2.
pub fn logs(lines: &[String]) -> Result<(), CliError> {
    let mut err = io::stderr().lock();
    for line in lines {
        match writeln!(err, "{line}") {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(CliError::io("cannot write to stderr", &e)),
        }
    }
    Ok(())
}

/// Writes an error message to stderr, ignoring failure (there is nowhere left to say it).
pub fn err_line(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "{msg}");
}
