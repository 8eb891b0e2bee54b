//! gRPC serving over a real socket on loopback, with a test-only Echo
//! service written by hand (what tonic's generated code does), so that no
//! proto file of the mesh is needed to test the mechanism.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use futures::future::BoxFuture;
use minsheng_runtime::auth::{AccessTable, Caller, Claims, TokenKeys};
use minsheng_runtime::grpc::metrics::RpcMetrics;
use minsheng_runtime::grpc::{GrpcLimits, auth::Gatekeeper, health, serve};
use minsheng_runtime::shutdown::Shutdown;
use prometheus_client::registry::Registry;
use tonic::body::Body;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_prost::ProstCodec;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

const SAY: &str = "/minsheng.testing.v1.Echo/Say";

#[derive(Clone, PartialEq, prost::Message)]
struct Say {
    #[prost(string, tag = "1")]
    text: String,
}

/// Answers `Say` with the caller's subject and the text.
#[derive(Clone)]
struct Echo;

impl tonic::server::NamedService for Echo {
    const NAME: &'static str = "minsheng.testing.v1.Echo";
}

struct SayHandler;

impl tonic::server::UnaryService<Say> for SayHandler {
    type Response = Say;
    type Future = BoxFuture<'static, Result<Response<Say>, Status>>;

    fn call(&mut self, request: Request<Say>) -> Self::Future {
        let who = request
            .extensions()
            .get::<Caller>()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        Box::pin(async move {
            Ok(Response::new(Say {
                text: format!("{who}: {}", request.into_inner().text),
            }))
        })
    }
}

impl tower::Service<http::Request<Body>> for Echo {
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match request.uri().path() {
            SAY => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::<Say, Say>::default())
                    .apply_max_message_size_config(
                        Some(GrpcLimits::default().max_message_bytes),
                        None,
                    );
                Ok(grpc.unary(SayHandler, request).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the test deployment's signing key")
}

struct App {
    addr: SocketAddr,
    shutdown: Shutdown,
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    registry: Registry,
}

impl App {
    /// The registry as Prometheus text.
    fn metrics(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        text
    }
}

async fn spawn_app() -> App {
    let (_reporter, health_service) = health(&["minsheng.testing.v1.Echo"]).await;
    let mut routes = tonic::service::RoutesBuilder::default();
    routes.add_service(health_service).add_service(Echo);
    let gate = Gatekeeper::new(keys(), AccessTable::new().allow(SAY, &["officer"]));
    let shutdown = Shutdown::new();
    let mut registry = Registry::default();
    let metrics = RpcMetrics::register(&mut registry, gate.methods().collect::<Vec<_>>());
    let (addr, server) = serve(
        "127.0.0.1:0".parse().unwrap(),
        routes.routes(),
        &[],
        gate,
        metrics,
        &GrpcLimits::default(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    App {
        addr,
        shutdown,
        server,
        registry,
    }
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

async fn say(addr: SocketAddr, authorization: Option<String>) -> Result<String, Status> {
    let mut client = tonic::client::Grpc::new(channel(addr).await);
    client.ready().await.unwrap();
    let mut request = Request::new(Say {
        text: "hello".into(),
    });
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    let path = http::uri::PathAndQuery::from_static(SAY);
    client
        .unary(request, path, ProstCodec::<Say, Say>::default())
        .await
        .map(|r| r.into_inner().text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_is_heard_and_everyone_else_is_refused_with_the_right_code() {
    let app = spawn_app().await;
    let bearer = |t: &str| Some(format!("Bearer {t}"));
    let officer = keys()
        .mint("officer-7", &["officer".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(
        say(app.addr, bearer(&officer)).await.unwrap(),
        "officer-7: hello"
    );

    let code = |r: Result<String, Status>| r.unwrap_err().code();
    assert_eq!(code(say(app.addr, None).await), Code::Unauthenticated);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let stale = Claims {
        sub: "officer-7".into(),
        roles: vec!["officer".into()],
        iat: now - 7200,
        exp: now - 3600,
    };
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &stale,
        &jsonwebtoken::EncodingKey::from_secret(b"the test deployment's signing key"),
    )
    .unwrap();
    let refused = say(app.addr, bearer(&expired)).await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message()),
        (Code::Unauthenticated, "token expired")
    );
    let forged = TokenKeys::from_secret(b"someone else's key, not ours!!!!")
        .mint("officer-7", &["officer".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(
        code(say(app.addr, bearer(&forged)).await),
        Code::Unauthenticated
    );
    let reader = keys()
        .mint("reader-1", &["iot-reader".into()], Duration::from_secs(600))
        .unwrap();
    assert_eq!(
        code(say(app.addr, bearer(&reader)).await),
        Code::PermissionDenied
    );

    // Every call above is counted once, with its final code.
    let metrics = app.metrics();
    let count = |code: &str| -> u64 {
        let prefix = format!("grpc_server_calls_total{{method=\"{SAY}\",code=\"{code}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |v| v.parse().unwrap())
    };
    assert_eq!(count("Ok"), 1, "{metrics}");
    assert_eq!(count("Unauthenticated"), 3, "{metrics}");
    assert_eq!(count("PermissionDenied"), 1, "{metrics}");
    assert!(
        metrics.contains(&format!(
            "grpc_server_call_seconds_count{{method=\"{SAY}\"}} 5"
        )),
        "{metrics}"
    );

    app.shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(10), app.server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reflection_answer_without_a_token() {
    let app = spawn_app().await;
    let mut health = HealthClient::new(channel(app.addr).await);
    for service in ["", "minsheng.testing.v1.Echo"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }

    let mut reflection = ServerReflectionClient::new(channel(app.addr).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(Ok(answer)) = answers.next().await else {
        panic!("no reflection answer")
    };
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
    app.shutdown.trigger();
}
