//! The fraud services end to end over gRPC in embedded mode: a real process
//! on port 0 with its SQLite store, real clients and tokens (a partner's
//! names its institution).

#![allow(clippy::unwrap_used)]

mod support;

mod alerts;
mod casework;
mod fugitives;
mod refusals;
mod stop_payments;
