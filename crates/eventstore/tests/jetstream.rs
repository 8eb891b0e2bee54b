//! The conformance suite on JetStream: one real nats-server per test, then a
//! 3-node cluster per test (streams and buckets at 3 replicas). A restart
//! SIGKILLs every node and starts it again on the same store.

#[macro_use]
mod conformance;

use std::sync::Arc;

use async_trait::async_trait;
use conformance::Backend;
use minsheng_eventstore::EventStore;
use minsheng_eventstore::jetstream::{JetStreamConfig, JetStreamStore};
use minsheng_testkit::{NatsCluster, NatsServer};

/// Either a single node or a cluster, restartable as a whole.
trait Servers: Send {
    fn urls(&self) -> String;
    fn replicas(&self) -> usize;
    fn restart_all(&mut self);
}

impl Servers for NatsServer {
    fn urls(&self) -> String {
        self.url()
    }
    fn replicas(&self) -> usize {
        1
    }
    fn restart_all(&mut self) {
        self.restart().expect("nats-server restarts");
    }
}

impl Servers for NatsCluster {
    fn urls(&self) -> String {
        NatsCluster::urls(self)
    }
    fn replicas(&self) -> usize {
        3
    }
    fn restart_all(&mut self) {
        for i in 0..3 {
            self.node_mut(i).kill();
        }
        for i in 0..3 {
            self.node_mut(i).start_again().expect("node starts");
        }
        for i in 0..3 {
            self.node_mut(i).wait_ready().expect("node ready");
        }
    }
}

struct JetStream<S> {
    servers: S,
    store: Option<Arc<JetStreamStore>>,
}

#[async_trait]
impl<S: Servers> Backend for JetStream<S> {
    async fn store(&mut self) -> Arc<dyn EventStore> {
        if self.store.is_none() {
            let config =
                JetStreamConfig::new(self.servers.urls()).replicas(self.servers.replicas());
            self.store = Some(Arc::new(
                JetStreamStore::connect(config).await.expect("connects"),
            ));
        }
        self.store.clone().expect("connected")
    }

    async fn restart(&mut self) -> Arc<dyn EventStore> {
        self.store = None;
        self.servers.restart_all();
        self.store().await
    }
}

mod single_node {
    use super::*;

    async fn backend() -> Option<JetStream<NatsServer>> {
        Some(JetStream {
            servers: NatsServer::start().expect("nats-server starts"),
            store: None,
        })
    }

    conformance_suite!(backend());
}

mod three_node_cluster {
    use super::*;

    async fn backend() -> Option<JetStream<NatsCluster>> {
        Some(JetStream {
            servers: NatsCluster::start().expect("cluster starts"),
            store: None,
        })
    }

    conformance_suite!(backend());
}
