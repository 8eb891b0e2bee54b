//! `minsheng-load`: drives the mesh over gRPC on loopback and measures it,
//! always beside a bare baseline run in the same process, so that figures
//! from a noisy machine are read as ratios.
//!
//! - `sightings`: the vehicle-iot hot path. A bare tonic client-streaming
//!   echo (same messages, no runtime, no domain) and the real target on the
//!   embedded store, driven by the same client streams; then the latency
//!   from a stolen tag's sighting to its hit on a `WatchHits` client while
//!   that load runs.
//! - `rebuild`: the start-up rebuild of the stolen-tag set from a store
//!   holding 1.5 M registered bikes: time and memory.
//!
//! Run in release: `cargo run --release -p minsheng-load -- sightings`.

mod echo;
mod mesh;
mod rebuild;
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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Sightings(options) => sightings::run(options).await,
        Command::Rebuild(options) => rebuild::run(options).await,
    }
}
