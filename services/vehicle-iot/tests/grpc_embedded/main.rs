//! The vehicle-iot services end to end over gRPC, in embedded mode: a real
//! process on port 0 with its SQLite store, real clients, real tokens.

#![allow(dead_code, clippy::unwrap_used)]

mod support;

mod dedupe;
mod endings;
mod hits;
mod people;
mod refusals;
mod theft_reports;
