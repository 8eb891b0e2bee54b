//! `minsheng`: one binary, many targets. This file only wires the command
//! line to the crates; no domain logic lives here.
//!
//! Subcommands arrive with the issues that build them (`simulate` has not
//! yet); until then they do not exist rather than exist as stubs. Every
//! flag has a `MINSHENG_*` environment equivalent.
//!
//! - [`election`]: how `serve`'s replicas pick who runs the singletons.
//! - [`run`]: `up` and `serve`, a process of targets on a store.
//! - [`projections`]: `projections status` and `projections rebuild`.
//! - [`keys`]: `keys rotate-master`.
//! - [`targets`]: the targets this binary knows, by name.

mod election;
mod keys;
mod projections;
mod run;
mod targets;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use minsheng_leader::AlwaysLeader;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::personal_data;
use minsheng_runtime::telemetry;

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

    /// Log lines for people (pretty) or for a log pipeline (json). Which
    /// lines: the MINSHENG_LOG variable, a filter such as `info` or
    /// `minsheng_fraud=debug,info` (default `info`).
    #[arg(long, env = "MINSHENG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    log_format: LogFormat,

    /// Export traces over OTLP/gRPC to this collector, e.g.
    /// http://otel-collector:4317. Unset: traces are not exported.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "URL",
        global = true
    )]
    otlp_endpoint: Option<String>,

    /// The traces' service name. Default: `minsheng` for `up`,
    /// `minsheng-<targets>` for `serve`.
    #[arg(long, env = "OTEL_SERVICE_NAME", value_name = "NAME", global = true)]
    otel_service_name: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

impl From<LogFormat> for telemetry::LogFormat {
    fn from(format: LogFormat) -> Self {
        match format {
            LogFormat::Pretty => telemetry::LogFormat::Pretty,
            LogFormat::Json => telemetry::LogFormat::Json,
        }
    }
}

#[derive(Debug, clap::Args)]
struct Listen {
    /// gRPC address for every target's services, health and reflection.
    #[arg(long, env = "MINSHENG_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    grpc_addr: SocketAddr,
    /// HTTP address for /healthz, /readyz and /metrics.
    #[arg(long, env = "MINSHENG_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    http_addr: SocketAddr,
    /// On SIGTERM, how long to keep serving while reporting not ready, so
    /// that traffic moves away first. Default: 0s for `up`, 5s for `serve`.
    #[arg(long, env = "MINSHENG_DRAIN_DELAY", value_parser = humantime::parse_duration)]
    drain_delay: Option<Duration>,
    /// Then how long calls in flight may still run before they are cut off.
    #[arg(long, env = "MINSHENG_SHUTDOWN_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,
}

#[derive(Debug, clap::Args)]
struct KeyFile {
    /// The JWT key file, shared by every replica of a deployment; default:
    /// <data-dir>/jwt.key.
    #[arg(
        long = "jwt-key-file",
        env = "MINSHENG_JWT_KEY_FILE",
        value_name = "FILE"
    )]
    path: Option<PathBuf>,
}

impl KeyFile {
    fn or_in(self, data_dir: &std::path::Path) -> PathBuf {
        self.path.unwrap_or_else(|| data_dir.join("jwt.key"))
    }
}

#[derive(Debug, clap::Args)]
struct PersonKeyFile {
    /// The secret that turns resident IDs into person keys, shared by every
    /// replica and every target; default: <data-dir>/person.key.
    #[arg(
        id = "person_key_file",
        long = "person-key-file",
        env = "MINSHENG_PERSON_KEY_FILE",
        value_name = "FILE"
    )]
    path: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct MasterKeyFile {
    /// The master key every person's data key is wrapped by (envelope
    /// encryption of personal data), shared by every replica; default:
    /// <data-dir>/master.key.
    #[arg(
        id = "master_key_file",
        long = "master-key-file",
        env = "MINSHENG_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    path: Option<PathBuf>,
    /// During a master-key rotation only: the master key being replaced,
    /// so that data keys still wrapped by it open until `keys
    /// rotate-master` has rewrapped them (docs/operations.md).
    #[arg(
        long = "previous-master-key-file",
        env = "MINSHENG_PREVIOUS_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    previous: Option<PathBuf>,
}

