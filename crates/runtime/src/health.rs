//! Readiness: a process is ready when every component it registered says so
//! (the store is open, subscriptions caught up, ...) and it is not shutting
//! down. Liveness needs nothing: a process that answers is alive.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub struct Readiness {
    inner: Arc<Mutex<State>>,
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
    }

    /// From now on the process reports not ready, so that traffic moves away
    /// before it stops.
    pub fn drain(&self) {
        self.lock().draining = true;
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
}
