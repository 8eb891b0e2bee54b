//! The event store a URL names: `sqlite://<path>` (embedded) or
//! `nats://host:port[,nats://host:port...]` (JetStream).

use std::path::PathBuf;
use std::sync::Arc;

use minsheng_eventstore::jetstream::{JetStreamConfig, JetStreamStore};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{EventStore, StoreError};

/// Opens the store at `url`; `replicas` applies to JetStream streams.
pub async fn open(url: &str, replicas: usize) -> Result<Arc<dyn EventStore>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(invalid("sqlite:// needs a file path"));
        }
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            crate::data_dir::create_private(dir)
                .map_err(|e| StoreError::Unavailable(format!("create {}: {e}", dir.display())))?;
        }
        return Ok(Arc::new(SqliteStore::open(path)?));
    }
    if url.starts_with("nats://") {
        if !(1..=5).contains(&replicas) {
            return Err(StoreError::InvalidInput {
                field: "store replicas",
                reason: "1 to 5 expected".to_owned(),
            });
        }
        return Ok(Arc::new(
            JetStreamStore::connect(JetStreamConfig::new(url).replicas(replicas)).await?,
        ));
    }
    Err(invalid("sqlite://<path> or nats://<host>:<port> expected"))
}

/// Where what lives beside a store's events is kept (the data keys, the
/// read audit), so that a backup of the one is a backup of the others.
#[derive(Debug)]
pub enum Beside {
    /// The embedded store's file: its companions are files next to it.
    Sqlite(PathBuf),
    /// The store's NATS: its companions are JetStream streams and buckets.
    Nats(async_nats::Client),
}

/// What is beside the store at `url` (connected, for NATS).
pub async fn beside(url: &str) -> Result<Beside, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        return Ok(Beside::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("nats://") {
        let client = minsheng_eventstore::jetstream::connect_client(url).await?;
        return Ok(Beside::Nats(client));
    }
    Err(invalid("sqlite://<path> or nats://<host>:<port> expected"))
}

fn invalid(reason: &str) -> StoreError {
    StoreError::InvalidInput {
        field: "store url",
        reason: reason.to_owned(),
    }
}
