//! # minsheng-leader: one leader for each singleton worker
//!
//! Some workers must run once in the whole mesh however many replicas run:
//! a projector that writes shared state, a scheduler that fires deadlines.
//! Each campaigns for a named leadership and works only while it holds it.
//!
//! - [`LeaderElection`]: the trait; [`Leadership`]: what a winner holds
//!   (it can be lost, and is released on shutdown).
//! - [`AlwaysLeader`]: one process, no rivals (`minsheng up`).
//! - `kube_lease::KubeLease` (feature `kube`): a `coordination.k8s.io/v1` Lease per
//!   leadership, acquired, renewed, lost on missed renewals and released on
//!   shutdown, as Kubernetes' own controllers do. No cluster runs where this
//!   is built: its tests play recorded API exchanges against it.
//! - `nats_kv::NatsKvLease` (feature `nats`): the same semantics on a
//!   JetStream key-value bucket, for a mesh on NATS outside Kubernetes; its
//!   tests run against a real nats-server.
//! - [`lease`]: what both share (the judging, the campaign, the renewals).
//! - [`while_leader`]: the loop every singleton worker wants: campaign, work
//!   while leading, stop working when leadership is lost, campaign again.

#[cfg(feature = "kube")]
pub mod kube_lease;
#[cfg_attr(not(any(feature = "kube", feature = "nats")), allow(dead_code))]
pub mod lease;
#[cfg(feature = "nats")]
pub mod nats_kv;

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    #[error("leader election stopped: {0}")]
    Stopped(String),
    #[error("invalid leadership name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("invalid leader election settings: {0}")]
    Config(&'static str),
}

#[async_trait]
pub trait LeaderElection: Send + Sync + std::fmt::Debug {
    /// Campaigns for `name` until this process leads it. Cancel the future
    /// to stop campaigning.
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError>;
}

/// A leadership held. Leading ends when [`Leadership::lost`] resolves (a
/// rival took over, or renewals failed for too long) or when it is
/// [released](Leadership::release).
#[derive(Debug)]
pub struct Leadership {
    name: String,
    leading: watch::Receiver<bool>,
    release: Option<tokio::sync::oneshot::Sender<tokio::sync::oneshot::Sender<()>>>,
}

impl Leadership {
    /// `leading` turns false when the leadership is lost; `release`, if
    /// any, is how [`Leadership::release`] asks the keeper to give it up and
    /// waits for the answer.
    pub fn new(
        name: &str,
        leading: watch::Receiver<bool>,
        release: Option<tokio::sync::oneshot::Sender<tokio::sync::oneshot::Sender<()>>>,
    ) -> Self {
        Leadership {
            name: name.to_owned(),
            leading,
            release,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_leading(&self) -> bool {
        *self.leading.borrow()
    }

    /// Whether it leads, to watch apart from the leadership (for a metric).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.leading.clone()
    }

    /// Resolves once the leadership is lost (never, for [`AlwaysLeader`]).
    pub async fn lost(&mut self) {
        // An error means the keeper is gone: nobody renews, so it is lost.
        let _ = self.leading.wait_for(|leading| !*leading).await;
    }

    /// Gives the leadership up so that a rival need not wait for it to
    /// expire; returns once it is given up (or could not be).
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            let (done, given_up) = tokio::sync::oneshot::channel();
            if release.send(done).is_ok() {
                let _ = given_up.await;
            }
        }
    }
}

/// The embedded mode's election: there is one process, so it always leads.
#[derive(Clone, Debug, Default)]
pub struct AlwaysLeader {
    // Kept so that the leadership's `lost` never resolves.
    leading: Arc<watch::Sender<bool>>,
}

impl AlwaysLeader {
    pub fn new() -> Self {
        AlwaysLeader {
            leading: Arc::new(watch::channel(true).0),
        }
    }
}

#[async_trait]
impl LeaderElection for AlwaysLeader {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        self.leading.send_replace(true);
        Ok(Leadership::new(name, self.leading.subscribe(), None))
    }
}

/// Runs `work` only while this process leads `name`: campaigns, starts
/// `work` once leading, drops it when leadership is lost and campaigns
/// again, until `stop` resolves; then releases the leadership. `work` gets
/// a fresh start each time it becomes leader (it must resume from durable
/// state, such as a checkpoint).
pub async fn while_leader<W, F>(
    election: &dyn LeaderElection,
    name: &str,
    stop: impl Future<Output = ()>,
    mut work: W,
) -> Result<(), LeaderError>
where
    W: FnMut() -> F,
    F: Future<Output = ()>,
{
    tokio::pin!(stop);
    loop {
        let mut leadership = tokio::select! {
            () = &mut stop => return Ok(()),
            leadership = election.acquire(name) => leadership?,
        };
        tracing::info!(leadership = name, "leading");
        tokio::select! {
            () = &mut stop => {
                leadership.release().await;
                return Ok(());
            }
            () = leadership.lost() => {
                tracing::warn!(leadership = name, "leadership lost; campaigning again");
            }
            () = work() => {
                leadership.release().await;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_embedded_process_always_leads_and_never_loses() {
        let election = AlwaysLeader::new();
        let mut leadership = election
            .acquire("metrics-projector")
            .await
            .unwrap_or_else(|_| unreachable!());
        assert!(leadership.is_leading());
        let lost =
            tokio::time::timeout(std::time::Duration::from_millis(50), leadership.lost()).await;
        assert!(lost.is_err(), "never lost");
        leadership.release().await;
    }

    #[tokio::test]
    async fn work_runs_while_leading_and_stops_with_the_process() {
        let election = AlwaysLeader::new();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (started, mut starts) = tokio::sync::mpsc::unbounded_channel();
        let worker = tokio::spawn(async move {
            while_leader(
                &election,
                "scheduler",
                async {
                    let _ = stopped.await;
                },
                || {
                    let started = started.clone();
                    async move {
                        let _ = started.send(());
                        std::future::pending::<()>().await;
                    }
                },
            )
            .await
        });
        assert_eq!(starts.recv().await, Some(()));
        let _ = stop.send(());
        let outcome = worker.await;
        assert!(matches!(outcome, Ok(Ok(()))));
    }
}
