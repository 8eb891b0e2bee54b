//! The `metrics` target: the projection (every replica folds; the leader
//! saves), `minsheng.kpis.v1.Kpis`, `Projections` (rebuild, for the
//! `operator` role), `/api/v1/kpis` and the dashboard.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use minsheng_leader::LeaderElection;
use minsheng_proto::kpis::v1 as pb;
use minsheng_runtime::backoff;
use minsheng_runtime::shutdown::Shutdown;
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};

use crate::grpc::{KpisApi, ProjectionsApi};
use crate::projection::{self, KpiView, SavePolicy};
use crate::rebuild::{ClearOnDrop, Rebuilder};
use crate::rebuild_requests::RebuildRequests;

pub const NAME: &str = "kpis";
const READINESS: &str = "projection:metrics-kpis";

// Who may read the figures and who may run the projection.
const OFFICER: &str = "officer";
const ANALYST: &str = "fraud-analyst";
const VIEWER: &str = "viewer";
const OPERATOR: &str = "operator";

#[derive(Debug, Default)]
pub struct KpisTarget;

#[async_trait]
impl Target for KpisTarget {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        let view = KpiView::new();
        projection::restore(context.store.as_ref(), &view)
            .await
            .map_err(TargetError::of(NAME))?;
        context.readiness.set(READINESS, false);
        context.metrics.with(|registry| {
            registry.register_collector(Box::new(crate::gauges::KpiGauges {
                view: view.clone(),
                clock: context.clock.clone(),
            }));
        });
        let leading = Arc::new(AtomicBool::new(false));
        // The campaign ends once the projection has returned, not at the
        // shutdown signal: released first, the leadership would turn the
        // projection's last save on the way out into a no-op.
        let projection_returned = Shutdown::new();

        let campaign = campaign(
            context.leader.clone(),
            leading.clone(),
            projection_returned.clone(),
        );
        let follow = {
            let follow = follow_until_stopped(context, view.clone(), leading.clone());
            async move {
                follow.await;
                projection_returned.trigger();
            }
        };
        // A rebuild asked of any replica is passed on to every other one.
        let rebuilder = Arc::new(Rebuilder::new(context.store.clone(), view.clone()));
        let replica = uuid::Uuid::now_v7().to_string();
        let rebuild_requests = RebuildRequests::new(rebuilder.clone(), replica.clone())
            .map_err(TargetError::of(NAME))?;
        registration
            .grpc(
                pb::kpis_server::KpisServer::new(KpisApi {
                    view: view.clone(),
                    stop: context.shutdown.clone(),
                    clock: context.clock.clone(),
                })
                .max_decoding_message_size(context.limits.max_message_bytes),
                minsheng_proto::FILE_DESCRIPTOR_SET,
                &[
                    ("GetKpis", &[OFFICER, ANALYST, VIEWER]),
                    ("WatchKpis", &[OFFICER, ANALYST, VIEWER]),
                ],
            )
            .grpc(
                pb::projections_server::ProjectionsServer::new(ProjectionsApi {
                    rebuilder: rebuilder.clone(),
                    replica: replica.clone(),
                    stop: context.shutdown.clone(),
                    store: context.store.clone(),
                    view: view.clone(),
                    metrics: context.subscription_metrics.clone(),
                    leading: leading.clone(),
                })
                .max_decoding_message_size(context.limits.max_message_bytes),
                minsheng_proto::FILE_DESCRIPTOR_SET,
                &[("Rebuild", &[OPERATOR]), ("Status", &[OPERATOR, VIEWER])],
            )
            .http(crate::http::router(view, context.clock.clone()))
            .worker("metrics leader election", Box::pin(campaign))
            .worker("KPI projection", Box::pin(follow))
            .subscription(rebuild_requests);
        Ok(())
    }
}

/// Holds the `kpis-projection` leadership whenever it can, with
/// `leading` saying whether it does, until `returned` (the projection has
/// made its last save).
async fn campaign(leader: Arc<dyn LeaderElection>, leading: Arc<AtomicBool>, returned: Shutdown) {
    let outcome =
        minsheng_leader::while_leader(leader.as_ref(), "kpis-projection", returned.wait(), || {
            let leading = leading.clone();
            async move {
                leading.store(true, Ordering::SeqCst);
                let _leading = ClearOnDrop(leading);
                std::future::pending::<()>().await;
            }
        })
        .await;
    if let Err(error) = outcome {
        tracing::warn!(%error, "the KPI projection's leader election stopped");
    }
}

/// The projection, until shutdown; after an error it counts a restart and
/// resumes from the snapshot.
fn follow_until_stopped(
    context: &TargetContext,
    view: Arc<KpiView>,
    leading: Arc<AtomicBool>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (store, stop, readiness, metrics) = (
        context.store.clone(),
        context.shutdown.clone(),
        context.readiness.clone(),
        context.subscription_metrics.clone(),
    );
    async move {
        // The pause after the last failure in a row, if any.
        let mut backoff: Option<Duration> = None;
        loop {
            let started = std::time::Instant::now();
            let readiness = readiness.clone();
            let flag = leading.clone();
            let outcome = projection::follow(
                store.clone(),
                view.clone(),
                SavePolicy::default(),
                Some(&metrics),
                move || flag.load(Ordering::SeqCst),
                move || readiness.set(READINESS, true),
                stop.wait(),
            )
            .await;
            match outcome {
                Ok(()) => return,
                Err(error) => {
                    // Counted, so that the restarts alert fires; a newer
                    // schema version stays an error until a newer build runs.
                    let label = projection::consumer_label(error.context().unwrap_or("all"));
                    metrics.restarted(&label, error.reason());
                    // A run that lasted starts the pauses over.
                    let pause = match backoff {
                        Some(pause) if started.elapsed() <= backoff::LAST => backoff::next(pause),
                        _ => backoff::FIRST,
                    };
                    backoff = Some(pause);
                    tracing::warn!(%error, retry_in = ?pause, "the KPI projection failed; resuming from its snapshot");
                    tokio::select! {
                        () = stop.wait() => return,
                        () = tokio::time::sleep(pause) => {}
                    }
                    if let Err(error) = projection::restore(store.as_ref(), &view).await {
                        tracing::warn!(%error, "cannot read the metrics snapshot");
                    }
                }
            }
        }
    }
}
