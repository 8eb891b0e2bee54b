//! # minsheng-kpis
//!
//! Citywide performance figures projected from every context's events.
//!
//! Read in this order:
//! - [`domain`]: the KPI book and what vehicle-iot's and fraud's events add
//!   to it, pure.
//! - [`projection`]: follows the contexts, keeps the book and its positions
//!   in one snapshot (the leader saves).
//! - [`query`]: the figures of one period and scope, and the dashboard's
//!   overview of a year; [`grpc`] and [`http`] serve them (the dashboard's
//!   page is in `assets/`, compiled in), [`gauges`] puts them on
//!   `/metrics`.
//! - [`rebuild`]: a fresh book replayed on the side and swapped in while
//!   the current one serves (`minsheng projections rebuild metrics`);
//!   [`rebuild_requests`] passes the request on to every other replica.
//! - [`status`]: where the projection stands, saved and live
//!   (`minsheng projections status`).
//! - [`target`] wires it all.

pub mod domain;
pub mod gauges;
pub mod grpc;
pub mod http;
pub mod projection;
pub mod query;
pub mod rebuild;
pub mod rebuild_requests;
pub mod status;
pub mod target;

pub use target::KpisTarget;
