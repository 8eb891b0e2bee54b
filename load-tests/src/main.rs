//! `minsheng-load`: drives the mesh over gRPC on loopback and measures it,
//! always beside a bare baseline run in the same process, so that figures
//! from a noisy machine are read as ratios.
//!
//! - `sightings`: the vehicle-iot hot path. A bare tonic client-streaming
//!   echo (same messages, no runtime, no domain) and the real target on the
//!   embedded store, driven by the same client streams; then the latency
//!   from a stolen tag's sighting to its hit on a `WatchHits` client while
//!   that load runs.
//! - `screening`: the fraud firewall, batches of 1 and 100, against a bare
//!   echo of the same messages; and how soon a newly blocked number is
//!   screened as blocked, embedded and over NATS.
//! - `rebuild`: the start-up rebuild of the stolen-tag set from a store
//!   holding 1.5 M registered bikes: time and memory (and with a share of
//!   the owners forgotten).
//! - `registrations`: e-bike registrations over gRPC, each owner's phone
//!   sealed under a data key of their own, against the same run recording
//!   it in clear (the baseline); then the latency of forgetting owners.
//! - `reads`: `GetEbike` with every read recorded in the read audit's file
//!   beside the store, against the same process recording nothing.
//!
//! Run in release: `cargo run --release -p minsheng-load -- sightings`.

mod echo;
mod latency;
mod mesh;
mod reads;
mod rebuild;
mod registrations;
mod screening;
mod sightings;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "minsheng-load", about = "Load generator for the minsheng mesh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// RFID sightings over client streaming: echo baseline vs vehicle-iot.
    Sightings(sightings::Options),
    /// Rebuild the stolen-tag set at start from many registered bikes.
    Rebuild(rebuild::Options),
    /// Partners screening numbers: echo baseline vs fraud; newly blocked
    /// numbers, embedded and over NATS.
    Screening(screening::Options),
    /// E-bike registrations with personal data sealed vs recorded in
    /// clear; then forgetting owners.
    Registrations(registrations::Options),
    /// Bike reads recorded in the read audit vs not recorded.
    Reads(reads::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Sightings(options) => sightings::run(options).await,
        Command::Rebuild(options) => rebuild::run(options).await,
        Command::Screening(options) => screening::run_all(options).await,
        Command::Registrations(options) => registrations::run(options).await,
        Command::Reads(options) => reads::run(options).await,
    }
}
