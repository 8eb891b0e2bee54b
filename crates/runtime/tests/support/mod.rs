//! A target that lives only in the tests: `notebook`, with a hand-written
//! gRPC service (what tonic's generated code does, so no proto file of the
//! mesh is needed) and a subscriber that counts what was written.
//!
//! - `Say(Text) -> Text`: answers with the caller's subject and the text;
//! - `Write(Note) -> Written`: appends one `testing.Noted` event to
//!   `testing.note.<id>`, with the runtime's command context as metadata,
//!   and answers once it is durable.
//!
//! A second subscriber, `notebook-reactor`, is a singleton: it counts only
//! on the replica that leads (an election the test decides, [`LeaderByHand`]).
//!
//! [`spawn_app`] starts a whole process on port 0 around it.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::BoxFuture;
use minsheng_eventstore::{EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamName};
use minsheng_leader::{LeaderElection, LeaderError, Leadership};
use minsheng_runtime::auth::{Caller, TokenKeys};
use minsheng_runtime::grpc::GrpcLimits;
use minsheng_runtime::grpc::command::command_context;
use minsheng_runtime::grpc::status;
use minsheng_runtime::process::{self, ProcessConfig, ProcessError};
use minsheng_runtime::shutdown::Shutdown;
use minsheng_runtime::subscription::{Subscriber, SubscriberError};
use minsheng_runtime::target::{Registration, Target, TargetContext, TargetError};
use tokio::sync::watch;
use tonic::body::Body;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

pub const SERVICE: &str = "minsheng.testing.v1.Notebook";
pub const SAY: &str = "/minsheng.testing.v1.Notebook/Say";
pub const WRITE: &str = "/minsheng.testing.v1.Notebook/Write";

#[derive(Clone, PartialEq, prost::Message)]
pub struct Text {
    #[prost(string, tag = "1")]
    pub text: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Note {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub text: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Written {
    #[prost(uint64, tag = "1")]
    pub version: u64,
}

#[derive(Clone)]
struct Notebook {
    store: Arc<dyn EventStore>,
}

impl tonic::server::NamedService for Notebook {
    const NAME: &'static str = SERVICE;
}

struct SayHandler;

impl tonic::server::UnaryService<Text> for SayHandler {
    type Response = Text;
    type Future = BoxFuture<'static, Result<Response<Text>, Status>>;

    fn call(&mut self, request: Request<Text>) -> Self::Future {
        let who = request
            .extensions()
            .get::<Caller>()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        Box::pin(async move {
            Ok(Response::new(Text {
                text: format!("{who}: {}", request.into_inner().text),
            }))
        })
    }
}

struct WriteHandler {
    store: Arc<dyn EventStore>,
}

impl tonic::server::UnaryService<Note> for WriteHandler {
    type Response = Written;
    type Future = BoxFuture<'static, Result<Response<Written>, Status>>;

    fn call(&mut self, request: Request<Note>) -> Self::Future {
        let store = self.store.clone();
        Box::pin(async move {
            let context = command_context(&request)?;
            let note = request.into_inner();
            let stream = StreamName::parse(&format!("testing.note.{}", note.id))
                .map_err(|e| status::invalid_field("id", &e.to_string()))?;
            let event = NewEvent::new("testing.Noted", 1, &note.text)
                .map_err(|e| Status::internal(e.to_string()))?
                .with_metadata(context.metadata);
            let outcome = store
                .append(
                    &stream,
                    ExpectedVersion::Any,
                    vec![event],
                    context.request_id.as_ref(),
                )
                .await
                .map_err(|e| status::from_store(&e))?;
            Ok(Response::new(Written {
                version: outcome.last_version,
            }))
        })
    }
}

impl tower::Service<http::Request<Body>> for Notebook {
    type Response = http::Response<Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let limit = Some(GrpcLimits::default().max_message_bytes);
        match request.uri().path() {
            SAY => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::<Text, Text>::default())
                    .apply_max_message_size_config(limit, None);
                Ok(grpc.unary(SayHandler, request).await)
            }),
            WRITE => {
                let handler = WriteHandler {
                    store: self.store.clone(),
                };
                Box::pin(async move {
                    let mut grpc = tonic::server::Grpc::new(ProstCodec::<Written, Note>::default())
                        .apply_max_message_size_config(limit, None);
                    Ok(grpc.unary(handler, request).await)
                })
            }
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// Counts notes; holds each event until `open` is true.
struct NoteCounter {
    name: &'static str,
    context: minsheng_eventstore::Context,
    counted: Arc<AtomicU64>,
    open: watch::Receiver<bool>,
}

#[async_trait]
impl Subscriber for NoteCounter {
    fn name(&self) -> &str {
        self.name
    }

