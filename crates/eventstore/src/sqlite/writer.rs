//! The single writer: one thread owns the write connection and commits every
//! append that is waiting in one transaction (group commit), so one fsync
//! serves many writers. Each append runs inside its own savepoint: one that
//! is refused (wrong version) rolls back alone and the rest still commit.
//! Replies go out only after the transaction is durable.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot, watch};

use crate::envelope::{NewEvent, to_micros};
use crate::error::StoreError;
use crate::store::{AppendOutcome, ExpectedVersion, Position};
use crate::stream::{RequestId, StreamName};

/// How many waiting writes one transaction takes at most.
const MAX_BATCH: usize = 512;

pub(crate) enum Write {
    Append {
        stream: StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<RequestId>,
        reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
    },
    Checkpoint {
        name: String,
        position: Position,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Snapshot {
        name: String,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

enum Reply {
    Append(
        oneshot::Sender<Result<AppendOutcome, StoreError>>,
        Result<AppendOutcome, StoreError>,
    ),
    Checkpoint(
        oneshot::Sender<Result<(), StoreError>>,
        Result<(), StoreError>,
    ),
}

/// Runs until every sender is dropped. `head` announces the last committed
/// position, waking subscriptions.
pub(crate) fn run(
    mut conn: Connection,
    mut writes: mpsc::Receiver<Write>,
    head: watch::Sender<Position>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = writes.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match writes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let committed = commit_batch(&mut conn, std::mem::take(&mut batch));
        if let Some(position) = committed {
            head.send_if_modified(|h| {
                let moved = position > *h;
                *h = (*h).max(position);
                moved
            });
        }
    }
}

/// Commits a batch, answers every write in it, and returns the highest
/// position written, if any.
fn commit_batch(conn: &mut Connection, batch: Vec<Write>) -> Option<Position> {
    let mut replies = Vec::with_capacity(batch.len());
    let mut highest = None;
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            fail_all(
                batch,
                &StoreError::unavailable("begin sqlite transaction", e),
            );
            return None;
        }
    };
    for write in batch {
        match write {
            Write::Append {
                stream,
                expected,
                events,
                request_id,
                reply,
            } => {
                let result = in_savepoint(&tx, |c| {
                    append(c, &stream, expected, &events, request_id.as_ref())
                });
                if let Ok(outcome) = &result {
                    highest = highest.max(Some(outcome.position));
                }
                replies.push(Reply::Append(reply, result));
            }
            Write::Checkpoint {
                name,
                position,
                reply,
            } => {
                let result = in_savepoint(&tx, |c| {
                    c.execute(
                        "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) \
                         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                        params![name, position.0 as i64],
                    )
                    .map(drop)
                    .map_err(|e| StoreError::unavailable("save checkpoint", e))
                });
                replies.push(Reply::Checkpoint(reply, result));
            }
            Write::Snapshot { name, data, reply } => {
                let result = in_savepoint(&tx, |c| {
                    c.execute(
                        "INSERT INTO snapshots (name, data) VALUES (?1, ?2) \
                         ON CONFLICT (name) DO UPDATE SET data = excluded.data",
                        params![name, data],
                    )
                    .map(drop)
                    .map_err(|e| StoreError::unavailable("save snapshot", e))
                });
                replies.push(Reply::Checkpoint(reply, result));
            }
        }
    }
    if let Err(e) = tx.commit() {
        let err = StoreError::unavailable("commit sqlite transaction", e);
        for reply in replies {
            match reply {
                Reply::Append(tx, _) => drop(tx.send(Err(clone_error(&err)))),
                Reply::Checkpoint(tx, _) => drop(tx.send(Err(clone_error(&err)))),
            }
        }
        return None;
    }
    for reply in replies {
        // A caller that gave up waiting is no reason to stop: the write is durable.
        match reply {
            Reply::Append(tx, result) => drop(tx.send(result)),
            Reply::Checkpoint(tx, result) => drop(tx.send(result)),
        }
    }
    highest
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.execute_batch("SAVEPOINT write")
        .map_err(|e| StoreError::unavailable("sqlite savepoint", e))?;
    let result = f(conn);
    let end = if result.is_ok() {
        "RELEASE write"
    } else {
        "ROLLBACK TO write; RELEASE write"
    };
    conn.execute_batch(end)
        .map_err(|e| StoreError::unavailable("sqlite savepoint", e))?;
    result
}

