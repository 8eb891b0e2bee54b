//! The embedded backend: one SQLite file, the default for a laptop, a demo or
//! a test. See [`writer`] for how appends are committed.
//!
//! Reads run on a small pool of read-only connections beside the writer (WAL
//! mode lets them), on tokio's blocking threads.

mod group_commit;
mod schema;
pub use group_commit::GroupCommit;
pub use schema::Durability;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot, watch};

use crate::envelope::{NewEvent, RecordedEvent};
use crate::error::StoreError;
use crate::limits;
use crate::store::{
    AppendOutcome, EventStore, EventSubscription, ExpectedVersion, Position, check_checkpoint_name,
};
use crate::stream::{Context, RequestId, StreamName};

/// Appends waiting for the writer before callers are made to wait.
const WRITE_QUEUE: usize = 8192;
/// Read connections kept open between reads.
const IDLE_READERS: usize = 8;
/// Events a subscription reads from the file at a time.
const SUBSCRIPTION_PAGE: usize = 512;

/// The embedded event store. Cheap to clone; the writer thread stops when the
/// last clone is dropped or [`SqliteStore::close`] is called.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    durability: schema::Durability,
    writes: Mutex<Option<mpsc::Sender<writer::Write>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    head: watch::Receiver<Position>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStore {
    /// Opens (or creates) the store in the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        owner_only(&path)
            .map_err(|e| StoreError::unavailable("make the sqlite files private", e))?;
        let conn = schema::open(&path)?;
        // SQLite opens a file it may not write read-only, silently; every
        // append would then fail. Refuse now, saying why.
        if conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| StoreError::unavailable("open sqlite", e))?
        {
            return Err(StoreError::Unavailable(format!(
                "{} cannot be written (its mode, its owner or a read-only file system): \
                 the store would refuse every write",
                path.display()
            )));
        }
        schema::create(&conn)?;
        let durability = schema::durability(&conn)?;
        let last: Option<i64> = conn
            .query_row("SELECT max(position) FROM events", [], |row| row.get(0))
            .map_err(|e| StoreError::unavailable("open sqlite", e))?;
        let (head_tx, head_rx) = watch::channel(Position(last.unwrap_or(0) as u64));
        let (writes_tx, writes_rx) = mpsc::channel(WRITE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || writer::run(conn, writes_rx, head_tx))
            .map_err(|e| StoreError::unavailable("start sqlite writer", e))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                durability,
                writes: Mutex::new(Some(writes_tx)),
                writer_thread: Mutex::new(Some(thread)),
                head: head_rx,
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The writer connection's journal mode and sync level, as SQLite
    /// reported them when the store opened.
    pub fn durability(&self) -> &Durability {
        &self.inner.durability
    }

    /// Stops taking writes, lets the writer commit what it holds, and waits
    /// for it. Writes after this fail with `Unavailable`.
    pub async fn close(&self) {
        let sender = lock(&self.inner.writes).take();
        drop(sender);
        let thread = lock(&self.inner.writer_thread).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        lock(&self.inner.readers).clear();
    }

    fn sender(&self) -> Result<mpsc::Sender<writer::Write>, StoreError> {
        lock(&self.inner.writes)
            .clone()
            .ok_or_else(|| StoreError::Unavailable("the store is closed".to_owned()))
    }

    async fn write<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> writer::Write,
    ) -> Result<T, StoreError> {
        let (reply_tx, reply_rx) = oneshot::channel();
        self.sender()?
            .send(make(reply_tx))
            .await
            .map_err(|_| StoreError::Unavailable("the sqlite writer stopped".to_owned()))?;
        reply_rx
            .await
            .map_err(|_| StoreError::Unavailable("the sqlite writer stopped".to_owned()))?
    }

    /// Runs `f` on a pooled read connection on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = lock(&inner.readers).pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => {
                    let conn = schema::open(&inner.path)?;
                    conn.execute_batch("PRAGMA query_only = ON;")
                        .map_err(|e| StoreError::unavailable("open sqlite reader", e))?;
                    conn
                }
            };
            let result = f(&conn);
            let mut idle = lock(&inner.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::unavailable("sqlite reader task", e))?
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind, still valid.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::unavailable("read sqlite", e)
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        request_id: Option<&RequestId>,
    ) -> Result<AppendOutcome, StoreError> {
        limits::check_append(&events)?;
        let stream = stream.clone();
        let request_id = request_id.cloned();
        self.write(|reply| writer::Write::Append {
            stream,
            expected,
            events,
            request_id,
            reply,
        })
        .await
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream = stream.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "{} WHERE stream = ?1 AND version >= ?2 ORDER BY version LIMIT ?3",
                    schema::SELECT_EVENT
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(
                    params![
                        stream.as_str(),
                        saturating_i64(from_version),
                        saturating_i64(limit as u64)
                    ],
                    schema::event_from_row,
                )
                .map_err(db_err)?;
            let events = schema::collect_events(rows)?;
            if events.is_empty() {
                let exists = conn
                    .prepare_cached("SELECT 1 FROM events WHERE stream = ?1 LIMIT 1")
                    .and_then(|mut s| s.query_row([stream.as_str()], |_| Ok(())).optional())
                    .map_err(db_err)?;
                if exists.is_none() {
                    return Err(StoreError::StreamNotFound(stream.to_string()));
                }
            }
            Ok(events)
        })
        .await
    }

    async fn head(&self, context: &Context) -> Result<Position, StoreError> {
        let context = context.clone();
        self.read(move |conn| {
            let last: Option<i64> = conn
                .prepare_cached("SELECT max(position) FROM events WHERE context = ?1")
                .map_err(db_err)?
                .query_row(params![context.as_str()], |row| row.get(0))
                .map_err(db_err)?;
            Ok(Position(last.map_or(0, |p| p.max(0).unsigned_abs())))
        })
        .await
    }

    async fn read_all(
        &self,
        context: &Context,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let context = context.clone();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "{} WHERE context = ?1 AND position > ?2 ORDER BY position LIMIT ?3",
                    schema::SELECT_EVENT
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(
                    params![
                        context.as_str(),
                        saturating_i64(after.0),
                        saturating_i64(limit as u64)
                    ],
                    schema::event_from_row,
                )
                .map_err(db_err)?;
            schema::collect_events(rows)
        })
        .await
    }

    async fn subscribe(
        &self,
        context: &Context,
        after: Position,
    ) -> Result<EventSubscription, StoreError> {
        // Whole pages cross the channel: one wake-up per page, not per
        // event (per event, a replay spent a third of its time switching
        // threads).
        let (tx, rx) = mpsc::channel(2);
        let store = self.clone();
        let context = context.clone();
        tokio::spawn(async move {
            let mut head = store.inner.head.clone();
            let mut after = after;
            loop {
                // Mark the head seen before reading, so a commit landing after
                // the read still wakes us.
                head.borrow_and_update();
                let page = match store.read_all(&context, after, SUBSCRIPTION_PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                let Some(last) = page.last() else {
                    tokio::select! {
                        changed = head.changed() => if changed.is_err() { return },
                        () = tx.closed() => return,
                    }
                    continue;
                };
                after = last.position;
                if tx.send(Ok(page)).await.is_err() {
                    return;
                }
            }
        });
        Ok(receiver_stream(rx))
    }

    async fn committed_request(
        &self,
        request_id: &RequestId,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        let id = request_id.clone();
        self.read(move |conn| writer::committed_request(conn, &id))
            .await
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        check_checkpoint_name(name)?;
        let name = name.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT position FROM checkpoints WHERE name = ?1")
                .and_then(|mut s| s.query_row([name], |row| row.get::<_, i64>(0)).optional())
                .map(|p| p.map(|p| Position(p as u64)))
                .map_err(db_err)
        })
        .await
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        check_checkpoint_name(name)?;
        let name = name.to_owned();
        self.write(|reply| writer::Write::Checkpoint {
            name,
            position,
            reply,
        })
        .await
    }

    async fn load_snapshot(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        check_checkpoint_name(name)?;
        let name = name.to_owned();
        self.read(move |conn| {
            conn.prepare_cached("SELECT data FROM snapshots WHERE name = ?1")
                .and_then(|mut s| {
                    s.query_row([name], |row| row.get::<_, Vec<u8>>(0))
                        .optional()
                })
                .map_err(db_err)
        })
        .await
    }

    async fn save_snapshot(&self, name: &str, data: Vec<u8>) -> Result<(), StoreError> {
        crate::store::check_snapshot(name, &data)?;
        let name = name.to_owned();
        self.write(|reply| writer::Write::Snapshot { name, data, reply })
            .await
    }
}

/// SQLite integers are signed: a bound past `i64::MAX` means "past everything".
fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn receiver_stream(
    mut rx: mpsc::Receiver<Result<Vec<RecordedEvent>, StoreError>>,
) -> EventSubscription {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .flat_map(|page| {
            let events: Vec<Result<RecordedEvent, StoreError>> = match page {
                Ok(events) => events.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(events)
        })
        .boxed()
}

/// Makes the database file readable and writable by its owner only,
/// whatever the umask: created so if missing (an empty file is an empty
/// database), tightened if looser. SQLite gives the WAL and shared-memory
/// files it creates the database file's mode; ones left looser by an
/// earlier build are tightened too. (Also for the personal-data keys'
/// database beside this one.)
pub fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = Path::new(&file);
            match std::fs::metadata(file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
