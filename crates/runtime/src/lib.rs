//! # minsheng-runtime: what every service target shares
//!
//! A service crate supplies its domain and its handlers; the runtime does the
//! rest the same way for all of them:
//!
//! - [`auth`]: JWT bearer tokens (`sub`, `roles`, `exp`), minting and
//!   verifying, and the table that says which roles may call which method.
//!   Refusals say why without ever holding the token.
//! - [`masking`]: resident IDs, phones and bank accounts as read models and
//!   logs may show them; [`person_keys`]: a person as a keyed hash of their
//!   resident ID; [`secret`]: the key files keys live in;
//!   [`personal_data`]: the process's vault, which seals personal values
//!   for their person and forgets a person by destroying their key.
//! - [`health`]: readiness of each component of a process.
//! - [`http`]: `/healthz`, `/readyz` and `/metrics` (Prometheus text).
//! - [`shutdown`]: one signal, from SIGTERM/SIGINT or a test, that every
//!   server and worker of a process listens to.
//! - [`grpc`]: serving with health, reflection, the token and role check in
//!   front, RPC metrics, limits, and the one mapping of errors to gRPC statuses.
//!
//! - [`target`] and [`process`]: a target registers its services, routes and
//!   workers; a process starts its targets and serves them until shutdown;
//!   [`local`] starts one on loopback for tests and the load generator.
//! - [`data_dir`]: the embedded store's directory, private and held by
//!   one process at a time.
//! - [`store`]: the event store a `--store` URL names; [`metered_store`]
//!   times its appends.
//! - [`projection`]: read models folded from several contexts, saved as
//!   snapshots by the leader, rebuilt beside the live copy.
//! - [`subscription`]: feeding a subscriber a context's events, with
//!   checkpoints, restarts, readiness and lag metrics.
//! - [`metrics`]: the process's Prometheus registry, shared with targets.
//!
//! - [`telemetry`]: logs, OTLP trace export, and W3C trace context carried
//!   through calls and events.
//!
//! Leader election lives in its own crate, `minsheng-leader`; targets get
//! it in their [`target::TargetContext`].

pub mod auth;
pub mod backoff;
pub mod clock;
pub mod data_dir;
pub mod deadlines;
pub mod grpc;
pub mod health;
pub mod http;
pub mod leading;
pub mod local;
pub mod masking;
pub mod metered_store;
pub mod metrics;
pub mod person_keys;
pub mod personal_data;
pub mod process;
pub mod projection;
pub mod read_audit;
pub mod secret;
pub mod shutdown;
pub mod store;
pub mod subscription;
pub mod target;
pub mod telemetry;
pub mod writable;
