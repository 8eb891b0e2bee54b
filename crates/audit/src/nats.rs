//! The mesh's read audit: a JetStream stream of its own, `MS_AUDIT`, whose
//! `max_age` is the retention. A read is a message on
//! `minsheng.audit.<person key or "none">.<actor token>`, so that listing by
//! person or by actor is a subject filter. The actor token is a hash of
//! the actor (a subject carries no name).

use std::future::IntoFuture;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::{AuditError, AuditLog, Listed, Query, Read, unavailable};

const STREAM: &str = "MS_AUDIT";
const PREFIX: &str = "minsheng.audit";
/// How long a listing waits for the next message it was told is there.
const NEXT_MESSAGE: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct NatsAudit {
    js: jetstream::Context,
    stream: stream::Stream,
}

/// The subject token of an actor: the first 128 bits of its SHA-256, hex.
pub fn actor_token(actor: &str) -> String {
    let digest = Sha256::digest(actor.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A person key as a subject token: 32 hex digits, nothing else.
fn person_token(person: Option<&str>) -> Result<String, AuditError> {
    match person {
        None => Ok("none".to_owned()),
        Some(key) if key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(key.to_ascii_lowercase())
        }
        Some(_) => Err(AuditError::Unavailable(
            "a person key is 32 hex digits".to_owned(),
        )),
    }
}

impl NatsAudit {
    /// Opens the stream, creating it with `replicas` copies on first use;
    /// reads older than `retention` are dropped by the server (a changed
    /// retention is applied to the stream).
    pub async fn open(
        client: async_nats::Client,
        replicas: usize,
        retention: Duration,
    ) -> Result<Self, AuditError> {
        let js = jetstream::new(client);
        let config = stream::Config {
            name: STREAM.to_owned(),
            description: Some("minsheng: who read which person's data".to_owned()),
            subjects: vec![format!("{PREFIX}.>")],
            max_age: retention,
            storage: stream::StorageType::File,
            num_replicas: replicas,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        };
        let mut stream = js
            .get_or_create_stream(config.clone())
            .await
            .map_err(unavailable)?;
        let kept = stream.info().await.map_err(unavailable)?.config.max_age;
        if kept != retention {
            js.update_stream(stream::Config {
                num_replicas: stream.cached_info().config.num_replicas,
                ..config
            })
            .await
            .map_err(unavailable)?;
            stream = js.get_stream(STREAM).await.map_err(unavailable)?;
        }
        Ok(NatsAudit { js, stream })
    }

    fn subject(read: &Read) -> Result<String, AuditError> {
        Ok(format!(
            "{PREFIX}.{}.{}",
            person_token(read.person.as_deref())?,
            actor_token(&read.actor)
        ))
    }
}

#[async_trait]
impl AuditLog for NatsAudit {
    async fn record(&self, reads: Vec<Read>) -> Result<(), AuditError> {
        let js = &self.js;
        let mut acks = Vec::with_capacity(reads.len());
        for read in &reads {
            let payload = serde_json::to_vec(read).map_err(unavailable)?;
            acks.push(
                js.publish(Self::subject(read)?, payload.into())
                    .await
                    .map_err(unavailable)?,
            );
        }
        for ack in futures::future::join_all(acks.into_iter().map(IntoFuture::into_future)).await {
            ack.map_err(unavailable)?;
        }
        Ok(())
    }

    async fn list(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Listed>, AuditError> {
        let filter = match query {
            Query::ByActor(actor) => format!("{PREFIX}.*.{}", actor_token(actor)),
            Query::ByPerson(person) => format!("{PREFIX}.{}.*", person_token(Some(person))?),
        };
        let mut consumer = self
            .stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: filter,
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: after.saturating_add(1),
                },
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let mut listed = Vec::new();
        if limit == 0 || consumer.info().await.map_err(unavailable)?.num_pending == 0 {
            return Ok(listed);
        }
        let mut messages = consumer.messages().await.map_err(unavailable)?;
        while listed.len() < limit {
            let message = tokio::time::timeout(NEXT_MESSAGE, messages.next())
                .await
                .map_err(unavailable)?
                .ok_or_else(|| AuditError::Unavailable("the listing ended".to_owned()))?
                .map_err(unavailable)?;
            let info = message.info().map_err(unavailable)?;
            let (cursor, pending) = (info.stream_sequence, info.pending);
            listed.push(Listed {
                cursor,
                read: serde_json::from_slice(&message.payload).map_err(unavailable)?,
            });
            if pending == 0 {
                break;
            }
        }
        Ok(listed)
    }

    async fn prune(&self, _before: DateTime<Utc>) -> Result<u64, AuditError> {
        // The stream's max_age drops old reads.
        Ok(0)
    }
}
