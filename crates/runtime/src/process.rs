//! One process: open the store, start the targets, serve gRPC and HTTP,
//! and stop in order when the shutdown signal comes:
//!
//! 1. readiness goes false and health reports NOT_SERVING, while the
//!    servers still take calls for [`ProcessConfig::drain_delay`], so that
//!    load balancers and Kubernetes endpoints move traffic away first;
//! 2. the servers stop accepting; calls in flight get
//!    [`ProcessConfig::shutdown_grace`] to finish, then are cut off;
//! 3. workers and subscriptions save their checkpoints and return (each
//!    within [`WORKER_GRACE`]).
//!
//! An append acknowledged to a caller is durable before the acknowledgement
//! is sent (the store's contract), so a call cut off in step 2 loses
//! nothing that was acknowledged.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_eventstore::{EventStore, StoreError};
use minsheng_leader::LeaderElection;

use crate::auth::TokenKeys;
use crate::grpc::metrics::RpcMetrics;
use crate::grpc::{self, GrpcLimits, auth::Gatekeeper};
use crate::health::Readiness;
use crate::http::{self, HttpState};
use crate::metrics::MetricsRegistry;
use crate::person_keys::PersonKeys;
use crate::shutdown::Shutdown;
use crate::subscription::{self, SubscriptionEnv, SubscriptionMetrics};
use crate::target::{Registration, Target, TargetContext, TargetError};

/// How long workers get to stop after the servers have.
pub const WORKER_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct ProcessConfig {
    pub grpc_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub limits: GrpcLimits,
    pub keys: TokenKeys,
    /// Between the shutdown signal and closing the listeners: time for the
    /// NOT_SERVING health status to reach whoever routes traffic here.
    pub drain_delay: Duration,
    /// How long calls in flight may still run once the listeners close.
    pub shutdown_grace: Duration,
    /// Always-leader when embedded; a lease (Kubernetes or JetStream
    /// key-value) when replicas run.
    pub leader: Arc<dyn LeaderElection>,
    pub person_keys: PersonKeys,
    /// The deployment's master key over the data keys beside the events.
    pub vault: Arc<minsheng_vault::Vault>,
    /// The wall clock in a process; a test's own clock in tests.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// Where reads of personal data are recorded ([`crate::read_audit`]),
    /// and how long they are kept.
    pub audit: Arc<dyn minsheng_audit::AuditLog>,
    pub audit_retention: chrono::TimeDelta,
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
    stopped: Shutdown,
    shutdown_grace: Duration,
    readiness: Readiness,
    /// Who follows which context on every replica (subscriptions, deadline
    /// tables, projections), and where they stand: see
    /// [`RunningProcess::followers`].
    followers: Followers,
}

/// The consumers of a process that follow a context on every replica, and
/// their metrics, for a test to ask whether they have caught up.
#[derive(Clone, Debug)]
pub struct Followers {
    pub store: Arc<dyn EventStore>,
    pub metrics: SubscriptionMetrics,
    pub consumers: Vec<(String, crate::subscription::ConsumerLabel)>,
}

impl Followers {
    /// Whether every consumer of `context` has handled its last event.
    pub async fn caught_up(&self, context: &str) -> Result<bool, StoreError> {
        let head = self
            .store
            .head(&minsheng_eventstore::Context::parse(context)?)
            .await?;
        Ok(self
            .consumers
            .iter()
            .filter(|(followed, _)| followed == context)
            .all(|(_, label)| self.metrics.reading(label).position >= head.0))
    }
}

