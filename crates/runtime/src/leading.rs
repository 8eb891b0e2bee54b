//! Which leaderships this process holds, on `/metrics` as
//! `minsheng_leading{leadership}`: 1 while it leads, 0 while it campaigns
//! or after it lost or released the leadership. Across the replicas of a
//! mesh, each leadership should read 1 on exactly one of them.

use std::sync::Arc;

use async_trait::async_trait;
use minsheng_leader::{LeaderElection, LeaderError, Leadership};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::metrics::MetricsRegistry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LeadershipLabel {
    leadership: String,
}

/// An election that reports what it wins and loses.
#[derive(Debug)]
pub struct MeteredElection {
    inner: Arc<dyn LeaderElection>,
    leading: Family<LeadershipLabel, Gauge>,
}

impl MeteredElection {
    pub fn wrap(
        inner: Arc<dyn LeaderElection>,
        metrics: &MetricsRegistry,
    ) -> Arc<dyn LeaderElection> {
        let leading = Family::<LeadershipLabel, Gauge>::default();
        metrics.register(
            "leading",
            "1 while this process leads the leadership, else 0",
            leading.clone(),
        );
        Arc::new(MeteredElection { inner, leading })
    }
}

#[async_trait]
impl LeaderElection for MeteredElection {
    async fn acquire(&self, name: &str) -> Result<Leadership, LeaderError> {
        // Leadership names are fixed by the code, so the label set is too.
        let gauge = self
            .leading
            .get_or_create(&LeadershipLabel {
                leadership: name.to_owned(),
            })
            .clone();
        gauge.set(0);
        let leadership = self.inner.acquire(name).await?;
        gauge.set(1);
        let mut leading = leadership.watch();
        tokio::spawn(async move {
            // Ends when leading turns false, or when its keeper is gone.
            let _ = leading.wait_for(|leading| !*leading).await;
            gauge.set(0);
        });
        Ok(leadership)
    }
}
