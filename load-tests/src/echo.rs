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
            .serve_with_incoming(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            )
            .await;
    });
    Ok(addr)
}

/// The firewall baseline: answers every number "not blocked", with the
/// same messages as the real service.
#[derive(Clone, Copy, Debug)]
struct FirewallEcho;

#[tonic::async_trait]
impl minsheng_proto::fraud::v1::firewall_server::Firewall for FirewallEcho {
    async fn block_number(
        &self,
        _: Request<minsheng_proto::fraud::v1::BlockNumberRequest>,
    ) -> Result<Response<minsheng_proto::fraud::v1::Written>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn unblock_number(
        &self,
        _: Request<minsheng_proto::fraud::v1::UnblockNumberRequest>,
    ) -> Result<Response<minsheng_proto::fraud::v1::Written>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn screen(
        &self,
        request: Request<minsheng_proto::fraud::v1::ScreenRequest>,
    ) -> Result<Response<minsheng_proto::fraud::v1::ScreenResponse>, Status> {
        let verdicts = request
            .into_inner()
            .numbers
            .into_iter()
            .map(|number| minsheng_proto::fraud::v1::Verdict {
                number,
                ..Default::default()
            })
            .collect();
        Ok(Response::new(minsheng_proto::fraud::v1::ScreenResponse {
            verdicts,
        }))
    }

    type ScreenStreamStream = Pin<
        Box<dyn Stream<Item = Result<minsheng_proto::fraud::v1::ScreenResponse, Status>> + Send>,
    >;

    async fn screen_stream(
        &self,
        _: Request<Streaming<minsheng_proto::fraud::v1::ScreenRequest>>,
    ) -> Result<Response<Self::ScreenStreamStream>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn report_interception(
        &self,
        _: Request<minsheng_proto::fraud::v1::ReportInterceptionRequest>,
    ) -> Result<Response<minsheng_proto::fraud::v1::Written>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn get_number_history(
        &self,
        _: Request<minsheng_proto::fraud::v1::GetNumberHistoryRequest>,
    ) -> Result<Response<minsheng_proto::fraud::v1::NumberHistory>, Status> {
        Err(Status::unimplemented("echo"))
    }
}

/// Serves the firewall echo on a free loopback port.
pub async fn start_firewall() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(
                minsheng_proto::fraud::v1::firewall_server::FirewallServer::new(FirewallEcho),
            )
            .serve_with_incoming(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            )
            .await;
    });
    Ok(addr)
}
