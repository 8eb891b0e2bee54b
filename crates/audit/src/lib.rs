//! # minsheng-audit
//!
//! Police systems must answer "who looked at this person's data". Every
//! call that returns a resident's personal data, or a location tied to a
//! bike or a person, records here who read what ([`Read`]: the actor, the
//! purpose they gave, the call, what was read and whose it was) before it
//! answers. A record holds no personal value: things by their ids (a tag,
//! an alert id), people by their person keys.
//!
//! The reads are kept apart from the events, in a log of their own with
//! its own retention: [`SqliteAudit`] beside the embedded store (pruned by
//! age), [`NatsAudit`] in a JetStream stream (whose `max_age` prunes it).
//! Both list reads by actor and by person, in the order they were
//! recorded, a page at a time.

mod nats;
mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use nats::NatsAudit;
pub use sqlite::SqliteAudit;

/// One thing a call read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    pub at: DateTime<Utc>,
    /// The token's subject.
    pub actor: String,
    /// Why, as the caller said (`x-purpose`); empty if not said.
    pub purpose: String,
    /// The call, `package.Service/Method`.
    pub rpc: String,
    /// What kind of thing: `ebike`, `hit`, `owner-notice`, `alert`,
    /// `subject-access`.
    pub what: String,
    /// Which one: a tag, an alert id, a person key.
    pub id: String,
    /// Whose data it is, by person key, when the reader knows.
    pub person: Option<String>,
}

/// Whose reads to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Everything this actor read.
    ByActor(String),
    /// Everything read of this person (by person key).
    ByPerson(String),
}

/// A read as listed, with its place in the log (a page's `after`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub cursor: u64,
    pub read: Read,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The log could not record or list: a read must not be answered
    /// unrecorded, so the caller fails too.
    #[error("the read audit is unavailable: {0}")]
    Unavailable(String),
}

fn unavailable(error: impl std::fmt::Display) -> AuditError {
    AuditError::Unavailable(error.to_string())
}

/// Where reads are recorded.
#[async_trait]
pub trait AuditLog: Send + Sync + std::fmt::Debug {
    /// Records `reads` (one call's), durably, before the call answers.
    async fn record(&self, reads: Vec<Read>) -> Result<(), AuditError>;

    /// Up to `limit` reads matching `query` recorded after `after` (0: from
    /// the oldest kept), oldest first.
    async fn list(
        &self,
        query: &Query,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Listed>, AuditError>;

    /// Drops reads recorded before `before`; how many. A log that prunes
    /// itself (a stream's `max_age`) drops nothing here.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, AuditError>;
}

/// Records nothing: the load generator's baseline only (what recording
/// reads costs). No flag of the binary chooses it.
#[derive(Debug, Default)]
pub struct NotRecorded;

#[async_trait]
impl AuditLog for NotRecorded {
    async fn record(&self, _reads: Vec<Read>) -> Result<(), AuditError> {
        Ok(())
    }

    async fn list(&self, _: &Query, _: u64, _: usize) -> Result<Vec<Listed>, AuditError> {
        Ok(Vec::new())
    }

    async fn prune(&self, _: DateTime<Utc>) -> Result<u64, AuditError> {
        Ok(0)
    }
}
