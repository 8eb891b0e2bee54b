//! What the store is opened with, read back from the storage itself. The
//! kill -9 tests (`crash.rs`) prove that acknowledged appends survive the
//! process dying; they would pass with SQLite's `synchronous=OFF` or a
//! JetStream stream in memory too, since the page cache outlives the
//! process. These pin the settings that make an acknowledged append
//! survive the machine losing power as well (docs/ARCHITECTURE.md says
//! what each test does and does not prove).

#![allow(clippy::unwrap_used)]

use minsheng_eventstore::jetstream::{JetStreamConfig, JetStreamStore};
use minsheng_eventstore::sqlite::{Durability, SqliteStore};
use minsheng_eventstore::{EventStore, ExpectedVersion, NewEvent, StreamName};
use minsheng_testkit::{NatsCluster, NatsServer};

#[test]
fn sqlite_opens_with_the_write_ahead_log_synced_at_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("events.db")).unwrap();
    assert_eq!(
        store.durability(),
        &Durability {
            journal_mode: "wal".into(),
            // FULL: the WAL is fsynced at every commit, before the answer.
            synchronous: 2,
        }
    );
}

/// Appends one event so that the context's stream exists, then asks the
/// server, with a client of its own, how the stream is kept.
async fn stream_config(urls: String, replicas: usize) -> async_nats::jetstream::stream::Config {
    let store = JetStreamStore::connect(JetStreamConfig::new(urls.clone()).replicas(replicas))
        .await
        .unwrap();
    let event = NewEvent::new("durable.Appended", 1, &serde_json::json!({})).unwrap();
    store
        .append(
            &StreamName::parse("durable.thing.t1").unwrap(),
            ExpectedVersion::NoStream,
            vec![event],
            None,
        )
        .await
        .unwrap();
    let servers: Vec<async_nats::ServerAddr> =
        urls.split(',').map(|u| u.parse().unwrap()).collect();
    let client = async_nats::connect(servers).await.unwrap();
    let mut stream = async_nats::jetstream::new(client)
        .get_stream("MS_EV_DURABLE")
        .await
        .unwrap();
    stream.info().await.unwrap().config.clone()
}

fn assert_kept_on_disk_for_ever(config: &async_nats::jetstream::stream::Config, replicas: usize) {
    use async_nats::jetstream::stream::{RetentionPolicy, StorageType};
    assert_eq!(config.storage, StorageType::File, "on disk, not in memory");
    assert_eq!(config.num_replicas, replicas);
    assert_eq!(config.retention, RetentionPolicy::Limits);
    assert_eq!(
        (config.max_messages, config.max_bytes, config.max_age),
        (-1, -1, std::time::Duration::ZERO),
        "no limit that deletes events"
    );
    assert!(config.deny_delete && config.deny_purge, "{config:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jetstream_context_is_kept_on_disk_with_nothing_that_deletes_it() {
    let server = NatsServer::start().unwrap();
    let config = stream_config(server.url(), 1).await;
    assert_kept_on_disk_for_ever(&config, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_every_event_is_kept_by_three_nodes() {
    let cluster = NatsCluster::start().unwrap();
    let config = stream_config(cluster.urls(), 3).await;
    assert_kept_on_disk_for_ever(&config, 3);
}
