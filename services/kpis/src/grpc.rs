//! `minsheng.kpis.v1.Kpis` (the figures) and `Projections` (rebuild,
//! status).

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use minsheng_eventstore::EventStore;
use minsheng_proto::kpis::v1 as pb;
use minsheng_runtime::clock::Clock;
use minsheng_runtime::grpc::command::command_context;
use minsheng_runtime::grpc::status;
use minsheng_runtime::projection::RebuildEvent;
use minsheng_runtime::shutdown::Shutdown;
use minsheng_runtime::subscription::SubscriptionMetrics;
use tonic::{Request, Response, Status};

use crate::projection::{KpiProjection, SPEC};
use crate::query::{self, Figures};

/// The least time between two answers to one watcher: changes in between
/// are sent together.
const WATCH_AT_MOST_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone, Debug)]
pub struct KpisApi {
    pub(crate) view: Arc<KpiProjection>,
    pub(crate) stop: Shutdown,
    pub(crate) clock: Arc<dyn Clock>,
}

fn answer(figures: Figures) -> pb::KpiFigures {
    pb::KpiFigures {
        period: figures.period,
        district: figures.district.unwrap_or_default().to_owned(),
        figures: figures
            .figures
            .into_iter()
            .map(|f| pb::Figure {
                name: f.name.to_owned(),
                value: i64::try_from(f.value).unwrap_or(i64::MAX),
                year_on_year: f.year_on_year,
            })
            .collect(),
        stopped_ratio: figures.stopped_ratio,
        median_alert_to_request_seconds: figures.median_alert_to_request_seconds,
    }
}

fn read(
    view: &KpiProjection,
    request: &pb::GetKpisRequest,
    now: DateTime<Utc>,
) -> Result<pb::KpiFigures, Status> {
    let (period, district) = query::scope(&request.period, &request.district, now)
        .map_err(|e| status::invalid_field(e.field, e.expected))?;
    Ok(answer(
        view.read(|c| query::figures(&c.state, period, district)),
    ))
}

#[tonic::async_trait]
impl pb::kpis_server::Kpis for KpisApi {
    async fn get_kpis(
        &self,
        request: Request<pb::GetKpisRequest>,
    ) -> Result<Response<pb::KpiFigures>, Status> {
        Ok(Response::new(read(
            &self.view,
            request.get_ref(),
            self.clock.now(),
        )?))
    }

    type WatchKpisStream = Pin<Box<dyn Stream<Item = Result<pb::KpiFigures, Status>> + Send>>;

    async fn watch_kpis(
        &self,
        request: Request<pb::GetKpisRequest>,
    ) -> Result<Response<Self::WatchKpisStream>, Status> {
        let request = request.into_inner();
        let mut book_changes = self.view.changes();
        book_changes.mark_unchanged();
        let first = read(&self.view, &request, self.clock.now())?;
        let (view, clock) = (self.view.clone(), self.clock.clone());
        // The figures now, then again each time the book changes them.
        let now = futures::stream::once(std::future::ready(Ok(first.clone())));
        let later = futures::stream::unfold(
            (view, request, book_changes, first),
            move |(view, request, mut book_changes, last)| {
                let clock = clock.clone();
                async move {
                    loop {
                        tokio::time::sleep(WATCH_AT_MOST_EVERY).await;
                        book_changes.changed().await.ok()?;
                        match read(&view, &request, clock.now()) {
                            Ok(now) if now != last => {
                                return Some((Ok(now.clone()), (view, request, book_changes, now)));
                            }
                            Ok(_) => {}
                            Err(e) => return Some((Err(e), (view, request, book_changes, last))),
                        }
                    }
                }
            },
        );
        let changes = now.chain(later);
        let stop = self.stop.clone();
        Ok(Response::new(Box::pin(
            changes.take_until(async move { stop.wait().await }),
        )))
    }
}

/// `minsheng.kpis.v1.Projections`: operators' rebuild and status.
#[derive(Debug)]
pub struct ProjectionsApi {
    pub(crate) projection: Arc<KpiProjection>,
    pub(crate) stop: Shutdown,
    pub(crate) store: Arc<dyn EventStore>,
    pub(crate) metrics: SubscriptionMetrics,
}

/// The one projection there is.
fn check_projection(name: &str) -> Result<(), Status> {
    if name == SPEC.name {
        Ok(())
    } else {
        Err(status::invalid_field(
            "projection",
            "the name of a projection: kpis",
        ))
    }
}

fn progress_message(
    event: RebuildEvent,
    others_asked: bool,
) -> Result<pb::RebuildProgress, Status> {
    match event {
        RebuildEvent::Progress(p) => Ok(pb::RebuildProgress {
            context: p.context.to_owned(),
            position: p.position.0,
            head: p.head.0,
            replayed: p.replayed,
            ..Default::default()
        }),
        RebuildEvent::Swapped { replayed, took } => Ok(pb::RebuildProgress {
            replayed,
            swapped: true,
            seconds: took.as_secs_f64(),
            others_asked,
            ..Default::default()
        }),
        RebuildEvent::Failed(reason) => Err(Status::unavailable(format!(
            "the rebuild failed and the current figures stay: {reason}"
        ))),
    }
}

#[tonic::async_trait]
impl pb::projections_server::Projections for ProjectionsApi {
    type RebuildStream = Pin<Box<dyn Stream<Item = Result<pb::RebuildProgress, Status>> + Send>>;

    async fn rebuild(
        &self,
        request: Request<pb::RebuildRequest>,
    ) -> Result<Response<Self::RebuildStream>, Status> {
        check_projection(&request.get_ref().projection)?;
        let context = command_context(&request)?;
        let events = self
            .projection
            .start_rebuild(self.store.clone())
            .map_err(|e| Status::failed_precondition(e.to_string()))?;
        let asked = self
            .projection
            .ask_the_others(self.store.as_ref(), context.metadata)
            .await;
        if let Err(error) = &asked {
            tracing::warn!(%error, "could not ask the other replicas to rebuild the KPI projection");
        }
        let others_asked = asked.is_ok();
        let stop = self.stop.clone();
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(events)
                .map(move |event| progress_message(event, others_asked))
                .take_until(async move { stop.wait().await }),
        )))
    }

    async fn status(
        &self,
        request: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::ProjectionStatus>, Status> {
        check_projection(&request.get_ref().projection)?;
        let contexts = self
            .projection
            .live(self.store.as_ref(), &self.metrics)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(pb::ProjectionStatus {
            leading: self.projection.leading(),
            rebuilds: self.projection.rebuilds(),
            contexts: contexts
                .into_iter()
                .map(|c| pb::ContextStatus {
                    context: c.context.to_owned(),
                    position: c.position.0,
                    head: c.head.0,
                    lag_seconds: c.lag_seconds,
                    events_counted: c.events_folded,
                })
                .collect(),
        }))
    }
}