    fn context(&self) -> &minsheng_eventstore::Context {
        &self.context
    }

    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), SubscriberError> {
        // A tolerant reader: a type it does not know (a newer writer's) is
        // skipped, not a failure.
        if event.event_type != "testing.Noted" {
            return Err(SubscriberError::NotRead(event.event_type.clone()));
        }
        self.open
            .wait_for(|open| *open)
            .await
            .map_err(|e| SubscriberError::Handler(e.to_string()))?;
        self.counted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

pub struct NotebookTarget {
    pub counted: Arc<AtomicU64>,
    pub open: watch::Receiver<bool>,
    /// What the singleton `notebook-reactor` counted on this replica.
    pub reacted: Arc<AtomicU64>,
}

#[async_trait]
impl Target for NotebookTarget {
    fn name(&self) -> &'static str {
        "notebook"
    }

    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError> {
        registration
            .grpc(
                Notebook {
                    store: context.store.clone(),
                },
                &[],
                &[("Say", &["officer"]), ("Write", &["officer"])],
            )
            .subscription(NoteCounter {
                name: "notebook-counter",
                context: minsheng_eventstore::Context::parse("testing").unwrap(),
                counted: self.counted.clone(),
                open: self.open.clone(),
            })
            .singleton_subscription(NoteCounter {
                name: "notebook-reactor",
                context: minsheng_eventstore::Context::parse("testing").unwrap(),
                counted: self.reacted.clone(),
                open: watch::channel(true).1,
            });
        Ok(())
    }
}

pub fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the test deployment's signing key")
}

pub fn officer_token(sub: &str) -> String {
    keys()
        .mint(sub, &["officer".into()], Duration::from_secs(600))
        .unwrap()
}

pub struct AppOptions {
    pub drain_delay: Duration,
    pub shutdown_grace: Duration,
    /// Whether the counter handles events from the start.
    pub counter_open: bool,
    /// Who leads the singleton workers: always this process, by default.
    pub leader: Arc<dyn LeaderElection>,
    pub limits: GrpcLimits,
}

/// An election the test decides: this replica leads while its switch is
/// on, and loses the leadership when it is turned off.
#[derive(Clone, Debug)]
pub struct LeaderByHand {
    leading: Arc<watch::Sender<bool>>,
}

impl LeaderByHand {
    pub fn not_leading() -> Self {
        LeaderByHand {
            leading: Arc::new(watch::channel(false).0),
        }
    }

    pub fn set(&self, leading: bool) {
        self.leading.send_replace(leading);
    }
}

#[async_trait]
impl LeaderElection for LeaderByHand {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        let mut switch = self.leading.subscribe();
        switch
            .wait_for(|leading| *leading)
            .await
            .map_err(|e| LeaderError::Stopped(e.to_string()))?;
        Ok(Leadership::new(name, self.leading.subscribe(), None))
    }
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            drain_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
            counter_open: true,
            leader: Arc::new(minsheng_leader::AlwaysLeader::new()),
            limits: GrpcLimits::default(),
        }
    }
}

pub struct App {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    pub shutdown: Shutdown,
    pub store: Arc<dyn EventStore>,
    pub counted: Arc<AtomicU64>,
    pub reacted: Arc<AtomicU64>,
    pub open_counter: watch::Sender<bool>,
    pub stopped: tokio::task::JoinHandle<Result<(), ProcessError>>,
}

