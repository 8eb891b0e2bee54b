//! Whether the store takes writes, told to readiness. An append the store
//! fails (UNAVAILABLE: a read-only or full disk, a broken connection, a
//! lost quorum) makes the process not ready (component `store`), sets
//! `minsheng_store_writable` to 0 and logs an ERROR once; a probe (a
//! checkpoint `minsheng-store-probe` saved, after 200 ms doubling to 30 s)
//! then finds out when it heals, as no traffic comes to a replica that is
//! not ready; the next successful write, the probe's or a call's, makes it
//! ready again.
//!
//! The same on both backends, deliberately: on NATS a replica whose writes
//! fail leaves the Service for the others, and in a full outage every
//! replica does, so that clients fail fast rather than wait on a process
//! that cannot record anything. Reads of read models would still have
//! worked; that is the price.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use minsheng_eventstore::{EventStore, Position, StoreError};
use prometheus_client::metrics::gauge::Gauge;

use crate::health::Readiness;
use crate::metrics::MetricsRegistry;
use crate::shutdown::Shutdown;

/// The readiness component.
pub const COMPONENT: &str = "store";
/// The checkpoint the probe saves.
pub const PROBE: &str = "minsheng-store-probe";

#[derive(Debug)]
pub struct Writable {
    store: Arc<dyn EventStore>,
    readiness: Readiness,
    gauge: Gauge,
    writable: AtomicBool,
    probing: AtomicBool,
    shutdown: Shutdown,
}

impl Writable {
    pub fn register(
        store: Arc<dyn EventStore>,
        readiness: Readiness,
        metrics: &MetricsRegistry,
        shutdown: Shutdown,
    ) -> Arc<Self> {
        let gauge = Gauge::default();
        gauge.set(1);
        metrics.register(
            "store_writable",
            "Whether the store took this process's last write (1) or failed it (0)",
            gauge.clone(),
        );
        readiness.set(COMPONENT, true);
        Arc::new(Writable {
            store,
            readiness,
            gauge,
            writable: AtomicBool::new(true),
            probing: AtomicBool::new(false),
            shutdown,
        })
    }

    /// What a write's outcome says about the store.
    pub fn saw<T>(self: &Arc<Self>, outcome: &Result<T, StoreError>) {
        match outcome {
            Ok(_) => self.healed(),
            Err(StoreError::Unavailable(reason)) => self.failed(reason),
            Err(_) => {}
        }
    }

    fn healed(&self) {
        if !self.writable.swap(true, Ordering::SeqCst) {
            self.gauge.set(1);
            self.readiness.set(COMPONENT, true);
            tracing::info!("the store takes writes again: ready");
        }
    }

    fn failed(self: &Arc<Self>, reason: &str) {
        if self.writable.swap(false, Ordering::SeqCst) {
            self.gauge.set(0);
            self.readiness.set(COMPONENT, false);
            tracing::error!(%reason, "the store refuses writes: not ready until a write succeeds");
        }
        if !self.probing.swap(true, Ordering::SeqCst) {
            tokio::spawn(self.clone().probe());
        }
    }

    /// Saves the probe checkpoint, pausing longer after each failure,
    /// until it is taken or the process stops.
    async fn probe(self: Arc<Self>) {
        let mut pause = crate::backoff::FIRST;
        while !self.writable.load(Ordering::SeqCst) {
            tokio::select! {
                () = self.shutdown.wait() => break,
                () = tokio::time::sleep(pause) => {}
            }
            let outcome = self.store.save_checkpoint(PROBE, Position::START).await;
            self.saw(&outcome);
            pause = crate::backoff::next(pause);
        }
        self.probing.store(false, Ordering::SeqCst);
    }
}
