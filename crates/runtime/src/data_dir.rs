//! The embedded store's data directory: created private (0700), and held
//! by one process at a time. Two processes on one SQLite file would each
//! follow only their own writes (a subscription is fed by its process's
//! writer), so their read models would silently disagree; the second is
//! refused at start instead, naming the first.
//!
//! The hold is an advisory lock (`flock`) on `<dir>/minsheng.lock`, which
//! the kernel releases when the holder exits, however it exits (kill -9
//! included): no stale lock to clean up. The holder writes its pid in the
//! file, for the refusal's message.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in a data directory.
pub const LOCK_FILE: &str = "minsheng.lock";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "the data directory {dir} is in use by another minsheng process{}; stop it first, or give this one another --data-dir",
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Held { dir: String, holder: Option<u32> },
    #[error("cannot prepare the data directory {dir}: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// This process's hold on a data directory, until it is dropped (or the
/// process exits).
#[derive(Debug)]
pub struct DataDirLock {
    dir: PathBuf,
    _file: File,
}

impl DataDirLock {
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Creates `dir` if need be (owner-only) and holds it for this process;
/// refuses if another process holds it.
pub fn claim(dir: &Path) -> Result<DataDirLock, DataDirError> {
    let io = |source| DataDirError::Io {
        dir: dir.display().to_string(),
        source,
    };
    create_private(dir).map_err(io)?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(dir.join(LOCK_FILE)).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let holder = file
                .read_to_string(&mut pid)
                .ok()
                .and_then(|_| pid.trim().parse().ok());
            return Err(DataDirError::Held {
                dir: dir.display().to_string(),
                holder,
            });
        }
        Err(std::fs::TryLockError::Error(error)) => return Err(io(error)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(DataDirLock {
        dir: dir.to_path_buf(),
        _file: file,
    })
}

/// Creates `dir` and any missing parents, readable by their owner only
/// whatever the umask (directories that exist are left as they are).
pub fn create_private(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_a_held_directory_is_refused_naming_the_holder() {
        let parent = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = parent.path().join("data");
        let held = claim(&dir).unwrap_or_else(|e| panic!("{e}"));
        let Err(refused) = claim(&dir) else {
            panic!("a held directory was claimed twice")
        };
        let message = refused.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(held);
        claim(&dir).unwrap_or_else(|e| panic!("released on drop: {e}"));
    }
}
