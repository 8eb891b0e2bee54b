//! The embedded read audit: a SQLite file of its own beside the events
//! (`events.db` → `events.audit.db`), its owner's only, every commit
//! durable (`synchronous = FULL`), reads of many calls committed together.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_eventstore::sqlite::GroupCommit;
use rusqlite::{Connection, params};

use crate::{AuditError, AuditLog, Listed, Query, Read, unavailable};

/// Calls' reads committed in one transaction, at most.
const CALLS_PER_COMMIT: usize = 256;

#[derive(Clone, Debug)]
pub struct SqliteAudit {
    connection: Arc<Mutex<Connection>>,
    writes: GroupCommit<Vec<Read>, ()>,
}

fn insert(tx: &rusqlite::Transaction<'_>, reads: &Vec<Read>) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO reads (at, actor, purpose, rpc, what, id, person)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for read in reads {
        statement.execute(params![
            read.at.timestamp_micros(),
            read.actor,
            read.purpose,
            read.rpc,
            read.what,
            read.id,
            read.person,
        ])?;
    }
    Ok(())
}

impl SqliteAudit {
    /// Opens (creating, its owner's only) the log at `path`; `:memory:` for
    /// one that lives as long as the process (a test's).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditError> {
        let path = path.as_ref();
        if path != Path::new(":memory:") {
            minsheng_eventstore::sqlite::owner_only(path).map_err(unavailable)?;
        }
        let connection = Connection::open(path).map_err(unavailable)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS reads (
                     seq INTEGER PRIMARY KEY AUTOINCREMENT,
                     at INTEGER NOT NULL,
                     actor TEXT NOT NULL,
                     purpose TEXT NOT NULL,
                     rpc TEXT NOT NULL,
                     what TEXT NOT NULL,
                     id TEXT NOT NULL,
                     person TEXT
                 );
                 CREATE INDEX IF NOT EXISTS reads_by_actor ON reads (actor, seq);
                 CREATE INDEX IF NOT EXISTS reads_by_person ON reads (person, seq)
                     WHERE person IS NOT NULL;
                 CREATE INDEX IF NOT EXISTS reads_by_time ON reads (at);",
            )
            .map_err(unavailable)?;
        let connection = Arc::new(Mutex::new(connection));
        let writes = GroupCommit::start(
            "read-audit-commit",
            connection.clone(),
            CALLS_PER_COMMIT,
            insert,
        )
        .map_err(unavailable)?;
        Ok(SqliteAudit { connection, writes })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, AuditError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            f(&connection.lock().unwrap_or_else(PoisonError::into_inner))
        })
        .await
        .map_err(unavailable)?
        .map_err(unavailable)
    }
}

fn listed(row: &rusqlite::Row<'_>) -> rusqlite::Result<Listed> {
    let micros: i64 = row.get(1)?;
    Ok(Listed {
        cursor: row.get::<_, i64>(0)?.try_into().unwrap_or_default(),
        read: Read {
            at: DateTime::from_timestamp_micros(micros).unwrap_or_default(),
            actor: row.get(2)?,
            purpose: row.get(3)?,
            rpc: row.get(4)?,
            what: row.get(5)?,
            id: row.get(6)?,
            person: row.get(7)?,
        },
    })
}

#[async_trait]
impl AuditLog for SqliteAudit {
    async fn record(&self, reads: Vec<Read>) -> Result<(), AuditError> {
        if reads.is_empty() {
            return Ok(());
        }
        self.writes
            .write(reads)
            .await
            .map_err(AuditError::Unavailable)
    }

    async fn list(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Listed>, AuditError> {
        let (column, value) = match query {
            Query::ByActor(actor) => ("actor", actor.clone()),
            Query::ByPerson(person) => ("person", person.clone()),
        };
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| {
            let mut statement = c.prepare(&format!(
                "SELECT seq, at, actor, purpose, rpc, what, id, person FROM reads
                 WHERE {column} = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?;
            let rows = statement.query_map(params![value, after, limit], listed)?;
            rows.collect()
        })
        .await
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, AuditError> {
        let before = before.timestamp_micros();
        self.with(move |c| {
            c.execute("DELETE FROM reads WHERE at < ?1", params![before])
                .map(|n| n as u64)
        })
        .await
    }
}