pub async fn start(
    config: ProcessConfig,
    store: Arc<dyn EventStore>,
    targets: &[Arc<dyn Target>],
    shutdown: Shutdown,
) -> Result<RunningProcess, ProcessError> {
    let readiness = Readiness::new();
    let metrics = MetricsRegistry::new();
    register_build_info(&metrics);
    // Servers and workers stop on `stop`, which follows `shutdown` after
    // the drain delay.
    let stop = Shutdown::new();
    let store = crate::metered_store::wrap(store, &metrics, readiness.clone(), stop.clone());
    let subscription_metrics = SubscriptionMetrics::register(&metrics);
    let leader = crate::leading::MeteredElection::wrap(config.leader.clone(), &metrics);
    let context = TargetContext {
        store: store.clone(),
        shutdown: stop.clone(),
        readiness: readiness.clone(),
        metrics: metrics.clone(),
        subscription_metrics: subscription_metrics.clone(),
        limits: config.limits.clone(),
        leader: leader.clone(),
        person_keys: config.person_keys.clone(),
        vault: config.vault.clone(),
        read_audit: crate::read_audit::ReadAudit::new(
            config.audit.clone(),
            config.clock.clone(),
            &metrics,
        ),
        clock: config.clock.clone(),
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
        mut subscribers,
        singletons,
        deadlines,
        projections,
    } = registration;
    // Whoever this process serves, a person forgotten anywhere leaves its
    // vault's cache.
    subscribers.push(Box::new(crate::personal_data::forgotten_follower(
        config.vault.clone(),
    )));
    // Each service's deadlines: a table kept like any read model, and a
    // timer on the leader.
    let mut timers = Vec::new();
    for deadlines in deadlines {
        let name = format!("deadlines {}", deadlines.name());
        let runner = crate::deadlines::DeadlineRunner::new(deadlines, &metrics);
        subscribers.push(Box::new(runner.subscriber()));
        timers.push((
            name,
            runner.run(leader.clone(), config.clock.clone(), stop.clone()),
        ));
    }

    // Each projection: followed on every replica, saved by its leader.
    let projection_env = crate::projection::run::RunEnv {
        store: store.clone(),
        shutdown: stop.clone(),
        readiness: readiness.clone(),
        metrics: subscription_metrics.clone(),
        leader: leader.clone(),
    };
    let mut projection_runs = Vec::new();
    let mut consumers = Vec::new();
    for projection in projections {
        readiness.set(&projection.readiness(), false);
        consumers.extend(projection.consumers());
        subscribers.push(
            projection
                .clone()
                .rebuild_requests(store.clone())
                .map_err(|e| TargetError {
                    target: projection.name(),
                    reason: e.to_string(),
                })?,
        );
        projection_runs.push((
            format!("projection {}", projection.name()),
            projection.run(projection_env.clone()),
        ));
    }

    consumers.extend(subscribers.iter().map(|subscriber| {
        (
            subscriber.context().as_str().to_owned(),
            crate::subscription::ConsumerLabel::new(subscriber.name()),
        )
    }));
    let followers = Followers {
        store: store.clone(),
        metrics: subscription_metrics.clone(),
        consumers,
    };
    let subscription_env = SubscriptionEnv {
        store,
        readiness: readiness.clone(),
        metrics: subscription_metrics,
        shutdown: stop.clone(),
    };
    let mut tasks: Vec<(String, tokio::task::JoinHandle<()>)> = subscribers
        .into_iter()
        .map(|subscriber| {
            let name = format!("subscription {}", subscriber.name());
            let env = subscription_env.clone();
            (name, tokio::spawn(subscription::run(subscriber, env)))
        })
        .collect();
    tasks.extend(singletons.into_iter().map(|subscriber| {
        let name = format!("singleton subscription {}", subscriber.name());
        let env = subscription_env.clone();
        let election = leader.clone();
        let task = subscription::run_while_leading(subscriber, env, election);
        (name, tokio::spawn(task))
    }));
    tasks.extend(
        workers
            .into_iter()
            .map(|(name, task)| (name, tokio::spawn(task))),
    );
    tasks.extend(
        projection_runs
            .into_iter()
            .map(|(name, task)| (name, tokio::spawn(task))),
    );
    tasks.extend(
        timers
            .into_iter()
            .map(|(name, task)| (name, tokio::spawn(task))),
    );
    tasks.push((
        "read audit retention".to_owned(),
        tokio::spawn(crate::read_audit::prune_every_hour(
            config.audit.clone(),
            config.audit_retention,
            config.clock.clone(),
            stop.clone(),
        )),
    ));

    routes.add_service(grpc::health(&service_names, &readiness, stop.clone()).await);
    let gate = Gatekeeper::new(config.keys.clone(), access, config.person_keys.clone());
    let rpc_metrics =
        metrics.with(|registry| RpcMetrics::register(registry, gate.methods().collect::<Vec<_>>()));
    let (grpc_addr, grpc) = grpc::serve(
        config.grpc_addr,
        routes.routes(),
        &descriptors,
        gate,
        rpc_metrics,
        &config.limits,
        stop.clone(),
    )
    .await?;
    let state = HttpState {
        readiness: readiness.clone(),
        metrics,
    };
    let (http_addr, http) = http::serve(
        config.http_addr,
        http::router(state).merge(target_http),
        stop.clone(),
    )
    .await?;

    let ready = readiness.clone();
    let drain_delay = config.drain_delay;
    let stopping = stop.clone();
    tokio::spawn(async move {
        shutdown.wait().await;
        readiness.drain();
        tracing::info!(?drain_delay, "draining: not ready, still serving");
        tokio::time::sleep(drain_delay).await;
        stopping.trigger();
    });
    Ok(RunningProcess {
        grpc_addr,
        http_addr,
        targets: targets.iter().map(|t| t.name()).collect(),
        grpc,
        http,
        workers: tasks,
        stopped: stop,
        shutdown_grace: config.shutdown_grace,
        readiness: ready,
        followers,
    })
}

fn register_build_info(metrics: &MetricsRegistry) {
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
    metrics.register("build_info", "The running build", build);
}

impl RunningProcess {
    /// The process's readiness, to wait on before sending it traffic.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Who follows which context here, and where they stand.
    pub fn followers(&self) -> &Followers {
        &self.followers
    }

    /// Waits until the servers have stopped (after the shutdown signal and
    /// the drain delay; calls in flight cut off after the grace period) and
    /// the workers have returned, or their grace period ran out.
    pub async fn wait(self) -> Result<(), ProcessError> {
        self.stopped.wait().await;
        let grpc = finish("gRPC server", self.grpc, self.shutdown_grace).await;
        let http = finish("HTTP server", self.http, self.shutdown_grace).await;
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

/// A server's result, or `Ok` after cutting off the calls still running at
/// the end of the grace period.
async fn finish<E>(
    what: &str,
    mut task: tokio::task::JoinHandle<Result<(), E>>,
    grace: Duration,
) -> Result<(), ProcessError>
where
    ProcessError: From<E>,
{
    match tokio::time::timeout(grace, &mut task).await {
        Ok(Ok(result)) => Ok(result?),
        Ok(Err(join)) => Err(std::io::Error::other(format!("{what}: {join}")).into()),
        Err(_) => {
            tracing::warn!(
                server = what,
                ?grace,
                "calls still running at the end of the grace period: cut off"
            );
            task.abort();
            Ok(())
        }
    }
}
