//! `minsheng.metrics.v1.Kpis`.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use minsheng_proto::metrics::v1 as pb;
use minsheng_runtime::grpc::status;
use minsheng_runtime::shutdown::Shutdown;
use tonic::{Request, Response, Status};

use crate::projection::KpiView;
use crate::query::{self, Figures};

/// How often a watch looks for a change.
const WATCH_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct KpisApi {
    pub(crate) view: Arc<KpiView>,
    pub(crate) stop: Shutdown,
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

fn read(view: &KpiView, request: &pb::GetKpisRequest) -> Result<pb::KpiFigures, Status> {
    let (period, district) = query::scope(&request.period, &request.district)
        .map_err(|e| status::invalid_field(e.field, e.expected))?;
    Ok(answer(
        view.read(|c| query::figures(&c.book, period, district)),
    ))
}

#[tonic::async_trait]
impl pb::kpis_server::Kpis for KpisApi {
    async fn get_kpis(
        &self,
        request: Request<pb::GetKpisRequest>,
    ) -> Result<Response<pb::KpiFigures>, Status> {
        Ok(Response::new(read(&self.view, request.get_ref())?))
    }

    type WatchKpisStream = Pin<Box<dyn Stream<Item = Result<pb::KpiFigures, Status>> + Send>>;

    async fn watch_kpis(
        &self,
        request: Request<pb::GetKpisRequest>,
    ) -> Result<Response<Self::WatchKpisStream>, Status> {
        let request = request.into_inner();
        let first = read(&self.view, &request)?;
        let view = self.view.clone();
        let changes = futures::stream::unfold(
            (view, request, first, true),
            |(view, request, last, first_time)| async move {
                if first_time {
                    return Some((Ok(last.clone()), (view, request, last, false)));
                }
                loop {
                    tokio::time::sleep(WATCH_EVERY).await;
                    match read(&view, &request) {
                        Ok(now) if now != last => {
                            return Some((Ok(now.clone()), (view, request, now, false)));
                        }
                        Ok(_) => {}
                        Err(e) => return Some((Err(e), (view, request, last, false))),
                    }
                }
            },
        );
        let stop = self.stop.clone();
        Ok(Response::new(Box::pin(
            changes.take_until(async move { stop.wait().await }),
        )))
    }
}