fn append(
    conn: &Connection,
    stream: &StreamName,
    expected: ExpectedVersion,
    events: &[NewEvent],
    request_id: Option<&RequestId>,
) -> Result<AppendOutcome, StoreError> {
    let db = |e| StoreError::unavailable("sqlite append", e);
    if let Some(id) = request_id
        && let Some(first) = committed_request(conn, id)?
    {
        return Ok(first);
    }
    let current: Option<u64> = conn
        .prepare_cached(
            "SELECT version FROM events WHERE stream = ?1 ORDER BY version DESC LIMIT 1",
        )
        .map_err(db)?
        .query_row([stream.as_str()], |row| row.get::<_, i64>(0))
        .optional()
        .map_err(db)?
        .map(|v| v as u64);
    if !expected.admits(current) {
        return Err(StoreError::WrongExpectedVersion {
            stream: stream.to_string(),
            expected,
            actual: current,
        });
    }
    let recorded_at = to_micros(Utc::now());
    let first_version = current.unwrap_or(0) + 1;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (stream, context, version, event_id, event_type, schema_version, \
             occurred_at, recorded_at, payload, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .map_err(db)?;
    let mut position = 0;
    for (i, event) in events.iter().enumerate() {
        let metadata = if event.metadata.is_empty() {
            None
        } else {
            Some(
                serde_json::to_string(&event.metadata)
                    .map_err(|e| StoreError::corrupt("metadata", e))?,
            )
        };
        insert
            .execute(params![
                stream.as_str(),
                stream.context_str(),
                (first_version + i as u64) as i64,
                event.event_id.as_bytes().as_slice(),
                event.event_type,
                i64::from(event.schema_version),
                to_micros(event.occurred_at),
                recorded_at,
                event.payload.get(),
                metadata,
            ])
            .map_err(db)?;
        position = conn.last_insert_rowid();
    }
    let outcome = AppendOutcome {
        first_version,
        last_version: first_version + events.len() as u64 - 1,
        position: Position(position as u64),
    };
    if let Some(id) = request_id {
        conn.prepare_cached(
            "INSERT INTO requests (request_id, first_version, last_version, position) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db)?
        .execute(params![
            id.as_str(),
            outcome.first_version as i64,
            outcome.last_version as i64,
            position
        ])
        .map_err(db)?;
    }
    Ok(outcome)
}

pub(crate) fn committed_request(
    conn: &Connection,
    id: &RequestId,
) -> Result<Option<AppendOutcome>, StoreError> {
    conn.prepare_cached(
        "SELECT first_version, last_version, position FROM requests WHERE request_id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.query_row([id.as_str()], |row| {
            Ok(AppendOutcome {
                first_version: row.get::<_, i64>(0)? as u64,
                last_version: row.get::<_, i64>(1)? as u64,
                position: Position(row.get::<_, i64>(2)? as u64),
            })
        })
        .optional()
    })
    .map_err(|e| StoreError::unavailable("read request id", e))
}

fn fail_all(batch: Vec<Write>, err: &StoreError) {
    for write in batch {
        match write {
            Write::Append { reply, .. } => drop(reply.send(Err(clone_error(err)))),
            Write::Checkpoint { reply, .. } | Write::Snapshot { reply, .. } => {
                drop(reply.send(Err(clone_error(err))))
            }
        }
    }
}

fn clone_error(err: &StoreError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}
