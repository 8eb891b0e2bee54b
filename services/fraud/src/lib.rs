//! # minsheng-fraud
//!
//! The anti-fraud centre (alerts, emergency stop-payments, the phone
//! firewall), Fox Hunt fugitives and the exit restrictions they impose.
//!
//! Read in this order:
//! - [`domain`]: the rules, pure and synchronous.
//! - [`app`]: the use cases through the command runner.
//! - [`live`]: the in-memory read models (blocklist, totals, each alert's
//!   stop-payments), rebuilt from the events.
//! - [`deadlines`]: which events schedule and settle a stop-payment's
//!   deadline and how it expires (the runtime keeps and fires them);
//!   [`reactions`]: numbers an alert names get blocked.
//! - [`grpc`]: the `minsheng.fraud.v1` services; [`target`]: roles and wiring.

pub mod app;
pub mod deadlines;
pub mod domain;
pub mod grpc;
pub mod live;
pub mod reactions;
pub mod target;

pub use app::FraudConfig;
pub use target::FraudTarget;
