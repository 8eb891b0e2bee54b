//! Running a projection in a process: restored from its snapshot, followed
//! until shutdown, resumed from the snapshot after an error (counted, with
//! backoff), ready once caught up; the leadership campaigned for so that
//! one replica saves; rebuild requests from other replicas followed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use minsheng_eventstore::{EventStore, StoreError};
use minsheng_leader::LeaderElection;

use super::requests::RebuildRequests;
use super::{Projection, ProjectionError, ReadModel};
use crate::backoff;
use crate::health::Readiness;
use crate::shutdown::Shutdown;
use crate::subscription::{Subscriber, SubscriptionMetrics};

/// What the runtime lends a running projection.
#[derive(Clone, Debug)]
pub(crate) struct RunEnv {
    pub store: Arc<dyn EventStore>,
    pub shutdown: Shutdown,
    pub readiness: Readiness,
    pub metrics: SubscriptionMetrics,
    pub leader: Arc<dyn LeaderElection>,
}

/// A projection of any model, as the process runs it.
pub(crate) trait Runnable: Send + Sync {
    fn name(&self) -> &'static str;
    /// Its readiness component (not ready until it has caught up).
    fn readiness(&self) -> String;
    /// Its consumer on `/metrics` for each context it follows.
    fn consumers(&self) -> Vec<(String, crate::subscription::ConsumerLabel)>;
    /// Folds until shutdown, campaigning for the leadership meanwhile.
    fn run(self: Arc<Self>, env: RunEnv) -> BoxFuture<'static, ()>;
    /// Its rebuild requests' subscriber.
    fn rebuild_requests(
        self: Arc<Self>,
        store: Arc<dyn EventStore>,
    ) -> Result<Box<dyn Subscriber>, StoreError>;
}

impl<M: ReadModel> Runnable for Projection<M> {
    fn name(&self) -> &'static str {
        self.spec.name
    }

    fn readiness(&self) -> String {
        self.spec.readiness()
    }

    fn consumers(&self) -> Vec<(String, crate::subscription::ConsumerLabel)> {
        self.spec
            .contexts
            .iter()
            .map(|c| ((*c).to_owned(), self.spec.consumer_label(c)))
            .collect()
    }

    fn run(self: Arc<Self>, env: RunEnv) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            // The campaign ends once following has returned, not at the
            // shutdown signal: released first, the leadership would turn
            // the last save on the way out into a no-op.
            let returned = Shutdown::new();
            let campaign =
                tokio::spawn(campaign(self.clone(), env.leader.clone(), returned.clone()));
            self.follow_until_stopped(&env).await;
            returned.trigger();
            let _ = campaign.await;
        })
    }

    fn rebuild_requests(
        self: Arc<Self>,
        store: Arc<dyn EventStore>,
    ) -> Result<Box<dyn Subscriber>, StoreError> {
        Ok(Box::new(RebuildRequests::new(self, store)?))
    }
}

/// Holds the projection's leadership whenever it can, saying so in the
/// projection, until `returned`.
async fn campaign<M: ReadModel>(
    projection: Arc<Projection<M>>,
    leader: Arc<dyn LeaderElection>,
    returned: Shutdown,
) {
    let leadership = projection.spec.leadership;
    let outcome =
        minsheng_leader::while_leader(leader.as_ref(), leadership, returned.wait(), || {
            let projection = projection.clone();
            async move {
                projection.set_leading(true);
                let _leading = NotLeadingOnDrop(projection);
                std::future::pending::<()>().await;
            }
        })
        .await;
    if let Err(error) = outcome {
        tracing::warn!(leadership, %error, "a projection's leader election stopped");
    }
}

/// Says the replica no longer leads, however the leading ends.
struct NotLeadingOnDrop<M: ReadModel>(Arc<Projection<M>>);

impl<M: ReadModel> Drop for NotLeadingOnDrop<M> {
    fn drop(&mut self) {
        self.0.set_leading(false);
    }
}

impl<M: ReadModel> Projection<M> {
    /// Restores, then follows until shutdown; after an error counts a
    /// restart and resumes from the snapshot, pausing longer after each
    /// failure in a row.
    async fn follow_until_stopped(&self, env: &RunEnv) {
        let (store, stop) = (env.store.as_ref(), &env.shutdown);
        let readiness = self.spec.readiness();
        // The pause after the last failure in a row, if any.
        let mut backoff: Option<Duration> = None;
        let mut started = Instant::now();
        let mut restored = self.restore_or_start_over(store).await;
        loop {
            let outcome = match restored {
                Ok(()) => {
                    let ready = env.readiness.clone();
                    let readiness = readiness.clone();
                    self.follow(
                        store,
                        Some(&env.metrics),
                        move || ready.set(&readiness, true),
                        stop.wait(),
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            let Err(error) = outcome else { return };
            // Counted, so that the restarts alert fires; a newer schema
            // version stays an error until a newer build runs.
            let label = self.spec.consumer_label(error.context().unwrap_or("all"));
            env.metrics.restarted(&label, error.reason());
            // A run that lasted starts the pauses over.
            let pause = match backoff {
                Some(pause) if started.elapsed() <= backoff::LAST => backoff::next(pause),
                _ => backoff::FIRST,
            };
            backoff = Some(pause);
            tracing::warn!(projection = self.spec.name, %error, retry_in = ?pause, "the projection failed; resuming from its snapshot");
            tokio::select! {
                () = stop.wait() => return,
                () = tokio::time::sleep(pause) => {}
            }
            started = Instant::now();
            restored = self.restore_or_start_over(store).await;
        }
    }

    /// Restores the snapshot; one that cannot be read (written by another
    /// build) is only a cache: the model starts over from the first event,
    /// and the leader's next save replaces it.
    async fn restore_or_start_over(&self, store: &dyn EventStore) -> Result<(), ProjectionError> {
        match self.restore(store).await {
            Err(ProjectionError::Snapshot(reason)) => {
                tracing::warn!(projection = self.spec.name, %reason, "the projection's snapshot is unreadable; folding every event again");
                *self
                    .folded
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Default::default();
                self.changed();
                Ok(())
            }
            other => other,
        }
    }
}
