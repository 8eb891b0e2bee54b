//! The key-value buckets (request ids, checkpoints) and the object store
//! (read models' snapshots) beside the context streams, opened or created
//! with the streams' replica count.

use async_nats::jetstream::object_store::{self, ObjectStore};
use async_nats::jetstream::{self, kv, stream};

use super::JetStreamConfig;
use super::retry::{passing, retrying};
use crate::error::StoreError;

pub(super) const REQUESTS_BUCKET: &str = "MS_REQUESTS";
pub(super) const CHECKPOINTS_BUCKET: &str = "MS_CHECKPOINTS";
/// Read models' snapshots: an object store, as a snapshot may outgrow a
/// message (NATS caps those near 1 MiB); an object is replaced whole.
const SNAPSHOTS_BUCKET: &str = "MS_SNAPSHOTS";

/// Opens the key-value bucket `name`, creating it on first use.
pub(super) async fn key_value_bucket(
    js: &jetstream::Context,
    name: &str,
    config: &JetStreamConfig,
) -> Result<kv::Store, StoreError> {
    retrying(config.retry_for, "open jetstream bucket", || async {
        if let Ok(store) = js.get_key_value(name).await {
            return Ok(store);
        }
        js.create_key_value(kv::Config {
            bucket: name.to_owned(),
            history: 1,
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            ..Default::default()
        })
        .await
        .map_err(passing)
    })
    .await
}

/// The snapshot bucket (async-nats's handle has no `Debug`).
pub(super) struct Snapshots(ObjectStore);

impl std::fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(SNAPSHOTS_BUCKET)
    }
}

impl Snapshots {
    /// Opens the object store, creating it on first use.
    pub(super) async fn open(
        js: &jetstream::Context,
        config: &JetStreamConfig,
    ) -> Result<Self, StoreError> {
        retrying(config.retry_for, "open jetstream object store", || async {
            if let Ok(store) = js.get_object_store(SNAPSHOTS_BUCKET).await {
                return Ok(store);
            }
            js.create_object_store(object_store::Config {
                bucket: SNAPSHOTS_BUCKET.to_owned(),
                storage: stream::StorageType::File,
                num_replicas: config.replicas,
                ..Default::default()
            })
            .await
            .map_err(passing)
        })
        .await
        .map(Snapshots)
    }

    pub(super) async fn load(
        &self,
        name: &str,
        retry_for: std::time::Duration,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        retrying(retry_for, "read jetstream snapshot", || async {
            use object_store::GetErrorKind;
            use tokio::io::AsyncReadExt;
            match self.0.get(name).await {
                Ok(mut object) => {
                    let mut data = Vec::new();
                    object.read_to_end(&mut data).await.map_err(passing)?;
                    Ok(Some(data))
                }
                Err(e) if e.kind() == GetErrorKind::NotFound => Ok(None),
                Err(e) => Err(passing(e)),
            }
        })
        .await
    }

    /// Replaces the snapshot `name` whole.
    pub(super) async fn save(
        &self,
        name: &str,
        data: &[u8],
        retry_for: std::time::Duration,
    ) -> Result<(), StoreError> {
        retrying(retry_for, "save jetstream snapshot", || async {
            self.0
                .put(name, &mut &data[..])
                .await
                .map(drop)
                .map_err(passing)
        })
        .await
    }
}
