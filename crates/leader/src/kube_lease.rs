//! Leader election on a Kubernetes `coordination.k8s.io/v1` Lease, one
//! Lease object per leadership, with the semantics of Kubernetes' own
//! controllers (client-go's leaderelection; see [`crate::lease`]). Every
//! write carries the `resourceVersion` read, so of two replicas racing for
//! it the loser gets 409 Conflict. The Lease also records, as Kubernetes'
//! own do, when it was acquired and renewed and how often its holder
//! changed.
//!
//! The RBAC this needs: `get`, `create`, `update` on `leases` in the
//! namespace (the Helm chart grants it to leader-elected components).
//!
//! Tested without a cluster: `tests/kube_lease.rs` plays recorded API
//! exchanges (requests checked, responses scripted) through a
//! `tower-test` mock in place of the API server.

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};

use crate::lease::{
    Attempt, Judgement, LeaseKeeper, LeaseTimings, Observed, campaign, check_identity, check_name,
    judge,
};
use crate::{LeaderElection, LeaderError, Leadership};

/// Timings and identity, with Kubernetes' usual defaults.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Namespace of the Lease objects.
    pub namespace: String,
    /// This replica's name among its rivals: the pod name.
    pub identity: String,
    pub timings: LeaseTimings,
}

impl LeaseConfig {
    pub fn new(namespace: &str, identity: &str) -> Self {
        LeaseConfig {
            namespace: namespace.to_owned(),
            identity: identity.to_owned(),
            timings: LeaseTimings::default(),
        }
    }
}

#[derive(Clone)]
pub struct KubeLease {
    api: Api<Lease>,
    config: LeaseConfig,
}

impl std::fmt::Debug for KubeLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeLease")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl KubeLease {
    /// Checks that the timings can work and that a Lease can say them
    /// (whole seconds).
    pub fn new(client: kube::Client, config: LeaseConfig) -> Result<Self, LeaderError> {
        check_identity(&config.identity)?;
        config.timings.check()?;
        let seconds = config.timings.lease_duration.as_secs();
        if seconds < 1 || seconds > i32::MAX as u64 {
            return Err(LeaderError::Config(
                "the lease duration must be whole seconds, at least 1",
            ));
        }
        Ok(KubeLease {
            api: Api::namespaced(client, &config.namespace),
            config,
        })
    }

    fn lease_seconds(&self) -> i32 {
        i32::try_from(self.config.timings.lease_duration.as_secs()).unwrap_or(i32::MAX)
    }
}

#[async_trait]
impl LeaseKeeper for KubeLease {
    type Error = kube::Error;

    fn timings(&self) -> LeaseTimings {
        self.config.timings
    }

    async fn attempt(
        &self,
        name: &str,
        renewing: bool,
        observed: &mut Observed,
    ) -> Result<Attempt, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let me = &self.config.identity;
        let Some(mut lease) = self.api.get_opt(name).await? else {
            if renewing {
                // Deleted under us: someone meant us to stop.
                return Ok(Attempt::HeldBy(String::new()));
            }
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.to_owned()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me.clone()),
                    lease_duration_seconds: Some(self.lease_seconds()),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return written(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = lease.spec.take().unwrap_or_default();
        let version = lease.metadata.resource_version.clone().unwrap_or_default();
        let duration = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.config.timings.lease_duration, Duration::from_secs);
        let new_holder = match judge(
            name,
            me,
            spec.holder_identity.as_deref(),
            renewing,
            observed.unchanged_for(&version),
            duration,
        ) {
            Judgement::Leave(attempt) => return Ok(attempt),
            Judgement::Write { new_holder } => new_holder,
        };
        let transitions = spec.lease_transitions.unwrap_or(0);
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(me.clone()),
            lease_duration_seconds: Some(self.lease_seconds()),
            acquire_time: if new_holder {
                Some(now.clone())
            } else {
                spec.acquire_time.clone()
            },
            renew_time: Some(now),
            // Counts changes of holder, as Kubernetes' own controllers do.
            lease_transitions: Some(if new_holder {
                transitions.saturating_add(1)
            } else {
                transitions
            }),
            ..spec
        });
        written(self.api.replace(name, &PostParams::default(), &lease).await)
    }

    async fn release(&self, name: &str) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(name).await? else {
            return Ok(());
        };
        let mut spec = lease.spec.take().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        lease.spec = Some(spec);
        self.api
            .replace(name, &PostParams::default(), &lease)
            .await
            .map(|_| ())
    }
}

/// A write's outcome: ours, or lost to a concurrent writer.
fn written(result: Result<Lease, kube::Error>) -> Result<Attempt, kube::Error> {
    match result {
        Ok(_) => Ok(Attempt::Leading),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(Attempt::Conflict),
        Err(error) => Err(error),
    }
}

#[async_trait]
impl LeaderElection for KubeLease {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        check_name(name)?;
        Ok(campaign(self, name).await)
    }
}
