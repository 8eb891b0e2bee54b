//! Where wrapped data keys live: beside the events, in the same store, so
//! that a backup of the one is a backup of the other (and useless without
//! the master key, which is kept elsewhere). [`SqliteKeys`] is the embedded
//! store's: a table in its database file.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use minsheng_eventstore::sqlite::GroupCommit;
use rusqlite::{Connection, OptionalExtension, params};

/// A data key as it is stored: wrapped, and by which master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    /// [`crate::MasterKey::id`] of the master key that wrapped it.
    pub master: String,
    pub wrapped: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
#[error("the key store failed: {0}")]
pub struct StoreError(pub String);

#[async_trait]
pub trait KeyStore: Send + Sync + std::fmt::Debug {
    async fn get(&self, person: &str) -> Result<Option<WrappedKey>, StoreError>;

    /// Keeps `key` for `person` unless a key is kept already; returns the
    /// key kept (another replica's, if it got there first).
    async fn insert_if_absent(
        &self,
        person: &str,
        key: WrappedKey,
    ) -> Result<WrappedKey, StoreError>;

    /// Replaces `person`'s key if it is still wrapped by `master` (rotation;
    /// a person forgotten meanwhile stays forgotten). Whether it did.
    async fn rewrap(&self, person: &str, master: &str, key: WrappedKey)
    -> Result<bool, StoreError>;

    /// Destroys `person`'s key, leaving nothing of it in the store's files.
    /// Whether there was one.
    async fn delete(&self, person: &str) -> Result<bool, StoreError>;

    /// Up to `limit` people whose key is wrapped by a master key other than
    /// `master`, in person order after `after`.
    async fn wrapped_by_other_than(
        &self,
        master: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, WrappedKey)>, StoreError>;
}

/// The keys in a table of a SQLite database file of their own beside the
/// events' (`runtime::personal_data` names it): in the events' own file
/// the two writers waited on each other's write lock (SQLite's busy wait
/// sleeps), and registrations ran at a third of their speed. Every commit
/// is durable before it returns (`synchronous = FULL`), so a key is on
/// disk before any value sealed with it is recorded; new keys are
/// committed in batches (one fsync for many registrations).
/// Deleted rows are overwritten with zeros (`secure_delete`) and the
/// write-ahead log is truncated after a delete, so a forgotten key is in
/// neither file.
#[derive(Clone, Debug)]
pub struct SqliteKeys {
    connection: Arc<Mutex<Connection>>,
    /// New keys, committed in batches by one thread: registrations for
    /// new people arrive many at a time, and one durable transaction each
    /// made sealing the slowest step of a registration.
    inserts: GroupCommit<(String, WrappedKey), WrappedKey>,
}

/// Most inserts committed in one transaction.
const INSERTS_PER_COMMIT: usize = 256;

/// Keeps `key` for `person` unless one is kept; the key kept.
fn insert_if_absent(
    tx: &rusqlite::Transaction<'_>,
    (person, key): &(String, WrappedKey),
) -> rusqlite::Result<WrappedKey> {
    tx.execute(
        "INSERT INTO person_data_keys (person, master, wrapped) VALUES (?1, ?2, ?3)
         ON CONFLICT (person) DO NOTHING",
        params![person, key.master, key.wrapped],
    )?;
    tx.query_row(
        "SELECT master, wrapped FROM person_data_keys WHERE person = ?1",
        params![person],
        |r| Ok(row(r.get(0)?, r.get(1)?)),
    )
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

impl SqliteKeys {
    /// Opens (creating, its owner's only) the database at `path`; `:memory:`
    /// for one that lives as long as the process.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if path != Path::new(":memory:") {
            minsheng_eventstore::sqlite::owner_only(path).map_err(failed)?;
        }
        let connection = Connection::open(path).map_err(failed)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA busy_timeout = 5000;
                 PRAGMA secure_delete = ON;
                 CREATE TABLE IF NOT EXISTS person_data_keys (
                     person TEXT PRIMARY KEY,
                     master TEXT NOT NULL,
                     wrapped BLOB NOT NULL
                 ) WITHOUT ROWID;",
            )
            .map_err(failed)?;
        let connection = Arc::new(Mutex::new(connection));
        let inserts = GroupCommit::start(
            "person-keys-commit",
            connection.clone(),
            INSERTS_PER_COMMIT,
            insert_if_absent,
        )
        .map_err(failed)?;
        Ok(SqliteKeys {
            connection,
            inserts,
        })
    }

    /// Runs `f` on the connection, off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            f(&connection.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .map_err(failed)?
        .map_err(failed)
    }
}

fn row(master: String, wrapped: Vec<u8>) -> WrappedKey {
    WrappedKey { master, wrapped }
}

#[async_trait]
impl KeyStore for SqliteKeys {
    async fn get(&self, person: &str) -> Result<Option<WrappedKey>, StoreError> {
        let person = person.to_owned();
        self.with(move |c| {
            c.query_row(
                "SELECT master, wrapped FROM person_data_keys WHERE person = ?1",
                params![person],
                |r| Ok(row(r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await
    }

    async fn insert_if_absent(
        &self,
        person: &str,
        key: WrappedKey,
    ) -> Result<WrappedKey, StoreError> {
        self.inserts
            .write((person.to_owned(), key))
            .await
            .map_err(StoreError)
    }

    async fn rewrap(
        &self,
        person: &str,
        master: &str,
        key: WrappedKey,
    ) -> Result<bool, StoreError> {
        let (person, master) = (person.to_owned(), master.to_owned());
        self.with(move |c| {
            c.execute(
                "UPDATE person_data_keys SET master = ?3, wrapped = ?4
                 WHERE person = ?1 AND master = ?2",
                params![person, master, key.master, key.wrapped],
            )
            .map(|changed| changed == 1)
        })
        .await
    }

    async fn delete(&self, person: &str) -> Result<bool, StoreError> {
        let person = person.to_owned();
        self.with(move |c| {
            let deleted = c.execute(
                "DELETE FROM person_data_keys WHERE person = ?1",
                params![person],
            )? == 1;
            // The old page is in the write-ahead log until it is copied
            // back (zeroed, by secure_delete) and the log truncated; a
            // reader in the middle of a read holds the log ("busy"), so
            // the truncation is tried again, a bounded number of times.
            for _ in 0..50 {
                let busy: i64 = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
                if busy == 0 {
                    return Ok(deleted);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                Some(
                    "the key is deleted, but the write-ahead log still holds it: \
                     readers kept it busy; forget again to truncate it"
                        .to_owned(),
                ),
            ))
        })
        .await
    }

    async fn wrapped_by_other_than(
        &self,
        master: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, WrappedKey)>, StoreError> {
        let (master, after) = (master.to_owned(), after.to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut statement = c.prepare(
                "SELECT person, master, wrapped FROM person_data_keys
                 WHERE master <> ?1 AND person > ?2 ORDER BY person LIMIT ?3",
            )?;
            let rows = statement.query_map(params![master, after, limit], |r| {
                Ok((r.get(0)?, row(r.get(1)?, r.get(2)?)))
            })?;
            rows.collect()
        })
        .await
    }
}
