//! Targets: the named units a process runs (`vehicle-iot`, `fraud`, ...).
//! A target gets what it needs from the runtime in a [`TargetContext`] and
//! hands back, in a [`Registration`], its gRPC services with their access
//! rules, its HTTP routes and its background workers. The runtime serves
//! them all the same way.

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use minsheng_eventstore::EventStore;
use minsheng_leader::LeaderElection;

use crate::auth::AccessTable;
use crate::grpc::DescriptorSet;
use crate::health::Readiness;
use crate::metrics::MetricsRegistry;
use crate::person_keys::PersonKeys;
use crate::shutdown::Shutdown;
use crate::subscription::{Subscriber, SubscriptionMetrics};

/// What the runtime lends a target.
#[derive(Clone, Debug)]
pub struct TargetContext {
    /// The process's store; appends through it are timed on `/metrics`.
    pub store: Arc<dyn EventStore>,
    /// Triggered when the servers stop (after the drain delay); workers
    /// return when they see it.
    pub shutdown: Shutdown,
    pub readiness: Readiness,
    /// Where a target registers its own metrics.
    pub metrics: MetricsRegistry,
    /// The process's gRPC limits; [`grpc_servers!`](crate::grpc_servers)
    /// sets them on each service a target registers (tonic takes the
    /// message limit per service, not per server).
    pub limits: crate::grpc::GrpcLimits,
    /// The process's consumer metrics (lag, position, events), for
    /// targets that follow events outside [`Registration::subscription`].
    pub subscription_metrics: SubscriptionMetrics,
    /// How singleton workers (projectors, schedulers) find out whether
    /// this replica runs them; see [`minsheng_leader::while_leader`].
    pub leader: Arc<dyn LeaderElection>,
    /// Turns resident IDs into the keys events and read models use.
    pub person_keys: PersonKeys,
    /// Seals personal values for their person before they are recorded,
    /// and opens them for an answer (see [`crate::personal_data`]).
    pub vault: Arc<minsheng_vault::Vault>,
    /// Records who read which person's data (see [`crate::read_audit`]).
    pub read_audit: crate::read_audit::ReadAudit,
    /// The time handlers and timers read (never the wall clock directly).
    pub clock: Arc<dyn crate::clock::Clock>,
}

