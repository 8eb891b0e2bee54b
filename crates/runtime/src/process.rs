//! One process: open the store, start the targets, serve gRPC and HTTP,
//! and on the shutdown signal drain, let calls in flight finish, stop the
//! workers, and return.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::EventStore;
use prometheus_client::registry::Registry;

use crate::auth::TokenKeys;
use crate::grpc::metrics::RpcMetrics;
use crate::grpc::{self, GrpcLimits, auth::Gatekeeper};
use crate::health::Readiness;
use crate::http::{self, HttpState};
use crate::shutdown::Shutdown;
use crate::target::{Registration, Target, TargetContext, TargetError};

/// How long workers get to stop after the servers have.
const WORKER_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct ProcessConfig {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub limits: GrpcLimits,
    pub keys: TokenKeys,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("the gRPC server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
}

/// A started process. [`RunningProcess::wait`] returns once it has stopped.
#[derive(Debug)]
pub struct RunningProcess {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub targets: Vec<&'static str>,
    grpc: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    workers: Vec<(String, tokio::task::JoinHandle<()>)>,
}

pub async fn start(
    config: ProcessConfig,
    store: Arc<dyn EventStore>,
    targets: &[Arc<dyn Target>],
    shutdown: Shutdown,
) -> Result<RunningProcess, ProcessError> {
    let readiness = Readiness::new();
    let context = TargetContext {
        store,
        shutdown: shutdown.clone(),
        readiness: readiness.clone(),
    };
    let mut registration = Registration::default();
    for target in targets {
        target.start(&context, &mut registration).await?;
        tracing::info!(target = target.name(), "target started");
    }
    let Registration {
        mut routes,
        descriptors,
        access,
        service_names,
        http: target_http,
        workers,
    } = registration;

    let (_health_reporter, health_service) = grpc::health(&service_names).await;
    routes.add_service(health_service);
    let gate = Gatekeeper::new(config.keys.clone(), access);
    let mut registry = Registry::with_prefix("minsheng");
    let rpc_metrics = RpcMetrics::register(&mut registry, gate.methods().collect::<Vec<_>>());
    let (grpc_addr, grpc) = grpc::serve(
        config.grpc_addr,
        routes.routes(),
        &descriptors,
        gate,
        rpc_metrics,
        &config.limits,
        shutdown.clone(),
    )
    .await?;

    let build = prometheus_client::metrics::family::Family::<
        Vec<(String, String)>,
        prometheus_client::metrics::gauge::Gauge,
    >::default();
    build
        .get_or_create(&vec![(
            "version".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        )])
        .set(1);
    registry.register("build_info", "The running build", build);
    let state = HttpState {
        readiness: readiness.clone(),
        registry: Arc::new(registry),
    };
    let (http_addr, http) = http::serve(
        config.http_addr,
        http::router(state).merge(target_http),
        shutdown.clone(),
    )
    .await?;

    let workers = workers
        .into_iter()
        .map(|(name, task)| (name, tokio::spawn(task)))
        .collect();
    // Draining starts with the signal: readiness goes false while the
    // servers finish the calls they have.
    let drain = readiness.clone();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        signal.wait().await;
        drain.drain();
    });
    Ok(RunningProcess {
        grpc_addr,
        http_addr,
        targets: targets.iter().map(|t| t.name()).collect(),
        grpc,
        http,
        workers,
    })
}

impl RunningProcess {
    /// Waits until the servers have stopped (after the shutdown signal) and
    /// the workers have returned, or their grace period ran out.
    pub async fn wait(self) -> Result<(), ProcessError> {
        let grpc = self
            .grpc
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let http = self
            .http
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        for (name, worker) in self.workers {
            if tokio::time::timeout(WORKER_GRACE, worker).await.is_err() {
                tracing::warn!(worker = name, "worker did not stop within its grace period");
            }
        }
        grpc?;
        http?;
        Ok(())
    }
}
