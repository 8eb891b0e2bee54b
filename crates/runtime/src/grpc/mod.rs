//! gRPC serving: one server per process for every target's services, with
//! `grpc.health.v1` and reflection beside them, the [`auth::Gatekeeper`] in
//! front, and limits on message size, concurrency and time.

pub mod auth;
pub mod command;
pub mod deadline;
pub mod metrics;
pub mod status;

use std::net::SocketAddr;
use std::time::Duration;

use tonic::service::Routes;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::health::Readiness;
use crate::shutdown::Shutdown;

/// The service that `poll_ready` readied, for `call` to use; a fresh clone
/// stays behind for the next call. (tower's contract: the service polled
/// ready is the one that must take the call.)
pub(crate) fn take_ready<S: Clone>(slot: &mut S) -> S {
    let fresh = slot.clone();
    std::mem::replace(slot, fresh)
}

/// Limits every server applies.
#[derive(Clone, Debug)]
pub struct GrpcLimits {
    /// Largest request message a service accepts. tonic sets this per
    /// service: each target applies it to its generated server with
    /// `max_decoding_message_size`, and tonic refuses larger messages with
    /// OUT_OF_RANGE ("decoded message length too large"), before the handler runs.
    pub max_message_bytes: usize,
    /// Requests handled at once per connection; more wait.
    pub concurrency_per_connection: usize,
    /// Longest a unary call may run when the client sets no deadline
    /// (streams are not cut: see [`deadline`]).
    pub timeout: Duration,
    /// Longest deadline a client may give a unary call.
    pub max_deadline: Duration,
    /// How often an idle connection is pinged, and how long a ping may go
    /// unanswered before the connection is closed as dead.
    pub keepalive: (Duration, Duration),
}

impl Default for GrpcLimits {
    fn default() -> Self {
        GrpcLimits {
            max_message_bytes: 1024 * 1024,
            concurrency_per_connection: 256,
            timeout: Duration::from_secs(30),
            max_deadline: Duration::from_secs(300),
            keepalive: (Duration::from_secs(30), Duration::from_secs(10)),
        }
    }
}

/// Largest request the services open to anyone (health, reflection)
/// accept: their requests are a service or symbol name. Bounded small, as
/// nobody has been authenticated yet.
pub const UNAUTHENTICATED_MESSAGE_BYTES: usize = 16 * 1024;

/// Largest header block a request may carry. Large enough that an
/// oversized `authorization` or `x-request-id` reaches the gate and the
/// command context, which refuse it with a status naming it (below this,
/// hyper answers HTTP 431, which a gRPC client sees as UNKNOWN, or drops
/// the connection); the gate then bounds each header itself.
pub const MAX_HEADER_LIST_BYTES: u32 = 256 * 1024;

/// The encoded descriptors of the services a target serves, for reflection.
pub type DescriptorSet = &'static [u8];

/// The health service name a liveness probe asks for: SERVING as long as
/// the process answers at all, ready or not, so that a long catch-up or a
/// drain never gets a pod restarted.
pub const LIVENESS: &str = "liveness";

/// Builds the health service. Every named service, and the server as a
/// whole (`""`), reports SERVING while `readiness` says the process is ready
/// and NOT_SERVING otherwise (starting, a subscription catching up, draining),
/// until `stop`; [`LIVENESS`] is always SERVING.
pub async fn health(
    services: &[&'static str],
    readiness: &Readiness,
    stop: Shutdown,
) -> tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health> {
    let (reporter, service) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(LIVENESS, tonic_health::ServingStatus::Serving)
        .await;
    let mut names: Vec<&'static str> = services.to_vec();
    names.push("");
    let mut changes = readiness.changes();
    let ready = *changes.borrow_and_update();
    report(&reporter, &names, ready).await;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = stop.wait() => return,
                changed = changes.changed() => if changed.is_err() { return },
            }
            let ready = *changes.borrow_and_update();
            report(&reporter, &names, ready).await;
        }
    });
    service.max_decoding_message_size(UNAUTHENTICATED_MESSAGE_BYTES)
}

async fn report(reporter: &tonic_health::server::HealthReporter, names: &[&str], ready: bool) {
    let status = if ready {
        tonic_health::ServingStatus::Serving
    } else {
        tonic_health::ServingStatus::NotServing
    };
    for name in names {
        reporter.set_service_status(*name, status).await;
    }
}

/// Binds `addr` (port 0 picks one) and serves `routes` plus reflection
/// (over `descriptors` and health's) behind `gate`, measured by `metrics`
/// (outermost, so refusals are counted too), until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    routes: Routes,
    descriptors: &[DescriptorSet],
    gate: auth::Gatekeeper,
    metrics: metrics::RpcMetrics,
    limits: &GrpcLimits,
    shutdown: Shutdown,
) -> std::io::Result<(
    SocketAddr,
    tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
)> {
    let mut reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
    for set in descriptors {
        reflection = reflection.register_encoded_file_descriptor_set(set);
    }
    let reflection = reflection
        .build_v1()
        .map_err(|e| std::io::Error::other(format!("reflection: {e}")))?
        .max_decoding_message_size(UNAUTHENTICATED_MESSAGE_BYTES);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut sets: Vec<&[u8]> = descriptors.to_vec();
    sets.push(tonic_health::pb::FILE_DESCRIPTOR_SET);
    sets.push(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET);
    let deadlines = deadline::Deadlines::new(limits.clone(), deadline::streaming_methods(&sets));
    let router = Server::builder()
        .concurrency_limit_per_connection(limits.concurrency_per_connection)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .http2_keepalive_interval(Some(limits.keepalive.0))
        .http2_keepalive_timeout(Some(limits.keepalive.1))
        .layer(
            tower::ServiceBuilder::new()
                .layer(metrics)
                .layer(gate)
                .layer(deadlines),
        )
        .add_routes(routes)
        .add_service(reflection);
    // Without TCP_NODELAY, a response that leaves in two segments waits
    // for the client's delayed ACK: 40 ms a call (seen: Screen with 100
    // numbers took 44 ms at p50, on the bare echo too).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let task = tokio::spawn(async move {
        router
            .serve_with_incoming_shutdown(incoming, async move { shutdown.wait().await })
            .await
    });
    Ok((bound, task))
}
