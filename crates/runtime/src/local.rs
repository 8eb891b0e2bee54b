//! A whole process on loopback, on free ports, for tests and the load
//! generator: the targets given, always-leader, no drain delay, and
//! returned only once ready (as a load balancer would wait).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::EventStore;
use minsheng_vault::Vault;

use crate::auth::TokenKeys;
use crate::clock::{Clock, SystemClock};
use crate::grpc::GrpcLimits;
use crate::person_keys::PersonKeys;
use crate::process::{self, ProcessConfig, ProcessError};
use crate::shutdown::Shutdown;
use crate::target::Target;

/// How long [`start`] waits for the process to become ready.
const READY_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct LocalProcess {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub shutdown: Shutdown,
    followers: process::Followers,
    stopped: tokio::task::JoinHandle<Result<(), ProcessError>>,
}

/// Starts `targets` on `store` on 127.0.0.1 port 0 and waits until ready.
/// `vault`: [`crate::personal_data::ephemeral`] unless the test reopens
/// the store in another process.
pub async fn start(
    store: Arc<dyn EventStore>,
    targets: &[Arc<dyn Target>],
    keys: TokenKeys,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
) -> Result<LocalProcess, ProcessError> {
    start_with_clock(
        store,
        targets,
        keys,
        person_keys,
        vault,
        Arc::new(SystemClock),
    )
    .await
}

/// [`start`], with the targets reading `clock` (a test's, to move time).
/// Reads are recorded in a read audit in memory.
pub async fn start_with_clock(
    store: Arc<dyn EventStore>,
    targets: &[Arc<dyn Target>],
    keys: TokenKeys,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
    clock: Arc<dyn Clock>,
) -> Result<LocalProcess, ProcessError> {
    let audit = crate::read_audit::in_memory();
    start_audited(store, targets, keys, person_keys, vault, clock, audit).await
}

/// [`start_with_clock`], recording reads in `audit` (the load generator's
/// file beside the store, or its baseline's log that records nothing).
pub async fn start_audited(
    store: Arc<dyn EventStore>,
    targets: &[Arc<dyn Target>],
    keys: TokenKeys,
    person_keys: PersonKeys,
    vault: Arc<Vault>,
    clock: Arc<dyn Clock>,
    audit: Arc<dyn minsheng_audit::AuditLog>,
) -> Result<LocalProcess, ProcessError> {
    let shutdown = Shutdown::new();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let config = ProcessConfig {
        grpc_addr: loopback,
        http_addr: loopback,
        limits: GrpcLimits::default(),
        keys,
        drain_delay: Duration::ZERO,
        shutdown_grace: Duration::from_secs(10),
        leader: Arc::new(minsheng_leader::AlwaysLeader::new()),
        person_keys,
        vault,
        clock,
        audit,
        audit_retention: crate::read_audit::DEFAULT_RETENTION,
    };
    let running = process::start(config, store, targets, shutdown.clone()).await?;
    let mut ready = running.readiness().changes();
    let became_ready = tokio::time::timeout(READY_WITHIN, ready.wait_for(|ready| *ready))
        .await
        .is_ok_and(|waited| waited.is_ok());
    if !became_ready {
        shutdown.trigger();
        return Err(std::io::Error::other("the process did not become ready within 30 s").into());
    }
    Ok(LocalProcess {
        grpc: running.grpc_addr,
        http: running.http_addr,
        shutdown,
        followers: running.followers().clone(),
        stopped: tokio::spawn(running.wait()),
    })
}

impl LocalProcess {
    /// Who follows which context here, and where they stand now.
    pub fn followers(&self) -> &process::Followers {
        &self.followers
    }

    /// Waits (within 30 s) until every subscription, deadline table and
    /// projection of this process that follows `context` has handled the
    /// context's last event as it is now: what a test asks before reading
    /// a read model, rather than scraping `/metrics`.
    pub async fn caught_up(&self, context: &str) -> Result<(), ProcessError> {
        let within = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if self
                .followers
                .caught_up(context)
                .await
                .map_err(std::io::Error::other)?
            {
                return Ok(());
            }
            if tokio::time::Instant::now() >= within {
                return Err(std::io::Error::other(format!(
                    "the followers of {context} did not catch up within 30 s"
                ))
                .into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the process and waits until it has (within 30 s).
    pub async fn stop(self) -> Result<(), ProcessError> {
        self.shutdown.trigger();
        match tokio::time::timeout(Duration::from_secs(30), self.stopped).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join)) => Err(std::io::Error::other(join.to_string()).into()),
            Err(_) => Err(std::io::Error::other("the process did not stop within 30 s").into()),
        }
    }
}
