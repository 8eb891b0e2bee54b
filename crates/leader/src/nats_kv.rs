//! Leader election on a JetStream key-value bucket, for a mesh on NATS that
//! runs outside Kubernetes (or would rather not give its pods the Lease
//! RBAC): one key per leadership in the bucket `MS_LEASES`, with the same
//! semantics as the Kubernetes Lease ([`crate::lease`]).
//!
//! - The entry's value names the holder and the lease's duration (its TTL,
//!   in milliseconds), as JSON, so `nats kv get MS_LEASES <name>` reads it.
//! - Every write is a compare-and-set on the revision read (JetStream's
//!   expected last subject sequence; 0 when there is none yet): of two
//!   replicas racing for a lease, the server refuses the second.
//! - The TTL is measured by each rival's own clock from when it first saw
//!   the entry's revision, as Kubernetes does, not by the server's: a
//!   server-side expiry would trust the server's clock and the bucket's
//!   settings, and a leader that stops cleanly deletes its entry anyway.
//! - Released (on shutdown) by deleting the entry, at the revision we
//!   wrote, so that a rival takes over at once.
//!
//! A read may come from a lagging replica (a direct get); that is safe,
//! because the write that follows is checked by the stream's leader.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::lease::{
    Attempt, Judgement, LeaseKeeper, LeaseTimings, Observed, campaign, check_identity, check_name,
    judge,
};
use crate::{LeaderElection, LeaderError, Leadership};

/// The bucket holding the leases.
pub const LEASES_BUCKET: &str = "MS_LEASES";

/// A lease's value.
#[derive(Debug, Serialize, Deserialize)]
struct Held {
    holder: String,
    lease_ms: u64,
}

#[derive(Clone)]
pub struct NatsKvLease {
    bucket: kv::Store,
    identity: String,
    timings: LeaseTimings,
}

impl std::fmt::Debug for NatsKvLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsKvLease")
            .field("identity", &self.identity)
            .field("timings", &self.timings)
            .finish_non_exhaustive()
    }
}

impl NatsKvLease {
    /// Opens the lease bucket (creating it, on file storage with `replicas`
    /// copies, on first use) for the replica named `identity`.
    pub async fn open(
        client: async_nats::Client,
        replicas: usize,
        identity: &str,
        timings: LeaseTimings,
    ) -> Result<Self, LeaderError> {
        check_identity(identity)?;
        timings.check()?;
        let js = jetstream::new(client);
        let bucket = match js.get_key_value(LEASES_BUCKET).await {
            Ok(bucket) => bucket,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: LEASES_BUCKET.to_owned(),
                    history: 1,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas,
                    ..Default::default()
                })
                .await
                .map_err(|error| {
                    LeaderError::Stopped(format!("cannot open the {LEASES_BUCKET} bucket: {error}"))
                })?,
        };
        Ok(NatsKvLease {
            bucket,
            identity: identity.to_owned(),
            timings,
        })
    }

    fn ours(&self) -> bytes::Bytes {
        let held = Held {
            holder: self.identity.clone(),
            lease_ms: u64::try_from(self.timings.lease_duration.as_millis()).unwrap_or(u64::MAX),
        };
        serde_json::to_vec(&held).unwrap_or_default().into()
    }

    /// The entry's revision and holder, if it holds a lease (a deleted
    /// entry is a released lease, still with a revision to write at).
    async fn read(&self, name: &str) -> Result<(u64, Option<Held>), async_nats::Error> {
        Ok(match self.bucket.entry(name).await? {
            None => (0, None),
            Some(entry) if entry.operation != kv::Operation::Put => (entry.revision, None),
            Some(entry) => {
                let held = serde_json::from_slice(&entry.value).unwrap_or_else(|_| {
                    // Someone else's value: a holder we do not know, which
                    // expires like any other.
                    Held {
                        holder: "(unreadable)".to_owned(),
                        lease_ms: 0,
                    }
                });
                (entry.revision, Some(held))
            }
        })
    }
}

#[async_trait]
impl LeaseKeeper for NatsKvLease {
    type Error = async_nats::Error;

    fn timings(&self) -> LeaseTimings {
        self.timings
    }

    async fn attempt(
        &self,
        name: &str,
        renewing: bool,
        observed: &mut Observed,
    ) -> Result<Attempt, async_nats::Error> {
        let (revision, held) = self.read(name).await?;
        let duration = match &held {
            Some(held) if held.lease_ms > 0 => Duration::from_millis(held.lease_ms),
            _ => self.timings.lease_duration,
        };
        let judged = judge(
            name,
            &self.identity,
            held.as_ref().map(|h| h.holder.as_str()),
            renewing,
            observed.unchanged_for(&revision.to_string()),
            duration,
        );
        if let Judgement::Leave(attempt) = judged {
            return Ok(attempt);
        }
        match self.bucket.update(name, self.ours(), revision).await {
            Ok(_) => Ok(Attempt::Leading),
            Err(error) if error.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                Ok(Attempt::Conflict)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn release(&self, name: &str) -> Result<(), async_nats::Error> {
        let (revision, held) = self.read(name).await?;
        if held.is_some_and(|held| held.holder == self.identity) {
            self.bucket
                .delete_expect_revision(name, Some(revision))
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl LeaderElection for NatsKvLease {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        check_name(name)?;
        Ok(campaign(self, name).await)
    }
}
