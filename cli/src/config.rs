//! Loading a configuration file, with misp-guard's `failed to load config file` prefix
//! on every failure (missing file and invalid content alike), then `FILE:LINE:COL`.

use std::fmt;
use std::io::Read;
use std::path::Path;

use misp_guard_core::{ConfigError, Policy};

/// Largest configuration file read (the compiled policy is far smaller; this only stops
/// a wrong path such as a device or a huge log from being read whole).
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// A configuration that could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read: `failed to load config file: FILE: error`.
    Read { file: String, err: std::io::Error },
    /// Larger than [`MAX_CONFIG_BYTES`].
    TooLarge { file: String },
    /// Read, but not a valid configuration: `failed to load config file: FILE:L:C: msg`.
    Invalid { file: String, err: Box<ConfigError> },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failed to load config file: ")?;
        match self {
            LoadError::Read { file, err } => write!(f, "{file}: {err}"),
            LoadError::TooLarge { file } => {
                write!(f, "{file}: larger than {MAX_CONFIG_BYTES} bytes")
            }
            // ConfigError's Display is `LINE:COL: message (at PATH)`.
            LoadError::Invalid { file, err } => write!(f, "{file}:{err}"),
        }
    }
}

/// Reads and compiles the configuration at `path` (either misp-guard format).
pub fn load_policy(path: &Path) -> Result<Policy, LoadError> {
    let bytes = read_config(path)?;
    compile(path, &bytes)
}

/// Reads the configuration file at `path` (at most [`MAX_CONFIG_BYTES`]).
pub fn read_config(path: &Path) -> Result<Vec<u8>, LoadError> {
    let file = crate::error::shown(path);
    let read = |err| LoadError::Read { file: file.clone(), err };
    let f = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(LoadError::TooLarge { file });
    }
    Ok(bytes)
}

/// Compiles the configuration read from `path`.
pub fn compile(path: &Path, bytes: &[u8]) -> Result<Policy, LoadError> {
    let file = crate::error::shown(path);
    Policy::from_json_slice(bytes).map_err(|err| LoadError::Invalid { file, err: Box::new(err) })
}
