//! # minsheng-eventstore: the event-sourcing kernel
//!
//! Every service of the mesh records what happens as events and answers from
//! projections of them. This crate is the part they all stand on. Read it in
//! this order:
//!
//! - [`stream`]: names. A stream is one aggregate instance,
//!   `<context>.<aggregate>.<id>`; a [`Context`] is a bounded context's log.
//! - [`envelope`]: what an event is on the way in ([`NewEvent`]) and on the way
//!   out ([`RecordedEvent`]), with its [`Metadata`].
//! - [`store`]: the [`EventStore`] contract every backend keeps: append with an
//!   expected version and an idempotency key, read a stream, read a context's
//!   log, catch-up subscriptions, checkpoints.
//! - [`limits`]: what one append may carry, checked the same way by every backend.
//! - [`codec`]: typed domain events ([`DomainEvent`]) to and from the envelope,
//!   with the upcasting hook for old schema versions.
//! - [`aggregate`]: the [`Aggregate`] trait and the [`CommandRunner`] that
//!   loads, decides, appends, and retries on a concurrent write.
//! - Backends: [`sqlite`] (embedded, the default), [`jetstream`] (distributed),
//!   and `esdb` (EventStoreDB, behind the `eventstoredb` cargo feature).
//!
//! The conformance suite in `tests/conformance` holds every backend to the
//! same contract.

pub mod aggregate;
pub mod codec;
pub mod envelope;
pub mod error;
#[cfg(feature = "eventstoredb")]
pub mod esdb;
pub mod interposed;
pub mod jetstream;
pub mod limits;
pub mod sqlite;
pub mod store;
pub mod stream;

pub use aggregate::{Aggregate, CommandContext, CommandError, CommandRunner, Executed};
pub use codec::{CodecError, DomainEvent};
pub use envelope::{Metadata, NewEvent, RecordedEvent};
pub use error::StoreError;
pub use store::{AppendOutcome, EventStore, EventSubscription, ExpectedVersion, Position};
pub use stream::{Context, RequestId, StreamName};
