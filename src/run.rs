//! `up` and `serve`: a process of targets on a store, from the plan the
//! command line made to the lines it prints while it runs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use minsheng_leader::LeaderElection;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::grpc::GrpcLimits;
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::process::{self, ProcessConfig};
use minsheng_runtime::shutdown::Shutdown;
use minsheng_runtime::target::Target;

use crate::Listen;

/// What `up` and `serve` run.
pub(crate) struct Plan {
    pub(crate) mode: &'static str,
    pub(crate) store_url: String,
    pub(crate) replicas: usize,
    pub(crate) targets: Vec<Arc<dyn Target>>,
    pub(crate) keys: TokenKeys,
    pub(crate) listen: Listen,
    pub(crate) drain_delay: Duration,
    pub(crate) leader: Arc<dyn LeaderElection>,
    pub(crate) person_keys: PersonKeys,
    pub(crate) master_key: minsheng_vault::MasterKey,
    /// The master key a rotation is replacing, while it runs.
    pub(crate) previous_master_key: Option<minsheng_vault::MasterKey>,
    /// How long the read audit keeps reads.
    pub(crate) audit_retention: chrono::Duration,
    /// The embedded store's directory, held until the process stops.
    pub(crate) held: Option<minsheng_runtime::data_dir::DataDirLock>,
}

pub(crate) async fn run(plan: Plan) -> anyhow::Result<()> {
    let Plan {
        mode,
        store_url,
        replicas,
        targets,
        keys,
        listen,
        drain_delay,
        leader,
        person_keys,
        master_key,
        previous_master_key,
        audit_retention,
        held: _held,
    } = plan;
    let store_url = store_url.as_str();
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signals()?;
    let store = minsheng_runtime::store::open(store_url, replicas)
        .await
        .with_context(|| format!("cannot open the store {}", redact(store_url)))?;
    let vault =
        minsheng_runtime::personal_data::open(store_url, replicas, master_key, previous_master_key)
            .await
            .with_context(|| format!("cannot open the data keys beside {}", redact(store_url)))?;
    let audit = minsheng_runtime::read_audit::open(store_url, replicas, audit_retention)
        .await
        .with_context(|| format!("cannot open the read audit beside {}", redact(store_url)))?;
    let config = ProcessConfig {
        grpc_addr: listen.grpc_addr,
        http_addr: listen.http_addr,
        limits: GrpcLimits::default(),
        keys,
        drain_delay,
        shutdown_grace: listen.shutdown_grace,
        leader,
        person_keys,
        vault,
        clock: Arc::new(minsheng_runtime::clock::SystemClock),
        audit,
        audit_retention,
    };
    let running = process::start(config, store, &targets, shutdown).await?;
    let names = if running.targets.is_empty() {
        "none yet".to_owned()
    } else {
        running.targets.join(", ")
    };
    println!("minsheng {mode}: targets: {names}");
    println!("  store: {}", redact(store_url));
    println!("  gRPC on {} (health, reflection)", running.grpc_addr);
    println!(
        "  HTTP on {} (/healthz, /readyz, /metrics)",
        running.http_addr
    );
    if running.targets.contains(&minsheng_kpis::target::NAME) {
        println!("  dashboard: http://{}/", running.http_addr);
    }
    println!("  a token for calls: minsheng token --sub <you> --role <role>");
    announce_when_ready(mode, running.readiness().changes());
    running.wait().await?;
    println!("minsheng {mode}: stopped");
    Ok(())
}

/// Prints "minsheng <mode>: ready" the first time the process is ready
/// (every target caught up with its subscriptions, a leader's work started):
/// listening is not being ready, and a script or test that starts the
/// binary waits for this line rather than guessing.
fn announce_when_ready(mode: &'static str, mut ready: tokio::sync::watch::Receiver<bool>) {
    tokio::spawn(async move {
        if ready.wait_for(|ready| *ready).await.is_ok() {
            println!("minsheng {mode}: ready");
        }
    });
}

/// A store URL as it may be printed: without credentials, in each of the
/// comma-separated server URLs a NATS store may list. Only the authority
/// (before the first `/` of the path) can hold them, and a password may
/// itself contain `@`: the last `@` of the authority ends them.
pub(crate) fn redact(url: &str) -> String {
    url.split(',')
        .map(|one| {
            let Some((scheme, rest)) = one.split_once("://") else {
                return one.to_owned();
            };
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}{path}"),
                None => one.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn a_printed_store_url_shows_no_credentials() {
        assert_eq!(
            redact("nats://minsheng:s3cr@t@nats-0:4222,nats://minsheng:s3cr@t@nats-1:4222"),
            "nats://***@nats-0:4222,nats://***@nats-1:4222"
        );
        assert_eq!(redact("nats://nats:4222"), "nats://nats:4222");
        assert_eq!(
            redact("sqlite:///srv/po@lice/events.db"),
            "sqlite:///srv/po@lice/events.db"
        );
        assert_eq!(
            redact("esdb://admin:changeit@esdb:2113?tls=false"),
            "esdb://***@esdb:2113?tls=false"
        );
    }
}
