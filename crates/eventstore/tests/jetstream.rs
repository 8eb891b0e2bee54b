//! The conformance suite on JetStream: one real nats-server per test, then a
//! 3-node cluster per test (streams and buckets at 3 replicas). A restart
//! SIGKILLs every node and starts it again on the same store.

#![allow(clippy::unwrap_used)]

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

    async fn backend() -> JetStream<NatsServer> {
        JetStream {
            servers: NatsServer::start().expect("nats-server starts"),
            store: None,
        }
    }

    conformance_suite!(backend());
}

mod three_node_cluster {
    use super::*;

    async fn backend() -> JetStream<NatsCluster> {
        JetStream {
            servers: NatsCluster::start().expect("cluster starts"),
            store: None,
        }
    }

    conformance_suite!(backend());
}

/// The trace of the command that made an append rides on its NATS message,
/// so a tool reading the raw stream can follow it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_carries_its_traceparent_as_a_nats_header() {
    use minsheng_eventstore::{ExpectedVersion, Metadata, NewEvent, StreamName};
    let server = NatsServer::start().expect("nats-server starts");
    let store = JetStreamStore::connect(JetStreamConfig::new(server.url()))
        .await
        .unwrap();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let event = NewEvent::new("test.Happened", 1, &"x")
        .unwrap()
        .with_metadata(Metadata {
            traceparent: Some(traceparent.into()),
            ..Metadata::default()
        });
    let stream = StreamName::parse("test.bike.traced").unwrap();
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event], None)
        .await
        .unwrap();

    let client = async_nats::connect(server.url()).await.unwrap();
    let message = async_nats::jetstream::new(client)
        .get_stream("MS_EV_TEST")
        .await
        .unwrap()
        .get_last_raw_message_by_subject("ms.ev.test.bike.traced")
        .await
        .unwrap();
    let header = message
        .headers
        .get("traceparent")
        .map(|v| v.as_str().to_owned());
    assert_eq!(header.as_deref(), Some(traceparent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_url_with_a_user_and_password_logs_in_and_a_wrong_one_is_refused() {
    let server = NatsServer::start_with_user("minsheng", "s3cret-pass").unwrap();
    let with = |credentials: &str| {
        server
            .url()
            .replace("nats://", &format!("nats://{credentials}@"))
    };
    let store = JetStreamStore::connect(JetStreamConfig::new(with("minsheng:s3cret-pass")))
        .await
        .unwrap();
    let stream = minsheng_eventstore::StreamName::parse("testing.login.first").unwrap();
    let event = minsheng_eventstore::NewEvent::new("testing.LoggedIn", 1, &"ok").unwrap();
    store
        .append(
            &stream,
            minsheng_eventstore::ExpectedVersion::NoStream,
            vec![event],
            None,
        )
        .await
        .unwrap();
    for refused in [with("minsheng:wrong"), server.url()] {
        let error = JetStreamStore::connect(JetStreamConfig::new(&refused))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("authorization"), "{error}");
    }
}
