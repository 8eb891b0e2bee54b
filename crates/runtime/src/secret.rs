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
    #[error(
        "the {what} file {path} has mode {mode:03o}: anyone who can {exposed} it can {risk}; \
         make it its owner's only (chmod 600 {path}) and start again"
    )]
    Exposed {
        what: &'static str,
        path: String,
        mode: u32,
        exposed: &'static str,
        risk: &'static str,
    },
}

/// Reads the hex secret in `path`; `what` names it in errors. A file
/// that others may read, or that group or others may write, is refused:
/// whoever can write the JWT key can mint any role, whoever can read the
/// person key can tell whose events are whose. (Group read is allowed: a
/// Kubernetes Secret mounted with an fsGroup.)
pub fn load(path: &Path, what: &'static str) -> Result<Vec<u8>, KeyError> {
    refuse_exposed(path, what)?;
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

fn refuse_exposed(path: &Path, what: &'static str) -> Result<(), KeyError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| KeyError::Read {
                what,
                path: path.display().to_string(),
                source,
            })?
            .permissions()
            .mode()
            & 0o777;
        let exposed = if mode & 0o022 != 0 {
            Some("write")
        } else if mode & 0o004 != 0 {
            Some("read")
        } else {
            None
        };
        if let Some(exposed) = exposed {
            return Err(KeyError::Exposed {
                what,
                path: path.display().to_string(),
                mode,
                exposed,
                risk: match (what, exposed) {
                    ("JWT key", "write") => "replace it and mint a token for any role",
                    ("JWT key", _) => "mint a token for any role",
                    ("person key", "write") => {
                        "replace it and split one person's events from another's"
                    }
                    ("person key", _) => "tell whose events are whose",
                    (_, "write") => "replace it, and with it what it protects",
                    _ => "read what it protects",
                },
            });
        }
    }
    Ok(())
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
        crate::data_dir::create_private(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn key_with_mode(dir: &Path, mode: u32) -> std::path::PathBuf {
        let path = dir.join(format!("key-{mode:o}"));
        std::fs::write(&path, "ab".repeat(KEY_BYTES)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
        path
    }

    #[test]
    fn a_key_others_may_read_or_group_or_others_may_write_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for mode in [0o666, 0o644, 0o620, 0o602, 0o604] {
            let path = key_with_mode(dir.path(), mode);
            let Err(refused) = load(&path, "JWT key") else {
                panic!("{mode:o} was accepted")
            };
            let refused = refused.to_string();
            assert!(
                refused.contains(&format!("chmod 600 {}", path.display())),
                "{mode:o}: {refused}"
            );
        }
        for mode in [0o600, 0o400, 0o640, 0o440] {
            let path = key_with_mode(dir.path(), mode);
            assert!(load(&path, "JWT key").is_ok(), "{mode:o} is private enough");
        }
    }
}
