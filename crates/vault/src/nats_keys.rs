//! The mesh's key store: a JetStream key-value bucket (`MS_PERSON_KEYS`,
//! file storage, history 1) on the same NATS as the event streams. Keys are
//! person keys (32 hex digits, valid key names); values are the master
//! key's id and the wrapped data key. Forgetting erases the key's message
//! (overwritten on disk) and purges the key: its history goes with it.

use async_nats::jetstream::{kv, stream};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::store::{KeyStore, StoreError, WrappedKey};

/// The bucket's name.
pub const BUCKET: &str = "MS_PERSON_KEYS";

#[derive(Serialize, Deserialize)]
struct Stored {
    master: String,
    wrapped: String,
}

fn failed(error: impl std::fmt::Display) -> StoreError {
    StoreError(error.to_string())
}

#[derive(Clone, Debug)]
pub struct NatsKeys {
    bucket: kv::Store,
}

impl NatsKeys {
    /// Opens the bucket, creating it (with `replicas` copies) on first use.
    /// Created as `async-nats` creates a bucket, but allowing a single
    /// message to be erased (a bucket's stream denies it by default, and
    /// that cannot be changed once created): forgetting erases the key's
    /// message (see `delete`).
    pub async fn open(client: async_nats::Client, replicas: usize) -> Result<Self, StoreError> {
        let js = async_nats::jetstream::new(client);
        if js.get_key_value(BUCKET).await.is_err() {
            js.get_or_create_stream(stream::Config {
                name: format!("KV_{BUCKET}"),
                description: Some("minsheng: each person's data key, wrapped".to_owned()),
                subjects: vec![format!("$KV.{BUCKET}.>")],
                max_messages_per_subject: 1,
                storage: stream::StorageType::File,
                allow_rollup: true,
                deny_delete: false,
                deny_purge: false,
                allow_direct: true,
                num_replicas: replicas,
                discard: stream::DiscardPolicy::New,
                ..Default::default()
            })
            .await
            .map_err(failed)?;
        }
        let mut bucket = js.get_key_value(BUCKET).await.map_err(failed)?;
        let denies = bucket
            .stream
            .info()
            .await
            .map_err(failed)?
            .config
            .deny_delete;
        if denies {
            return Err(StoreError(format!(
                "the bucket {BUCKET} denies erasing a message (made by an earlier build): \
                 a forgotten key could stay on disk; copy its keys to a bucket made by this build"
            )));
        }
        Ok(NatsKeys { bucket })
    }

    fn encode(key: &WrappedKey) -> Result<bytes::Bytes, StoreError> {
        serde_json::to_vec(&Stored {
            master: key.master.clone(),
            wrapped: STANDARD.encode(&key.wrapped),
        })
        .map(Into::into)
        .map_err(failed)
    }

    /// The key kept for `person`, with its revision.
    async fn read(&self, person: &str) -> Result<Option<(WrappedKey, u64)>, StoreError> {
        let Some(entry) = self.bucket.entry(person).await.map_err(failed)? else {
            return Ok(None);
        };
        if entry.operation != kv::Operation::Put {
            return Ok(None);
        }
        let stored: Stored = serde_json::from_slice(&entry.value).map_err(failed)?;
        let wrapped = STANDARD.decode(stored.wrapped).map_err(failed)?;
        Ok(Some((
            WrappedKey {
                master: stored.master,
                wrapped,
            },
            entry.revision,
        )))
    }
}

#[async_trait]
impl KeyStore for NatsKeys {
    async fn get(&self, person: &str) -> Result<Option<WrappedKey>, StoreError> {
        Ok(self.read(person).await?.map(|(key, _)| key))
    }

    async fn insert_if_absent(
        &self,
        person: &str,
        key: WrappedKey,
    ) -> Result<WrappedKey, StoreError> {
        match self.bucket.create(person, Self::encode(&key)?).await {
            Ok(_) => Ok(key),
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => self
                .get(person)
                .await?
                .ok_or_else(|| StoreError(format!("the key of {person} vanished"))),
            Err(error) => Err(failed(error)),
        }
    }

    async fn rewrap(
        &self,
        person: &str,
        master: &str,
        key: WrappedKey,
    ) -> Result<bool, StoreError> {
        let Some((kept, revision)) = self.read(person).await? else {
            return Ok(false);
        };
        if kept.master != master {
            return Ok(false);
        }
        match self
            .bucket
            .update(person, Self::encode(&key)?, revision)
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => Ok(false),
            Err(error) => Err(failed(error)),
        }
    }

    /// Erases the key's message first (JetStream overwrites an erased
    /// message with random bytes; a purge alone drops it from the index
    /// and leaves its bytes in the block file until compaction), then
    /// purges the key so that no history or marker of a value remains.
    async fn delete(&self, person: &str) -> Result<bool, StoreError> {
        let kept = self.read(person).await?;
        if let Some((_, revision)) = &kept {
            self.bucket
                .stream
                .delete_message(*revision)
                .await
                .map_err(failed)?;
        }
        self.bucket.purge(person).await.map_err(failed)?;
        Ok(kept.is_some())
    }

    async fn wrapped_by_other_than(
        &self,
        master: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, WrappedKey)>, StoreError> {
        // Every key, sorted: a bucket lists its keys in no order. (A
        // rotation reads the list once per page: fine for the rare
        // rotation, not for a hot path.)
        let mut people: Vec<String> = self
            .bucket
            .keys()
            .await
            .map_err(failed)?
            .try_collect()
            .await
            .map_err(failed)?;
        people.sort();
        let mut page = Vec::new();
        for person in people.into_iter().filter(|p| p.as_str() > after) {
            if page.len() == limit {
                break;
            }
            if let Some((key, _)) = self.read(&person).await?
                && key.master != master
            {
                page.push((person, key));
            }
        }
        Ok(page)
    }
}
