//! # minsheng-vault: personal data that can be forgotten
//!
//! An event store keeps everything forever. So personal values (phones,
//! accounts, names) are never written in clear: each is sealed with a data
//! key of its own person (AES-256-GCM, from `ring`), and the data key is
//! kept, wrapped by the deployment's master key (envelope encryption), in
//! a [`KeyStore`] beside the events. Forgetting a person destroys their
//! data key: every copy of their events, backups included, keeps its
//! history and figures but can no longer be read.
//!
//! Read in this order:
//! - [`crypto`]: the master key, data keys, wrapping, sealing; pure.
//! - what an event holds in place of a value is
//!   [`minsheng_values::Personal`] (sealed or, in old events, clear).
//! - [`store`]: where wrapped data keys live ([`store::SqliteKeys`] beside
//!   the embedded store, [`nats_keys::NatsKeys`] in a JetStream bucket).
//! - [`vault`]: the three together, with a bounded cache of unwrapped keys.

pub mod crypto;
pub mod nats_keys;
pub mod store;
pub mod vault;

pub use crypto::{CryptoError, MasterKey};
pub use minsheng_values::{Opened, Personal, Sealed};
pub use nats_keys::NatsKeys;
pub use store::{KeyStore, SqliteKeys, StoreError, WrappedKey};
pub use vault::{Vault, VaultError};
