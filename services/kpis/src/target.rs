//! The `kpis` target: the projection (run by the runtime: every replica
//! folds, the leader saves), `minsheng.kpis.v1.Kpis`, `Projections`
//! (rebuild and status, for operators), `/api/v1/kpis` and the dashboard.

use async_trait::async_trait;
use minsheng_proto::kpis::v1 as pb;
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};

use crate::grpc::{KpisApi, ProjectionsApi};
use crate::projection::{KpiProjection, SPEC};

pub const NAME: &str = "kpis";

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
        let projection = KpiProjection::new(SPEC);
        context.metrics.with(|registry| {
            registry.register_collector(Box::new(crate::gauges::KpiGauges {
                view: projection.clone(),
                clock: context.clock.clone(),
            }));
        });
        minsheng_runtime::grpc_servers!(
            registration,
            context,
            minsheng_proto::FILE_DESCRIPTOR_SET,
            [
                (
                    pb::kpis_server::KpisServer::new(KpisApi {
                        view: projection.clone(),
                        stop: context.shutdown.clone(),
                        clock: context.clock.clone(),
                    }),
                    &[
                        ("GetKpis", &[OFFICER, ANALYST, VIEWER]),
                        ("WatchKpis", &[OFFICER, ANALYST, VIEWER]),
                    ]
                ),
                (
                    pb::projections_server::ProjectionsServer::new(ProjectionsApi {
                        projection: projection.clone(),
                        stop: context.shutdown.clone(),
                        store: context.store.clone(),
                        metrics: context.subscription_metrics.clone(),
                    }),
                    &[("Rebuild", &[OPERATOR]), ("Status", &[OPERATOR, VIEWER])]
                ),
            ]
        );
        registration
            .http(crate::http::router(
                projection.clone(),
                context.clock.clone(),
            ))
            .projection(projection);
        Ok(())
    }
}
