//! `minsheng`: one binary, many targets. This file only wires the command
//! line to the crates; no domain logic lives here.
//!
//! Subcommands arrive with the issues that build them (`up`, `serve`,
//! `simulate`, `projections`); until then they do not exist rather than exist
//! as stubs. Every flag has a `MINSHENG_*` environment equivalent.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use minsheng_runtime::auth::TokenKeys;

#[derive(Debug, Parser)]
#[command(
    name = "minsheng",
    version,
    about = "Event-sourced mesh for livelihood policing"
)]
struct Cli {
    /// Where the embedded store and the JWT key live.
    #[arg(
        long,
        env = "MINSHENG_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the version of this build and of its event-store kernel.
    Version,
    /// Mint a bearer token for calling the mesh's APIs.
    ///
    /// Signs with the deployment key (HS256), creating the key in the data
    /// directory on first use. Example:
    /// `minsheng token --sub alice --role officer --ttl 8h`
    Token {
        /// Who the token speaks for; recorded as the actor of every event the
        /// caller causes. An opaque id, not a name.
        #[arg(long, env = "MINSHENG_TOKEN_SUB")]
        sub: String,
        /// A role the caller holds (repeat for several), e.g. officer,
        /// registration-clerk, iot-reader, fraud-analyst, partner.
        #[arg(
            long = "role",
            env = "MINSHENG_TOKEN_ROLES",
            value_delimiter = ',',
            required = true
        )]
        roles: Vec<String>,
        /// How long the token is valid: 30m, 8h, 7d (at most 30 days).
        #[arg(long, env = "MINSHENG_TOKEN_TTL", default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        /// The key file; default: <data-dir>/jwt.key.
        #[arg(long, env = "MINSHENG_JWT_KEY_FILE")]
        jwt_key_file: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("minsheng {}", env!("CARGO_PKG_VERSION"));
            println!("event store kernel: sqlite, jetstream{}", esdb_note());
        }
        Command::Token {
            sub,
            roles,
            ttl,
            jwt_key_file,
        } => {
            let key_file = jwt_key_file.unwrap_or_else(|| cli.data_dir.join("jwt.key"));
            let (keys, created) = TokenKeys::load_or_create(&key_file)?;
            if created {
                eprintln!("created a new JWT key in {}", key_file.display());
            }
            let token = keys
                .mint(&sub, &roles, ttl)
                .context("cannot mint the token")?;
            println!("{token}");
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
