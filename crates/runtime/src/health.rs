//! Readiness: a process is ready when every component it registered says so
//! (the store is open, subscriptions caught up, ...) and it is not shutting
//! down. Liveness needs nothing: a process that answers is alive.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

#[derive(Clone, Debug)]
pub struct Readiness {
    inner: Arc<Mutex<State>>,
    ready: Arc<watch::Sender<bool>>,
}

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            inner: Arc::default(),
            ready: Arc::new(watch::channel(true).0),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    components: BTreeMap<String, bool>,
    draining: bool,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one component's readiness, registering it on first use.
    pub fn set(&self, component: &str, ready: bool) {
        self.lock().components.insert(component.to_owned(), ready);
        self.publish();
    }

    /// From now on the process reports not ready, so that traffic moves away
    /// before it stops.
    pub fn drain(&self) {
        self.lock().draining = true;
        self.publish();
    }

    /// Whether the process is ready, seen each time it changes (the gRPC
    /// health service follows it).
    pub fn changes(&self) -> watch::Receiver<bool> {
        self.ready.subscribe()
    }

    fn publish(&self) {
        let ready = self.is_ready();
        self.ready.send_if_modified(|current| {
            let changed = *current != ready;
            *current = ready;
            changed
        });
    }

    pub fn is_ready(&self) -> bool {
        let state = self.lock();
        !state.draining && state.components.values().all(|ready| *ready)
    }

    /// Each component and whether it is ready, plus whether the process drains.
    pub fn report(&self) -> (BTreeMap<String, bool>, bool) {
        let state = self.lock();
        (state.components.clone(), state.draining)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_every_component_is_and_not_while_draining() {
        let readiness = Readiness::new();
        assert!(readiness.is_ready(), "nothing to wait for");
        readiness.set("store", false);
        readiness.set("subscriptions", true);
        assert!(!readiness.is_ready());
        readiness.set("store", true);
        assert!(readiness.is_ready());
        readiness.drain();
        assert!(!readiness.is_ready());
    }

    #[test]
    fn a_watcher_sees_each_change() {
        let readiness = Readiness::new();
        let mut changes = readiness.changes();
        assert!(*changes.borrow_and_update());
        readiness.set("subscription:x", false);
        assert!(changes.has_changed().expect("the sender lives"));
        assert!(!*changes.borrow_and_update());
        readiness.set("subscription:y", false);
        assert!(
            !changes.has_changed().expect("the sender lives"),
            "still not ready: no change"
        );
    }
}