/// What a target hands the runtime.
#[derive(Default)]
pub struct Registration {
    pub(crate) routes: tonic::service::RoutesBuilder,
    pub(crate) descriptors: Vec<DescriptorSet>,
    pub(crate) access: AccessTable,
    pub(crate) service_names: Vec<&'static str>,
    pub(crate) http: axum::Router,
    pub(crate) workers: Vec<(String, BoxFuture<'static, ()>)>,
    pub(crate) subscribers: Vec<Box<dyn Subscriber>>,
    pub(crate) singletons: Vec<Box<dyn Subscriber>>,
    pub(crate) deadlines: Vec<Arc<dyn crate::deadlines::Deadlines>>,
    pub(crate) projections: Vec<Arc<dyn crate::projection::run::Runnable>>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("services", &self.service_names)
            .field("workers", &self.workers.len())
            .field("subscriptions", &self.subscribers.len())
            .field("singleton_subscriptions", &self.singletons.len())
            .field("deadlines", &self.deadlines.len())
            .field(
                "projections",
                &self
                    .projections
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// A gRPC service, its encoded descriptors (for reflection), and which
    /// roles may call which of its methods (`("Method", &["role"])`).
    pub fn grpc<S>(
        &mut self,
        service: S,
        descriptors: DescriptorSet,
        access: &[(&str, &[&'static str])],
    ) -> &mut Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        let access_table = std::mem::take(&mut self.access);
        self.access = access.iter().fold(access_table, |table, (method, roles)| {
            table.allow(&format!("/{}/{method}", S::NAME), roles)
        });
        self.service_names.push(S::NAME);
        // One copy of each set however many of its services register.
        if !self.descriptors.contains(&descriptors) {
            self.descriptors.push(descriptors);
        }
        self.routes.add_service(service);
        self
    }

    /// HTTP routes, merged beside `/healthz`, `/readyz` and `/metrics`.
    pub fn http(&mut self, router: axum::Router) -> &mut Self {
        self.http = std::mem::take(&mut self.http).merge(router);
        self
    }

    /// A subscriber the runtime feeds with its context's events, from its
    /// checkpoint on; the process is not ready until it has caught up.
    pub fn subscription(&mut self, subscriber: impl Subscriber) -> &mut Self {
        self.subscribers.push(Box::new(subscriber));
        self
    }

    /// A subscriber that only the leader of its name runs in the whole
    /// mesh (a reaction that writes: every replica campaigns, one follows,
    /// another takes over from the checkpoint if it goes); it does not hold
    /// readiness back. Its name names the leadership too, so it must also
    /// be a valid Lease name under Kubernetes (lowercase letters, digits,
    /// `-`). See [`crate::subscription::run_while_leading`].
    pub fn singleton_subscription(&mut self, subscriber: impl Subscriber) -> &mut Self {
        self.singletons.push(Box::new(subscriber));
        self
    }

    /// Durable deadlines (see [`crate::deadlines`]): the runtime keeps
    /// their table on every replica (the process is not ready until it has
    /// caught up) and fires them on the leader of their name.
    pub fn deadlines(&mut self, deadlines: impl crate::deadlines::Deadlines) -> &mut Self {
        self.deadlines.push(Arc::new(deadlines));
        self
    }

    /// A projection (see [`crate::projection`]): the runtime restores it,
    /// follows its contexts on every replica (the process is not ready
    /// until it has caught up), saves it on the leader of its leadership,
    /// and rebuilds it when another replica was asked to.
    pub fn projection<M: crate::projection::ReadModel>(
        &mut self,
        projection: Arc<crate::projection::Projection<M>>,
    ) -> &mut Self {
        self.projections.push(projection);
        self
    }

    /// A task that runs until it sees the shutdown signal (it gets it from
    /// the context) and then returns.
    pub fn worker(&mut self, name: &str, task: BoxFuture<'static, ()>) -> &mut Self {
        self.workers.push((name.to_owned(), task));
        self
    }
}

/// Registers a target's tonic-generated gRPC servers, each with the
/// process's message limit (`context.limits`) and who may call which
/// method, and their descriptor set once: tonic takes the limit per server
/// (an inherent method of each generated type, behind no trait), so this
/// is the one place a target sets it.
///
/// ```text
/// minsheng_runtime::grpc_servers!(
///     registration,
///     context,
///     minsheng_proto::FILE_DESCRIPTOR_SET,
///     [
///         (KpisServer::new(api), &[("GetKpis", &[OFFICER, VIEWER])]),
///         (ProjectionsServer::new(ops), &[("Rebuild", &[OPERATOR])]),
///     ]
/// );
/// ```
#[macro_export]
macro_rules! grpc_servers {
    ($registration:expr, $context:expr, $descriptors:expr, [
        $(($server:expr, $access:expr)),+ $(,)?
    ]) => {{
        let registration: &mut $crate::target::Registration = $registration;
        let limit = $context.limits.max_message_bytes;
        $(
            registration.grpc($server.max_decoding_message_size(limit), $descriptors, $access);
        )+
        registration
    }};
}

#[derive(Debug, thiserror::Error)]
#[error("target {target} did not start: {reason}")]
pub struct TargetError {
    pub target: &'static str,
    pub reason: String,
}

impl TargetError {
    /// `target` could not start because of `reason`; for `map_err`.
    pub fn of<E: std::fmt::Display>(target: &'static str) -> impl FnOnce(E) -> Self {
        move |reason| TargetError {
            target,
            reason: reason.to_string(),
        }
    }
}

#[async_trait]
pub trait Target: Send + Sync {
    fn name(&self) -> &'static str;

    /// Prepares the target (rebuilds read models, opens subscriptions) and
    /// registers what the runtime should serve.
    async fn start(
        &self,
        context: &TargetContext,
        registration: &mut Registration,
    ) -> Result<(), TargetError>;
}
