//! The embedded store's tables, and rows to envelopes.

use rusqlite::{Connection, Row};
use uuid::Uuid;

use crate::envelope::{Metadata, RecordedEvent, from_micros};
use crate::error::StoreError;
use crate::store::Position;
use crate::stream::StreamName;

/// `position` is the rowid: one global order of every event, in commit order
/// (a single writer assigns it). `(stream, version)` is unique: the database
/// itself refuses two events at one version.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY,
    stream         TEXT    NOT NULL,
    context        TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_id       BLOB    NOT NULL,
    event_type     TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    occurred_at    INTEGER NOT NULL,
    recorded_at    INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    metadata       TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events (stream, version);
CREATE INDEX IF NOT EXISTS events_context_position ON events (context, position);

CREATE TABLE IF NOT EXISTS requests (
    request_id    TEXT    PRIMARY KEY,
    first_version INTEGER NOT NULL,
    last_version  INTEGER NOT NULL,
    position      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS checkpoints (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS snapshots (
    name TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
";

pub(crate) const SELECT_EVENT: &str = "SELECT position, stream, version, event_id, event_type, \
     schema_version, occurred_at, recorded_at, payload, metadata FROM events";

/// Opens a connection with the durability settings every connection shares.
pub(crate) fn open(path: &std::path::Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::unavailable("open sqlite", e))?;
    // WAL lets readers run beside the writer; synchronous=FULL fsyncs the WAL
    // at every commit, so an acknowledged append survives power loss.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;",
    )
    .map_err(|e| StoreError::unavailable("configure sqlite", e))?;
    Ok(conn)
}

/// What SQLite says a connection's durability settings are, read back
/// rather than assumed: a test pins them, since the kill -9 tests alone
/// would pass with `synchronous=OFF` (the page cache outlives the process).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Durability {
    /// `PRAGMA journal_mode`: `wal`.
    pub journal_mode: String,
    /// `PRAGMA synchronous`: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
    pub synchronous: i64,
}

pub(crate) fn durability(conn: &Connection) -> Result<Durability, StoreError> {
    let read = |pragma: &str| {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |row| {
            row.get::<_, rusqlite::types::Value>(0)
        })
        .map_err(|e| StoreError::unavailable("read sqlite settings", e))
    };
    let journal_mode = match read("journal_mode")? {
        rusqlite::types::Value::Text(mode) => mode,
        other => format!("{other:?}"),
    };
    let synchronous = match read("synchronous")? {
        rusqlite::types::Value::Integer(level) => level,
        _ => -1,
    };
    Ok(Durability {
        journal_mode,
        synchronous,
    })
}

pub(crate) fn create(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA)
        .map_err(|e| StoreError::unavailable("create sqlite schema", e))
}

pub(crate) fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Result<RecordedEvent, StoreError>> {
    let position: i64 = row.get(0)?;
    let stream: String = row.get(1)?;
    let version: i64 = row.get(2)?;
    let event_id: Vec<u8> = row.get(3)?;
    let event_type: String = row.get(4)?;
    let schema_version: i64 = row.get(5)?;
    let occurred_at: i64 = row.get(6)?;
    let recorded_at: i64 = row.get(7)?;
    let payload: String = row.get(8)?;
    let metadata: Option<String> = row.get(9)?;
    Ok(decode_row(
        position,
        stream,
        version,
        &event_id,
        event_type,
        schema_version,
        occurred_at,
        recorded_at,
        payload,
        metadata,
    ))
}

#[allow(clippy::too_many_arguments)]
fn decode_row(
    position: i64,
    stream: String,
    version: i64,
    event_id: &[u8],
    event_type: String,
    schema_version: i64,
    occurred_at: i64,
    recorded_at: i64,
    payload: String,
    metadata: Option<String>,
) -> Result<RecordedEvent, StoreError> {
    let corrupt =
        |what: &str| StoreError::corrupt("sqlite row", format!("{what} at position {position}"));
    let metadata = match metadata {
        Some(json) => serde_json::from_str::<Metadata>(&json).map_err(|_| corrupt("metadata"))?,
        None => Metadata::default(),
    };
    Ok(RecordedEvent {
        event_id: Uuid::from_slice(event_id).map_err(|_| corrupt("event id"))?,
        stream: StreamName::parse(&stream).map_err(|_| corrupt("stream name"))?,
        version: u64::try_from(version).map_err(|_| corrupt("version"))?,
        position: Position(u64::try_from(position).map_err(|_| corrupt("position"))?),
        event_type,
        schema_version: u16::try_from(schema_version).map_err(|_| corrupt("schema version"))?,
        occurred_at: from_micros(occurred_at).ok_or_else(|| corrupt("occurred_at"))?,
        recorded_at: from_micros(recorded_at).ok_or_else(|| corrupt("recorded_at"))?,
        payload: serde_json::value::RawValue::from_string(payload)
            .map_err(|_| corrupt("payload"))?,
        metadata,
    })
}

/// Collects query rows, turning a driver error into `Unavailable` and a bad row into `Corrupt`.
pub(crate) fn collect_events(
    rows: impl Iterator<Item = rusqlite::Result<Result<RecordedEvent, StoreError>>>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    rows.map(|row| row.map_err(|e| StoreError::unavailable("read sqlite", e))?)
        .collect()
}
