//! The kernel's one error type: what can go wrong with an append, a read or a
//! subscription, whatever the backend.

use crate::store::ExpectedVersion;

/// An error from an [`EventStore`](crate::EventStore).
///
/// Messages never carry event payloads or metadata values: they may hold
/// personal data, and errors end up in logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer got there first, or the caller's view of the stream is stale.
    /// Command handlers reload and decide again.
    #[error("wrong expected version for stream {stream}: expected {expected}, actual {}", display_version(.actual))]
    WrongExpectedVersion {
        stream: String,
        expected: ExpectedVersion,
        /// The stream's version when the append was refused (`None`: no stream).
        actual: Option<u64>,
    },
    /// Reading a stream that has no events.
    #[error("stream {0} not found")]
    StreamNotFound(String),
    /// A stream or context name that breaks the naming rules; `reason` says which part.
    #[error("invalid stream name: {reason}")]
    InvalidStreamName { reason: String },
    /// A malformed argument other than a stream name; `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    /// An event or a whole append over the size limits of [`crate::limits`].
    #[error("{field} is {size} bytes, over the limit of {limit} bytes")]
    PayloadTooLarge {
        field: &'static str,
        size: usize,
        limit: usize,
    },
    /// The backend cannot be reached or failed to answer in time. Whether an
    /// append was written is unknown: retry it with the same request id.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// Data read back from the backend does not decode: a bug or tampering, never bad input.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

fn display_version(version: &Option<u64>) -> String {
    match version {
        Some(v) => v.to_string(),
        None => "no stream".to_owned(),
    }
}

impl StoreError {
    pub(crate) fn unavailable(context: &str, err: impl std::fmt::Display) -> Self {
        StoreError::Unavailable(format!("{context}: {err}"))
    }

    pub(crate) fn corrupt(context: &str, err: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(format!("{context}: {err}"))
    }
}