/// A process serving the notebook target on port 0 over `store`.
pub async fn spawn_app_on(store: Arc<dyn EventStore>, options: AppOptions) -> App {
    let (open_counter, open) = watch::channel(options.counter_open);
    let counted = Arc::new(AtomicU64::new(0));
    let reacted = Arc::new(AtomicU64::new(0));
    let target: Arc<dyn Target> = Arc::new(NotebookTarget {
        counted: counted.clone(),
        open,
        reacted: reacted.clone(),
    });
    let shutdown = Shutdown::new();
    let config = ProcessConfig {
        grpc_addr: "127.0.0.1:0".parse().unwrap(),
        http_addr: "127.0.0.1:0".parse().unwrap(),
        limits: options.limits,
        keys: keys(),
        drain_delay: options.drain_delay,
        shutdown_grace: options.shutdown_grace,
        leader: options.leader,
        person_keys: minsheng_runtime::person_keys::PersonKeys::from_secret(b"test person key"),
        vault: minsheng_runtime::personal_data::ephemeral(),
        clock: Arc::new(minsheng_runtime::clock::SystemClock),
        audit: minsheng_runtime::read_audit::in_memory(),
        audit_retention: minsheng_runtime::read_audit::DEFAULT_RETENTION,
    };
    let running = process::start(config, store.clone(), &[target], shutdown.clone())
        .await
        .unwrap();
    let app = App {
        grpc: running.grpc_addr,
        http: running.http_addr,
        shutdown,
        store,
        counted,
        reacted,
        open_counter,
        stopped: tokio::spawn(running.wait()),
    };
    if options.counter_open {
        // As a load balancer would: no traffic until ready.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while http_get(app.http, "/readyz").await.0 != 200 {
            assert!(std::time::Instant::now() < deadline, "never ready");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    app
}

/// A process on a fresh embedded store in `dir`.
pub async fn spawn_app(dir: &std::path::Path, options: AppOptions) -> App {
    let store =
        minsheng_runtime::store::open(&format!("sqlite://{}", dir.join("events.db").display()), 1)
            .await
            .unwrap();
    spawn_app_on(store, options).await
}

impl App {
    /// Stops the process and waits for it, within `limit`.
    pub async fn stop(self, limit: Duration) {
        self.shutdown.trigger();
        tokio::time::timeout(limit, self.stopped)
            .await
            .expect("stopped in time")
            .unwrap()
            .unwrap();
    }

    pub async fn metrics(&self) -> String {
        let (status, body) = http_get(self.http, "/metrics").await;
        assert_eq!(status, 200);
        body
    }
}

/// A GET on loopback, off the async threads.
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    minsheng_testkit::http_get_async(addr, path).await.unwrap()
}

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .connect()
        .await
        .unwrap()
}

fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        minsheng_runtime::auth::attach_bearer(&mut request, token).unwrap();
    }
    request
}

pub async fn say(channel: Channel, token: Option<&str>, text: &str) -> Result<String, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let request = with_token(Text { text: text.into() }, token);
    client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(SAY),
            ProstCodec::<Text, Text>::default(),
        )
        .await
        .map(|r| r.into_inner().text)
}

pub async fn write(
    channel: Channel,
    token: Option<&str>,
    note: Note,
    extra: &[(&'static str, &str)],
) -> Result<u64, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = with_token(note, token);
    for (key, value) in extra {
        request.metadata_mut().insert(*key, value.parse().unwrap());
    }
    client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(WRITE),
            ProstCodec::<Note, Written>::default(),
        )
        .await
        .map(|r| r.into_inner().version)
}

pub fn note(id: &str, text: &str) -> Note {
    Note {
        id: id.into(),
        text: text.into(),
    }
}

/// The value of the series `prefix` names (trailing space allowed).
pub fn sample(metrics: &str, prefix: &str) -> Option<f64> {
    minsheng_testkit::sample(metrics, prefix.trim_end())
}
