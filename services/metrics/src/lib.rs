//! # minsheng-metrics
//!
//! Citywide performance figures projected from every context's events.
//!
//! Read in this order:
//! - [`domain`]: the KPI book and what vehicle-iot's and fraud's events add
//!   to it, pure.
//! - [`projection`]: follows the contexts, keeps the book and its positions
//!   in one snapshot (the leader saves).
//! - [`query`]: the figures of one period and scope; [`grpc`] and [`http`]
//!   serve them, [`gauges`] puts them on `/metrics`; [`target`] wires it all.
//!
//! Issue 6 is in progress: the dashboard and `minsheng projections rebuild`
//! are still to come.

pub mod domain;
pub mod gauges;
pub mod grpc;
pub mod http;
pub mod projection;
pub mod query;
pub mod target;

pub use target::MetricsTarget;
