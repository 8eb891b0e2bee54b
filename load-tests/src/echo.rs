//! The baseline: a bare tonic server for the same `Sightings` service that
//! only counts what it receives. No auth, no metrics, no domain, no store.

use std::net::SocketAddr;
use std::pin::Pin;

use futures::{Stream, StreamExt};
use minsheng_proto::vehicle::v1 as pb;
use tonic::{Request, Response, Status, Streaming};

#[derive(Clone, Copy, Debug)]
struct Echo;

#[tonic::async_trait]
impl pb::sightings_server::Sightings for Echo {
    async fn record_sightings(
        &self,
        request: Request<Streaming<pb::Sighting>>,
    ) -> Result<Response<pb::SightingSummary>, Status> {
        let mut stream = request.into_inner();
        let mut received = 0;
        while let Some(message) = stream.next().await {
            message?;
            received += 1;
        }
        Ok(Response::new(pb::SightingSummary {
            received,
            counted: received,
            ..pb::SightingSummary::default()
        }))
    }

    async fn record_sighting_batch(
        &self,
        request: Request<pb::SightingBatch>,
    ) -> Result<Response<pb::SightingSummary>, Status> {
        let received = request.into_inner().sightings.len() as u64;
        Ok(Response::new(pb::SightingSummary {
            received,
            counted: received,
            ..pb::SightingSummary::default()
        }))
    }

    type WatchHitsStream = Pin<Box<dyn Stream<Item = Result<pb::Hit, Status>> + Send>>;

    async fn watch_hits(
        &self,
        _: Request<pb::HitFilter>,
    ) -> Result<Response<Self::WatchHitsStream>, Status> {
        Ok(Response::new(Box::pin(futures::stream::empty())))
    }

    async fn list_hits(
        &self,
        _: Request<pb::ListHitsRequest>,
    ) -> Result<Response<pb::ListHitsResponse>, Status> {
        Ok(Response::new(pb::ListHitsResponse::default()))
    }
}

/// Serves the echo on a free loopback port until the runtime ends.
pub async fn start() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(pb::sightings_server::SightingsServer::new(Echo))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await;
    });
    Ok(addr)
}
