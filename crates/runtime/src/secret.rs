//! Deployment secrets kept in files: 32 random bytes as hex, created once,
//! readable by their owner only, shared by every replica (a Kubernetes
//! Secret mounted as a file). The JWT key and the person key are two.

use std::path::Path;

/// Bytes in a key this module creates; at least this many in one it reads.
pub const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the {what} file {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the {what} file {path}: {source}")]
    Write {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the {what} file {path} does not hold at least {KEY_BYTES} bytes of hex")]
    Malformed { what: &'static str, path: String },
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// Reads the hex secret in `path`; `what` names it in errors.
pub fn load(path: &Path, what: &'static str) -> Result<Vec<u8>, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        what,
        path: path.display().to_string(),
        source,
    })?;
    decode_hex(text.trim())
        .filter(|s| s.len() >= KEY_BYTES)
        .ok_or_else(|| KeyError::Malformed {
            what,
            path: path.display().to_string(),
        })
}

/// Reads the secret in `path`, first creating it if there is none.
/// Returns whether it was created.
pub fn load_or_create(path: &Path, what: &'static str) -> Result<(Vec<u8>, bool), KeyError> {
    if path.exists() {
        return Ok((load(path, what)?, false));
    }
    let mut secret = [0u8; KEY_BYTES];
    getrandom::fill(&mut secret).map_err(|e| KeyError::Random(e.to_string()))?;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    write_private(path, &hex).map_err(|source| KeyError::Write {
        what,
        path: path.display().to_string(),
        source,
    })?;
    Ok((secret.to_vec(), true))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