impl MasterKeyFile {
    fn or_in(&self, data_dir: &std::path::Path) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| data_dir.join("master.key"))
    }

    /// The previous master key, if one is given.
    fn previous(&self) -> anyhow::Result<Option<minsheng_vault::MasterKey>> {
        Ok(match &self.previous {
            Some(path) => Some(personal_data::load_master(path)?),
            None => None,
        })
    }
}

/// A running process to ask, and the key to mint its token with.
#[derive(Debug, clap::Args)]
struct RunningProcess {
    /// The running process's gRPC endpoint.
    #[arg(
        long,
        env = "MINSHENG_ENDPOINT",
        default_value = "http://127.0.0.1:50051"
    )]
    endpoint: String,
    #[command(flatten)]
    key: KeyFile,
}

#[derive(Debug, Subcommand)]
enum ProjectionsAction {
    /// Where each projection's saved snapshot stands against each context's
    /// last event, then (if a process answers at `--endpoint`) where its
    /// live projection stands: position, lag and events per second over
    /// one second.
    Status {
        /// The store to read; default: the embedded store in the data dir.
        #[arg(long, env = "MINSHENG_STORE")]
        store: Option<String>,
        #[command(flatten)]
        process: RunningProcess,
    },
    /// Replay every event into a fresh state in a running process and swap
    /// it in when caught up; readers keep the current figures meanwhile.
    ///
    /// Asks the process at `--endpoint` (its gRPC address) with a token for
    /// the `operator` role, minted with the deployment's JWT key. With
    /// several replicas, each rebuilds its own copy; the leader's is saved.
    Rebuild {
        /// The projection: `metrics`.
        #[arg(value_parser = ["kpis"])]
        projection: String,
        #[command(flatten)]
        process: RunningProcess,
    },
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run every target in this process on the embedded store in the data
    /// directory (creating it, and a JWT key, on first start).
    Up {
        #[command(flatten)]
        listen: Listen,
        #[command(flatten)]
        settings: targets::Settings,
    },
    /// Run the chosen targets against a store, as a Kubernetes Deployment does.
    Serve {
        /// A target to run (repeat for several), or `all`.
        #[arg(
            long = "target",
            env = "MINSHENG_TARGETS",
            value_delimiter = ',',
            required = true
        )]
        targets: Vec<String>,
        /// `nats://host:4222[,nats://...]` (JetStream) or `sqlite://<path>`.
        #[arg(long, env = "MINSHENG_STORE")]
        store: String,
        /// JetStream stream replicas (3 in production).
        #[arg(long, env = "MINSHENG_STORE_REPLICAS", default_value_t = 1)]
        store_replicas: usize,
        #[command(flatten)]
        key: KeyFile,
        #[command(flatten)]
        person_key: PersonKeyFile,
        #[command(flatten)]
        master_key: MasterKeyFile,
        #[command(flatten)]
        listen: Listen,
        #[command(flatten)]
        election: election::Election,
        #[command(flatten)]
        settings: targets::Settings,
    },
    /// Read models built from the events (the KPI projection).
    Projections {
        #[command(subcommand)]
        action: ProjectionsAction,
    },
    /// Print the version of this build and of its event-store kernel.
    Version,
    /// Create the deployment's keys (the JWT key, the person key and the
    /// master key of personal data), each only if missing, readable by their owner only. `up` does this on
    /// its first start; `serve` and `token` never create a key.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Mint a bearer token for calling the mesh's APIs.
    ///
    /// Signs with the deployment key (HS256), which must exist: `up`
    /// creates it, or `minsheng keys init`. Example:
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
        /// For a partner's token: the bank or payment platform it speaks
        /// for (its code in the centre's agreements, e.g. icbc).
        #[arg(long, env = "MINSHENG_TOKEN_INSTITUTION")]
        institution: Option<String>,
        /// How long the token is valid: 30m, 8h, 7d (at most 30 days).
        #[arg(long, env = "MINSHENG_TOKEN_TTL", default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        #[command(flatten)]
        key: KeyFile,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Traces are named after what runs: `minsheng` for `up`, one name per
    // chosen set of targets for `serve`.
    let service_name = cli
        .otel_service_name
        .clone()
        .unwrap_or_else(|| match &cli.command {
            Command::Serve { targets, .. } => format!("minsheng-{}", targets.join("+")),
            _ => "minsheng".to_owned(),
        });
    let telemetry = telemetry::init(telemetry::TelemetryConfig {
        log_format: cli.log_format.into(),
        service_name,
        otlp_endpoint: cli.otlp_endpoint.clone(),
    })?;
    let outcome = run_command(cli).await;
    telemetry.shutdown();
    outcome
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Create whichever of the three key files is missing.
    Init {
        #[command(flatten)]
        key: KeyFile,
        #[command(flatten)]
        person_key: PersonKeyFile,
        #[command(flatten)]
        master_key: MasterKeyFile,
    },
    /// Rewrap every person's data key under a new master key, online; the
    /// old master key is no longer needed afterwards.
    RotateMaster {
        /// The store the keys are kept beside; default: the embedded store
        /// in the data dir.
        #[arg(long, env = "MINSHENG_STORE")]
        store: Option<String>,
        /// JetStream replicas of the key bucket, if it must be created (as
        /// the store's: 3 in production).
        #[arg(long, env = "MINSHENG_STORE_REPLICAS", default_value_t = 1)]
        store_replicas: usize,
        /// The master key the data keys are wrapped by now.
        #[arg(long, value_name = "FILE")]
        old_master_key_file: PathBuf,
        /// The master key to wrap them by from now on.
        #[arg(long, value_name = "FILE")]
        new_master_key_file: PathBuf,
    },
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Keys {
            action:
                KeysAction::Init {
                    key,
                    person_key,
                    master_key,
                },
        } => {
            let jwt = key.or_in(&cli.data_dir);
            let (_, created) = TokenKeys::load_or_create(&jwt)?;
            say_key(&jwt, "JWT key", created);
            let person = person_key
                .path
                .unwrap_or_else(|| cli.data_dir.join("person.key"));
            let (_, created) = PersonKeys::load_or_create(&person)?;
            say_key(&person, "person key", created);
            let master = master_key.or_in(&cli.data_dir);
            let (_, created) = personal_data::load_or_create_master(&master)?;
            say_key(&master, "master key", created);
        }
        Command::Keys {
            action:
                KeysAction::RotateMaster {
                    store,
                    store_replicas,
                    old_master_key_file,
                    new_master_key_file,
                },
        } => {
            let url = store.unwrap_or_else(|| {
                format!("sqlite://{}", cli.data_dir.join("events.db").display())
            });
            keys::rotate_master(
                &url,
                store_replicas,
                &old_master_key_file,
                &new_master_key_file,
            )
            .await?;
        }
        Command::Projections {
            action: ProjectionsAction::Status { store, process },
        } => {
            let url = store.unwrap_or_else(|| {
                format!("sqlite://{}", cli.data_dir.join("events.db").display())
            });
            projections::status(&url).await?;
            let key_file = process.key.or_in(&cli.data_dir);
            match TokenKeys::load(&key_file) {
                Ok(keys) => projections::live_status(&process.endpoint, &keys).await,
                Err(_) => println!(
                    "live: no JWT key at {} to ask a running process with",
                    key_file.display()
                ),
            }
        }
        Command::Projections {
            action:
                ProjectionsAction::Rebuild {
                    projection,
                    process,
                },
        } => {
            let path = process.key.or_in(&cli.data_dir);
            let keys = TokenKeys::load(&path)
                .with_context(|| format!("cannot read the JWT key {}", path.display()))?;
            projections::rebuild(&process.endpoint, &keys, &projection).await?;
        }
        Command::Version => {
            println!("minsheng {}", env!("CARGO_PKG_VERSION"));
            println!("event store kernel: sqlite, jetstream{}", esdb_note());
        }
        Command::Token {
            sub,
            roles,
            institution,
            ttl,
            key,
        } => {
            let key_file = key.or_in(&cli.data_dir);
            if !key_file.exists() {
                anyhow::bail!(
                    "no JWT key at {}: a token signed with a new key would be refused by every \
                     process of the deployment; give the deployment's key (--jwt-key-file), \
                     or create one with `minsheng keys init` (`minsheng up` does on its first start)",
                    key_file.display()
                );
            }
            let keys = TokenKeys::load(&key_file)?;
            let token = keys
                .mint_for(&sub, &roles, institution.as_deref(), ttl)
                .context("cannot mint the token")?;
            println!("{token}");
        }
        Command::Up { listen, settings } => {
            // Before anything is written there: one process per directory.
            let held = minsheng_runtime::data_dir::claim(&cli.data_dir)?;
            let key_file = cli.data_dir.join("jwt.key");
            let (keys, created) = TokenKeys::load_or_create(&key_file)?;
            if created {
                println!("created a new JWT key in {}", key_file.display());
            }
            let (person_keys, _) = PersonKeys::load_or_create(&cli.data_dir.join("person.key"))?;
            let (master_key, _) =
                personal_data::load_or_create_master(&cli.data_dir.join("master.key"))?;
            let store_url = format!("sqlite://{}", cli.data_dir.join("events.db").display());
            let drain = listen.drain_delay.unwrap_or(Duration::ZERO);
            run::run(run::Plan {
                mode: "up",
                store_url,
                replicas: 1,
                targets: targets::all(&settings)?,
                audit_retention: settings.audit_retention()?,
                keys,
                listen,
                drain_delay: drain,
                leader: Arc::new(AlwaysLeader::new()),
                person_keys,
                master_key,
                previous_master_key: None,
                held: Some(held),
            })
            .await?;
        }
        Command::Serve {
            targets,
            store,
            store_replicas,
            key,
            person_key,
            master_key,
            listen,
            election,
            settings,
        } => {
            let chosen = targets::chosen(&targets, &settings)?;
            let audit_retention = settings.audit_retention()?;
            let key_file = key.or_in(&cli.data_dir);
            let keys = TokenKeys::load(&key_file)?;
            let drain = listen.drain_delay.unwrap_or(Duration::from_secs(5));
            let leader = election.build(&store, store_replicas).await?;
            // An embedded store is held by one process (on NATS, many
            // replicas share the streams: each follows every write).
            let held = match sqlite_dir(&store) {
                Some(dir) => Some(minsheng_runtime::data_dir::claim(dir)?),
                None => None,
            };
            run::run(run::Plan {
                mode: "serve",
                store_url: store,
                replicas: store_replicas,
                targets: chosen,
                keys,
                listen,
                drain_delay: drain,
                leader,
                person_keys: PersonKeys::load(
                    &person_key
                        .path
                        .unwrap_or_else(|| cli.data_dir.join("person.key")),
                )?,
                master_key: personal_data::load_master(&master_key.or_in(&cli.data_dir))?,
                previous_master_key: master_key.previous()?,
                audit_retention,
                held,
            })
            .await?;
        }
    }
    Ok(())
}

/// The directory of a `sqlite://` store URL's file.
fn sqlite_dir(url: &str) -> Option<&std::path::Path> {
    let file = std::path::Path::new(url.strip_prefix("sqlite://")?);
    Some(
        file.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new(".")),
    )
}

fn say_key(path: &std::path::Path, what: &str, created: bool) {
    if created {
        println!("created a new {what} in {}", path.display());
    } else {
        println!("kept the {what} already in {}", path.display());
    }
}

fn esdb_note() -> &'static str {
    if cfg!(feature = "eventstoredb") {
        ", eventstoredb"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
