//! The process's Prometheus registry, shared: the runtime registers its own
//! metrics in it, targets register theirs (through [`MetricsRegistry`] in the
//! target context), and `/metrics` encodes it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use prometheus_client::registry::{Metric, Registry};

#[derive(Clone, Debug)]
pub struct MetricsRegistry {
    inner: Arc<Mutex<Registry>>,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsRegistry {
    /// Every metric name starts with `minsheng_`.
    pub fn new() -> Self {
        MetricsRegistry {
            inner: Arc::new(Mutex::new(Registry::with_prefix("minsheng"))),
        }
    }

    /// Registers `metric` (a counter, gauge, histogram or family of them).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.lock().register(name, help, metric);
    }

    /// Gives `f` the registry itself, for code that registers through
    /// `&mut Registry`.
    pub fn with<T>(&self, f: impl FnOnce(&mut Registry) -> T) -> T {
        f(&mut self.lock())
    }

    /// Everything registered, in Prometheus/OpenMetrics text.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.lock())?;
        Ok(text)
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
