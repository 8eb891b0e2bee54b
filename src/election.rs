//! How `serve`'s replicas pick the one that runs each singleton worker
//! (projectors, schedulers, reactions that write): `--leader-election`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::ValueEnum;
use minsheng_leader::kube_lease::{KubeLease, LeaseConfig};
use minsheng_leader::lease::LeaseTimings;
use minsheng_leader::nats_kv::NatsKvLease;
use minsheng_leader::{AlwaysLeader, LeaderElection};

/// Who runs the singleton workers when several replicas of a target run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LeaderElectionKind {
    /// This replica: right for one replica only.
    Always,
    /// The replica holding a coordination.k8s.io/v1 Lease (in Kubernetes).
    KubeLease,
    /// The replica holding a lease in the JetStream key-value bucket
    /// MS_LEASES, on the store's NATS cluster (outside Kubernetes, or
    /// without the Lease RBAC). Needs a `nats://` store.
    NatsKv,
}

#[derive(Debug, clap::Args)]
pub struct Election {
    /// How singleton workers pick their one replica.
    #[arg(long, env = "MINSHENG_LEADER_ELECTION", value_enum, default_value_t = LeaderElectionKind::Always)]
    leader_election: LeaderElectionKind,
    /// Namespace of the Leases (kube-lease); in a pod, from the downward API.
    #[arg(long, env = "MINSHENG_LEASE_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// This replica's identity among its rivals, unique in the mesh: for
    /// kube-lease the pod name (default: HOSTNAME); for nats-kv, default
    /// HOSTNAME (or "minsheng") and the process id.
    #[arg(long, env = "MINSHENG_LEASE_IDENTITY")]
    lease_identity: Option<String>,
    /// How long a lease not renewed stays its holder's: a killed leader's
    /// work waits at most about this long for a rival. Renewals must
    /// succeed within two thirds of it; tries every 2/15 of it.
    #[arg(long, env = "MINSHENG_LEASE_DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    lease_duration: Duration,
}

impl Election {
    /// The election, for a process whose store is `store_url` with
    /// `replicas` copies of each stream.
    pub async fn build(
        self,
        store_url: &str,
        replicas: usize,
    ) -> anyhow::Result<Arc<dyn LeaderElection>> {
        let timings = LeaseTimings::for_lease(self.lease_duration);
        let hostname = std::env::var("HOSTNAME").ok();
        match self.leader_election {
            LeaderElectionKind::Always => Ok(Arc::new(AlwaysLeader::new())),
            LeaderElectionKind::KubeLease => {
                // async-nats brings ring; with the eventstoredb feature,
                // aws-lc-rs comes too and rustls cannot choose on its own.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let identity = self.lease_identity.or(hostname).context(
                    "--lease-identity (MINSHENG_LEASE_IDENTITY or HOSTNAME) is needed with kube-lease",
                )?;
                let client = kube::Client::try_default()
                    .await
                    .context("cannot reach the Kubernetes API for leader election")?;
                let mut config = LeaseConfig::new(&self.lease_namespace, &identity);
                config.timings = timings;
                Ok(Arc::new(KubeLease::new(client, config)?))
            }
            LeaderElectionKind::NatsKv => {
                anyhow::ensure!(
                    store_url.starts_with("nats://"),
                    "--leader-election nats-kv keeps its leases on the store's NATS cluster: a nats:// store is needed"
                );
                let identity = self.lease_identity.unwrap_or_else(|| {
                    let host = hostname.unwrap_or_else(|| "minsheng".to_owned());
                    format!("{host}-{}", std::process::id())
                });
                let client = minsheng_eventstore::jetstream::connect_client(store_url)
                    .await
                    .context("cannot reach NATS for leader election")?;
                let lease = NatsKvLease::open(client, replicas, &identity, timings).await?;
                Ok(Arc::new(lease))
            }
        }
    }
}
