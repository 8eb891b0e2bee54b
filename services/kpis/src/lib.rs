//! # minsheng-kpis
//!
//! Citywide performance figures projected from every context's events.
//!
//! Read in this order:
//! - [`domain`]: the KPI book and what vehicle-iot's and fraud's events add
//!   to it, pure.
//! - [`projection`]: the book as a projection of the runtime's (which
//!   follows the contexts, keeps the book and its positions in one
//!   snapshot saved by the leader, and rebuilds it beside the live one).
//! - [`query`]: the figures of one period and scope, and the dashboard's
//!   overview of a year; [`grpc`] and [`http`] serve them (the dashboard's
//!   page is in `assets/`, compiled in), [`gauges`] puts them on
//!   `/metrics`.
//! - [`target`] wires it all.

pub mod domain;
pub mod gauges;
pub mod grpc;
pub mod http;
pub mod projection;
pub mod query;
pub mod target;

pub use target::KpisTarget;
