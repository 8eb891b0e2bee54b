//! `minsheng.vehicle.v1.Sightings`: the hot path in, the hits out.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tonic::{Request, Response, Status, Streaming};

use super::{command_context, invalid, pb, time, timestamp, to_status};
use crate::app::{SightingTally, VehicleApp};
use crate::domain::values::District;
use crate::live::HitRecord;
use minsheng_runtime::read_audit::{Item, ReadAudit, Reader};
use minsheng_runtime::shutdown::Shutdown;

/// Sightings in one batch call.
const MAX_BATCH: usize = 10_000;
/// Sightings taken from a stream at once, under one lock of the desk.
const CHUNK: usize = 1024;
/// Hits in one `ListHits` answer.
const MAX_LIST: usize = 1000;

const WATCH_HITS: &str = "minsheng.vehicle.v1.Sightings/WatchHits";
const LIST_HITS: &str = "minsheng.vehicle.v1.Sightings/ListHits";

#[derive(Clone, Debug)]
pub struct SightingsApi {
    pub(crate) app: Arc<VehicleApp>,
    /// Watches end when the servers stop, rather than hold the shutdown
    /// up for its whole grace period.
    pub(crate) stop: Shutdown,
    /// Every hit read is recorded against its bike's owner.
    pub(crate) audit: ReadAudit,
}

/// A hit, as the read audit records it.
fn hit_read(record: &HitRecord) -> Item {
    Item {
        what: "hit",
        id: record.tag.to_string(),
        person: record.owner.as_ref().map(|p| p.as_str().to_owned()),
    }
}

fn summary(tally: SightingTally) -> pb::SightingSummary {
    pb::SightingSummary {
        received: tally.received,
        counted: tally.counted,
        hits: tally.hits,
        repeated: tally.repeated,
        refused: tally.refused,
        refusals: tally.refusals,
    }
}

/// A sighting's fields; a missing or impossible time is refused with the rest.
fn fields(s: pb::Sighting) -> (String, String, Option<chrono::DateTime<chrono::Utc>>) {
    let seen_at = time("seen_at", s.seen_at).ok();
    (s.tag_id, s.reader_id, seen_at)
}

fn hit(record: HitRecord) -> pb::Hit {
    pb::Hit {
        tag_id: record.tag.to_string(),
        reader_id: record.reader_id,
        district: record.district.as_str().to_owned(),
        latitude: record.location.latitude,
        longitude: record.location.longitude,
        seen_at: Some(timestamp(record.seen_at)),
        case_id: record.case_id,
        version: record.version,
    }
}

fn district_filter(text: &str) -> Result<Option<District>, Status> {
    if text.is_empty() {
        Ok(None)
    } else {
        District::parse("district", text).map(Some).map_err(invalid)
    }
}

#[tonic::async_trait]
impl pb::sightings_server::Sightings for SightingsApi {
    async fn record_sightings(
        &self,
        request: Request<Streaming<pb::Sighting>>,
    ) -> Result<Response<pb::SightingSummary>, Status> {
        let context = command_context(&request)?;
        let mut chunks = request.into_inner().ready_chunks(CHUNK);
        let mut tally = SightingTally::default();
        while let Some(chunk) = chunks.next().await {
            let mut sightings = Vec::with_capacity(chunk.len());
            for message in chunk {
                sightings.push(fields(message?));
            }
            self.app
                .record_sightings(sightings, self.app.now(), &context, &mut tally)
                .await
                .map_err(|e| to_status(&e))?;
        }
        Ok(Response::new(summary(tally)))
    }

    async fn record_sighting_batch(
        &self,
        request: Request<pb::SightingBatch>,
    ) -> Result<Response<pb::SightingSummary>, Status> {
        let context = command_context(&request)?;
        let batch = request.into_inner().sightings;
        if batch.len() > MAX_BATCH {
            return Err(minsheng_runtime::grpc::status::invalid_field(
                "sightings",
                "at most 10,000 in one batch",
            ));
        }
        let mut tally = SightingTally::default();
        self.app
            .record_sightings(
                batch.into_iter().map(fields),
                self.app.now(),
                &context,
                &mut tally,
            )
            .await
            .map_err(|e| to_status(&e))?;
        Ok(Response::new(summary(tally)))
    }

    type WatchHitsStream = Pin<Box<dyn Stream<Item = Result<pb::Hit, Status>> + Send>>;

    async fn watch_hits(
        &self,
        request: Request<pb::HitFilter>,
    ) -> Result<Response<Self::WatchHitsStream>, Status> {
        let district = district_filter(&request.get_ref().district)?;
        let reader = Reader::of(&request)?;
        let feed = self.app.live().watch();
        let audit = self.audit.clone();
        let hits = futures::stream::unfold(feed, move |mut feed| {
            let (audit, reader) = (audit.clone(), reader.clone());
            async move {
                loop {
                    match feed.recv().await {
                        Ok(record) if district.is_none_or(|d| d == record.district) => {
                            let recorded =
                                audit.record(&reader, WATCH_HITS, [hit_read(&record)]).await;
                            return Some((recorded.map(|()| hit(record)), feed));
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(missed)) => {
                            return Some((
                                Err(Status::data_loss(format!(
                                    "this watcher fell {missed} hits behind; list them with ListHits and watch again"
                                ))),
                                feed,
                            ));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        });
        let stop = self.stop.clone();
        let ending = async move {
            stop.wait().await;
        };
        Ok(Response::new(Box::pin(hits.take_until(ending))))
    }

    async fn list_hits(
        &self,
        request: Request<pb::ListHitsRequest>,
    ) -> Result<Response<pb::ListHitsResponse>, Status> {
        let reader = Reader::of(&request)?;
        let r = request.into_inner();
        let district = district_filter(&r.district)?;
        let from = time("from", r.from)?;
        let to = time("to", r.to)?;
        if to < from {
            return Err(minsheng_runtime::grpc::status::invalid_field(
                "to",
                "not before from",
            ));
        }
        let limit = match r.limit {
            0 => 100,
            n if n as usize > MAX_LIST => {
                return Err(minsheng_runtime::grpc::status::invalid_field(
                    "limit",
                    "at most 1000",
                ));
            }
            n => n as usize,
        };
        let hits = self.app.live().hits_between(district, from, to, limit);
        self.audit
            .record(&reader, LIST_HITS, hits.iter().map(hit_read))
            .await?;
        Ok(Response::new(pb::ListHitsResponse {
            hits: hits.into_iter().map(hit).collect(),
        }))
    }
}
