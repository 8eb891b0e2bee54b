//! # minsheng-vehicle-iot
//!
//! "Manage people, homes and vehicles by card": e-bike anti-theft
//! registration on RFID tags, the readers across the city and what they
//! see, stolen-bike hits, floating residents' cards and rental rooms.
//!
//! Read in this order:
//! - [`domain`]: the rules, pure and synchronous.
//! - [`app`]: the use cases: commands through the command runner,
//!   sightings through the desk.
//! - [`live`]: the in-memory read models (desk, hit log, hit feed, theft
//!   reports awaiting owners or under review), rebuilt from the events at
//!   start and kept up by subscription.
//! - [`deadlines`]: an owner's time to answer an officer's theft report.
//! - [`grpc`]: the `minsheng.vehicle.v1` services, parsing at the edge.
//! - [`target`]: what the runtime serves, and which roles may call what.

pub mod app;
pub mod deadlines;
pub mod domain;
pub mod grpc;
pub mod live;
pub mod metrics;
pub mod target;

pub use target::{VehicleIotConfig, VehicleIotTarget};
