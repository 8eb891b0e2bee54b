//! Who read what (`minsheng-audit`), recorded at the gRPC edge: a handler
//! that answers with personal data, or a location tied to a bike or a
//! person, takes the [`Reader`] from its request before it reads, and
//! records what it read through [`ReadAudit`] before it answers. A read
//! that cannot be recorded is not answered (UNAVAILABLE).
//!
//! The log is kept beside the store ([`open`]): `events.audit.db` next to
//! the embedded store's file, the `MS_AUDIT` stream on JetStream; reads
//! older than the retention are dropped (the process prunes the SQLite
//! log hourly; the stream's `max_age` prunes itself).
//!
//! On `/metrics`: `minsheng_reads_recorded_total{what}`.

use std::path::Path;
use std::sync::Arc;

use minsheng_audit::{AuditError, AuditLog, NatsAudit, Read, SqliteAudit};
use minsheng_eventstore::StoreError;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use tonic::{Request, Status};

use crate::clock::Clock;
use crate::metrics::MetricsRegistry;
use crate::store::Beside;

/// The metadata key a caller states its purpose in.
pub const PURPOSE: &str = "x-purpose";
/// The longest purpose kept.
const PURPOSE_CHARS: usize = 200;

/// How long reads are kept unless the operator says otherwise: six months,
/// the least a network operator keeps its logs under the Cybersecurity
/// Law.
pub const DEFAULT_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(180);

/// The file the read audit of the embedded store at `events` is kept in:
/// `events.db` → `events.audit.db`.
pub fn sqlite_file(events: &Path) -> std::path::PathBuf {
    events.with_extension("audit.db")
}

/// The read audit beside the events at `store_url`.
pub async fn open(
    store_url: &str,
    replicas: usize,
    retention: chrono::TimeDelta,
) -> Result<Arc<dyn AuditLog>, StoreError> {
    let failed = |e: AuditError| StoreError::Unavailable(e.to_string());
    Ok(match crate::store::beside(store_url).await? {
        Beside::Sqlite(events) => {
            Arc::new(SqliteAudit::open(sqlite_file(&events)).map_err(failed)?)
        }
        Beside::Nats(client) => {
            let retention = retention.to_std().unwrap_or(std::time::Duration::ZERO);
            Arc::new(
                NatsAudit::open(client, replicas, retention)
                    .await
                    .map_err(failed)?,
            )
        }
    })
}

/// A log that lives as long as the process: for tests' processes (and
/// [`crate::local`]), which do not reopen their store's files.
pub fn in_memory() -> Arc<dyn AuditLog> {
    Arc::new(SqliteAudit::open(":memory:").expect("an in-memory SQLite database opens"))
}

/// Drops reads older than `retention` from `log` now and then every hour,
/// by `clock`, until `stop`.
pub async fn prune_every_hour(
    log: Arc<dyn AuditLog>,
    retention: chrono::TimeDelta,
    clock: Arc<dyn Clock>,
    stop: crate::shutdown::Shutdown,
) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = hourly.tick() => {}
            () = stop.wait() => return,
        }
        match log.prune(clock.now() - retention).await {
            Ok(0) => {}
            Ok(dropped) => tracing::info!(dropped, "reads past their retention dropped"),
            Err(error) => tracing::warn!(%error, "reads past their retention not dropped yet"),
        }
    }
}

/// Who is reading, and why, as the request says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub actor: String,
    pub purpose: String,
}

impl Reader {
    /// The reader of `request`: the token's subject and the `x-purpose`
    /// it gave (printable, at most 200 characters, or INVALID_ARGUMENT).
    pub fn of<T>(request: &Request<T>) -> Result<Reader, Status> {
        let actor = crate::grpc::command::caller(request)?.subject.clone();
        let purpose = match request.metadata().get(PURPOSE) {
            None => String::new(),
            Some(value) => value
                .to_str()
                .ok()
                .filter(|p| p.chars().count() <= PURPOSE_CHARS && !p.chars().any(char::is_control))
                .map(|p| p.trim().to_owned())
                .ok_or_else(|| {
                    crate::grpc::status::invalid_field(
                        PURPOSE,
                        "printable text of at most 200 characters",
                    )
                })?,
        };
        Ok(Reader { actor, purpose })
    }
}

/// One thing read: its kind, its id, whose it is (a person key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub what: &'static str,
    pub id: String,
    pub person: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhatLabel {
    what: &'static str,
}

/// Records reads in the process's audit log.
#[derive(Clone, Debug)]
pub struct ReadAudit {
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    recorded: Family<WhatLabel, Counter>,
}

impl ReadAudit {
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>, metrics: &MetricsRegistry) -> Self {
        let recorded = Family::<WhatLabel, Counter>::default();
        metrics.register(
            "minsheng_reads_recorded",
            "Reads of personal data or locations recorded in the read audit, by kind",
            recorded.clone(),
        );
        ReadAudit {
            log,
            clock,
            recorded,
        }
    }

    /// The log, for listing.
    pub fn log(&self) -> &Arc<dyn AuditLog> {
        &self.log
    }

    /// Records that `reader` read `items` through `rpc`; UNAVAILABLE if the
    /// log cannot (the caller must then not answer).
    pub async fn record(
        &self,
        reader: &Reader,
        rpc: &'static str,
        items: impl IntoIterator<Item = Item>,
    ) -> Result<(), Status> {
        let at = self.clock.now();
        let reads: Vec<Read> = items
            .into_iter()
            .map(|item| {
                self.recorded
                    .get_or_create(&WhatLabel { what: item.what })
                    .inc();
                Read {
                    at,
                    actor: reader.actor.clone(),
                    purpose: reader.purpose.clone(),
                    rpc: rpc.to_owned(),
                    what: item.what.to_owned(),
                    id: item.id,
                    person: item.person,
                }
            })
            .collect();
        self.log.record(reads).await.map_err(|e| {
            tracing::error!(error = %e, rpc, "a read could not be recorded: not answered");
            Status::unavailable("the read audit is unavailable: try again")
        })
    }
}
