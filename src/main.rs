//! `minsheng`: one binary, many targets. This file only wires the command
//! line to the crates; no domain logic lives here.
//!
//! Subcommands arrive with the issues that build them (`up`, `serve`,
//! `simulate`, `projections`, `token`); until then they do not exist rather
//! than exist as stubs.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "minsheng",
    version,
    about = "Event-sourced mesh for livelihood policing"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of this build and of its event-store kernel.
    Version,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Version => {
            println!("minsheng {}", env!("CARGO_PKG_VERSION"));
            println!("event store kernel: sqlite, jetstream{}", esdb_note());
        }
    }
    Ok(())
}

fn esdb_note() -> &'static str {
    if cfg!(feature = "eventstoredb") {
        ", eventstoredb"
    } else {
        ""
    }
}
