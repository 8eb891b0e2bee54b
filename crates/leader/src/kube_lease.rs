//! Leader election on a Kubernetes `coordination.k8s.io/v1` Lease, one
//! Lease object per leadership, with the semantics of Kubernetes' own
//! controllers (client-go's leaderelection):
//!
//! - **acquire**: create the Lease if there is none; take it over if it is
//!   released (no holder) or has not changed for its `leaseDurationSeconds`
//!   as measured by *our* clock since we first saw that version (so clock
//!   skew between nodes does not matter); else retry every `retry_period`.
//!   Every write carries the `resourceVersion` read, so two replicas racing
//!   for it cannot both win: the loser gets 409 Conflict.
//! - **renew**: every `retry_period` while leading. Leadership is lost at
//!   once if another holder appears, and when no renewal succeeded for
//!   `renew_deadline` (less than the lease duration, so that we stop before
//!   a rival may start).
//! - **release** (on shutdown): clear the holder so a rival takes over at
//!   once instead of waiting out the lease.
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
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::{LeaderElection, LeaderError, Leadership};

/// Timings and identity, with Kubernetes' usual defaults.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Namespace of the Lease objects.
    pub namespace: String,
    /// This replica's name among its rivals: the pod name.
    pub identity: String,
    /// How long a Lease not renewed stays its holder's.
    pub lease_duration: Duration,
    /// How long a leader keeps trying to renew before it gives up leading.
    pub renew_deadline: Duration,
    /// Between two attempts to acquire or renew.
    pub retry_period: Duration,
}

impl LeaseConfig {
    pub fn new(namespace: &str, identity: &str) -> Self {
        LeaseConfig {
            namespace: namespace.to_owned(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
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

/// What one look at the Lease found.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// We hold it now (created, taken over or renewed).
    Leading,
    /// Someone else holds it.
    HeldBy(String),
    /// Someone wrote it between our read and our write.
    Conflict,
}

impl KubeLease {
    /// Checks that the timings can work: a leader must give up before its
    /// lease may be taken, and must get several attempts before that.
    pub fn new(client: kube::Client, config: LeaseConfig) -> Result<Self, LeaderError> {
        let invalid = LeaderError::Config;
        if config.identity.is_empty() || config.identity.len() > 253 {
            return Err(invalid("the identity must be 1 to 253 characters"));
        }
        if !(config.retry_period < config.renew_deadline
            && config.renew_deadline < config.lease_duration)
        {
            return Err(invalid(
                "retry period < renew deadline < lease duration expected",
            ));
        }
        if config.lease_duration.as_secs() < 1 || config.lease_duration.as_secs() > i32::MAX as u64
        {
            return Err(invalid(
                "the lease duration must be whole seconds, at least 1",
            ));
        }
        Ok(KubeLease {
            api: Api::namespaced(client, &config.namespace),
            config,
        })
    }

    fn lease_seconds(&self) -> i32 {
        i32::try_from(self.config.lease_duration.as_secs()).unwrap_or(i32::MAX)
    }

    /// One read and, if we may hold the Lease, one write. `observed` is the
    /// version last seen and when we first saw it.
    async fn attempt(
        &self,
        name: &str,
        renewing: bool,
        observed: &mut Option<(String, Instant)>,
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
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let version = lease.metadata.resource_version.clone().unwrap_or_default();
        let first_seen = match observed {
            Some((seen, at)) if *seen == version => *at,
            _ => {
                let at = Instant::now();
                *observed = Some((version, at));
                at
            }
        };
        let held_by_me = holder.as_deref() == Some(me.as_str());
        if let Some(holder) = &holder
            && !held_by_me
        {
            let duration = spec
                .lease_duration_seconds
                .and_then(|s| u64::try_from(s).ok())
                .map_or(self.config.lease_duration, Duration::from_secs);
            if renewing || first_seen.elapsed() < duration {
                return Ok(Attempt::HeldBy(holder.clone()));
            }
            tracing::info!(lease = name, previous = %holder, "lease expired: taking it over");
        }
        if renewing && !held_by_me {
            return Ok(Attempt::HeldBy(String::new()));
        }
        let transitions = spec.lease_transitions.unwrap_or(0);
        lease.spec = Some(LeaseSpec {
            holder_identity: Some(me.clone()),
            lease_duration_seconds: Some(self.lease_seconds()),
            acquire_time: if held_by_me {
                spec.acquire_time.clone()
            } else {
                Some(now.clone())
            },
            renew_time: Some(now),
            // Counts changes of holder, as Kubernetes' own controllers do.
            lease_transitions: Some(if held_by_me {
                transitions
            } else {
                transitions.saturating_add(1)
            }),
            ..spec
        });
        written(self.api.replace(name, &PostParams::default(), &lease).await)
    }

    /// Clears the holder if it is still us.
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

    /// Renews until lost or asked to release.
    async fn keep(
        self,
        name: String,
        leading: watch::Sender<bool>,
        mut release: oneshot::Receiver<oneshot::Sender<()>>,
    ) {
        let mut renewed = Instant::now();
        let mut observed = None;
        loop {
            tokio::select! {
                asked = &mut release => {
                    leading.send_replace(false);
                    if let Err(error) = self.release(&name).await {
                        tracing::warn!(lease = %name, %error, "could not release the lease; it will expire");
                    }
                    if let Ok(done) = asked {
                        let _ = done.send(());
                    }
                    return;
                }
                () = tokio::time::sleep(self.config.retry_period) => {}
            }
            match self.attempt(&name, true, &mut observed).await {
                Ok(Attempt::Leading) => renewed = Instant::now(),
                Ok(Attempt::HeldBy(holder)) => {
                    tracing::warn!(lease = %name, holder = %holder, "lease taken over");
                    leading.send_replace(false);
                    return;
                }
                Ok(Attempt::Conflict) => {}
                Err(error) => tracing::warn!(lease = %name, %error, "lease renewal failed"),
            }
            if renewed.elapsed() >= self.config.renew_deadline {
                tracing::warn!(lease = %name, "no renewal within the deadline: no longer leading");
                leading.send_replace(false);
                return;
            }
        }
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

/// Lease names are object names: DNS-1123 subdomains.
fn check_name(name: &str) -> Result<(), LeaderError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(LeaderError::InvalidName {
            name: name.to_owned(),
            reason: "lowercase letters, digits, '-' and '.', starting and ending alphanumeric",
        })
    }
}

#[async_trait]
impl LeaderElection for KubeLease {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        check_name(name)?;
        let mut observed = None;
        loop {
            match self.attempt(name, false, &mut observed).await {
                Ok(Attempt::Leading) => break,
                Ok(Attempt::HeldBy(_) | Attempt::Conflict) => {}
                Err(error) => tracing::warn!(lease = name, %error, "cannot reach the lease"),
            }
            tokio::time::sleep(self.config.retry_period).await;
        }
        let (leading, watching) = watch::channel(true);
        let (release, released) = oneshot::channel();
        tokio::spawn(self.clone().keep(name.to_owned(), leading, released));
        Ok(Leadership::new(name, watching, Some(release)))
    }
}
