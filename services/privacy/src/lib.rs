//! # minsheng-privacy
//!
//! The right to be forgotten and the right of access, for a police
//! bureau's records: a data-protection officer forgets a person (their
//! data key is destroyed, so every value sealed for them, in every copy of
//! every event, reads as forgotten while the history and every figure
//! stand) unless something holds their data, or exports everything the
//! mesh holds about them. Each call is itself an event with the officer as
//! its actor.
//!
//! Read in this order:
//! - [`domain`]: what holds a person's data and where they appear, folded
//!   from the published events of the other contexts; the record of each
//!   forget, refusal and export. Pure.
//! - [`app`]: forget and export, through the vault and the store.
//! - [`grpc`]: `minsheng.privacy.v1.Privacy`, parsing at the edge.
//! - [`target`]: what the runtime serves, and who may call it.

pub mod app;
pub mod domain;
pub mod grpc;
pub mod target;

pub use target::PrivacyTarget;
