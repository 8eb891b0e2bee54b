//! # minsheng-contracts: the published language
//!
//! Every event one context records that another context (or a program
//! outside the mesh) may read is a struct here, with its type name and
//! schema version ([`Published`]). The producer wraps the struct in its own
//! event enum (`VehicleEvent::EbikeRegistered(vehicle::EbikeRegistered)`),
//! so the stored payload (the envelope's `payload`, beside its
//! `event_type` and `schema_version`) is the struct's JSON; a consumer decodes
//! only the types it reads, by name ([`decode`]), and never depends on the
//! producer's crate.
//!
//! - [`vehicle`], [`fraud`], [`privacy`]: the published events of each
//!   context.
//! - [`exit`]: exit restrictions, one shape whoever imposes them, and the
//!   rule that says who may leave ([`exit::Restrictions`]).
//! - [`fixtures`]: one golden JSON payload per type and version, read by
//!   the producer's tests (its enum writes exactly that) and the
//!   consumers' (they read it).
//!
//! A published type changes only by adding a field with a default;
//! anything else is a new schema version with an upcaster in the producer.
//! Depends on the shared values, serde and chrono, nothing else.

pub mod exit;
pub mod fixtures;
pub mod fraud;
pub mod privacy;
pub mod vehicle;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A published event type.
pub trait Published: Serialize + DeserializeOwned {
    /// The producing context (`vehicle`).
    const CONTEXT: &'static str;
    /// The type's name in that context (`EbikeRegistered`).
    const NAME: &'static str;
    /// The schema version this build writes and reads.
    const VERSION: u16;
    /// The envelope's `event_type`: `vehicle.EbikeRegistered`.
    const EVENT_TYPE: &'static str;
    /// The oldest stored version that reads as this one unchanged (a
    /// version that only widened a field, as sealing did: a clear value is
    /// still read as [`minsheng_values::Personal::Clear`]).
    const READS_FROM: u16 = Self::VERSION;

    fn event_type() -> String {
        Self::EVENT_TYPE.to_owned()
    }
}

/// Why a payload could not be read as a published type.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{event_type} v{stored} is newer than this build reads (v{known})")]
    NewerVersion {
        event_type: String,
        stored: u16,
        known: u16,
    },
    #[error("{event_type} v{stored} is older than this build reads (v{known}) and has no upcaster")]
    OlderVersion {
        event_type: String,
        stored: u16,
        known: u16,
    },
    #[error("{event_type} does not decode: {source}")]
    Decode {
        event_type: String,
        source: serde_json::Error,
    },
}

/// Reads a stored payload (the envelope's `payload`, stored at
/// `schema_version`) as `T`. The caller has matched the envelope's
/// `event_type` to `T::event_type()`.
pub fn decode<T: Published>(payload: &str, schema_version: u16) -> Result<T, ContractError> {
    if schema_version > T::VERSION {
        return Err(ContractError::NewerVersion {
            event_type: T::event_type(),
            stored: schema_version,
            known: T::VERSION,
        });
    }
    if schema_version < T::READS_FROM {
        return Err(ContractError::OlderVersion {
            event_type: T::event_type(),
            stored: schema_version,
            known: T::VERSION,
        });
    }
    serde_json::from_str::<T>(payload).map_err(|source| ContractError::Decode {
        event_type: T::event_type(),
        source,
    })
}

/// Implements [`Published`] for a struct of `$context`.
/// `Name = 2 reads 1` says version 1 payloads read as version 2.
macro_rules! published {
    ($context:literal: $($name:ident = $version:literal $(reads $oldest:literal)?),+ $(,)?) => {
        $(
            impl $crate::Published for $name {
                const CONTEXT: &'static str = $context;
                const NAME: &'static str = stringify!($name);
                const VERSION: u16 = $version;
                const EVENT_TYPE: &'static str = concat!($context, ".", stringify!($name));
                $(const READS_FROM: u16 = $oldest;)?
            }
        )+
    };
}
pub(crate) use published;
