//! Append and replay throughput per backend, each beside a raw baseline
//! measured in the same run on the same machine:
//!
//! - SQLite: raw rusqlite inserts of the same rows in transactions of as
//!   many commits as there are writers (what group commit can at best do),
//!   WAL with synchronous=FULL, like the store.
//! - JetStream: raw pipelined publishes of the same bodies to the same
//!   server, as many in flight as there are writers, no concurrency headers.
//!
//! `cargo bench -p minsheng-eventstore --bench append`. Figures go to
//! docs/performance.md. Throughput is in events per second.

#![allow(clippy::unwrap_used, missing_debug_implementations)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use minsheng_eventstore::jetstream::{JetStreamConfig, JetStreamStore};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{Context, EventStore, ExpectedVersion, NewEvent, Position, StreamName};
use minsheng_testkit::NatsServer;
use tokio::runtime::Runtime;

const WRITERS: [usize; 2] = [1, 64];
const EVENTS_PER_COMMIT: [usize; 2] = [1, 10];

/// A payload of the size of a typical domain event (~200 bytes of JSON).
fn payload(n: usize) -> serde_json::Value {
    serde_json::json!({
        "bike_id": format!("0193b8c0-7a1e-7c3d-9f00-{n:012}"),
        "tag_id": format!("E200{n:020}"),
        "district": "lucheng",
        "reader_id": "R-000381",
        "seen_at": "2015-06-01T08:30:00Z",
        "lat": 28.0105, "lon": 120.6721
    })
}

fn commit(events: usize, n: usize) -> Vec<NewEvent> {
    (0..events)
        .map(|i| NewEvent::new("bench.Happened", 1, &payload(n * events + i)).unwrap())
        .collect()
}

/// Runs `appends` appends split over `writers` tasks, each on its own stream.
async fn run_writers(
    store: Arc<dyn EventStore>,
    writers: usize,
    appends: u64,
    events: usize,
    round: u64,
) -> Duration {
    let per_writer = appends.div_ceil(writers as u64);
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let stream = StreamName::parse(&format!("bench.bike.r{round}w{w}")).unwrap();
                for n in 0..per_writer {
                    store
                        .append(
                            &stream,
                            ExpectedVersion::Exact(n * events as u64),
                            commit(events, n as usize),
                            None,
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// A group with the measurement settings every figure in docs/performance.md
/// was taken with: 10 samples of ~4 s after 1 s of warm-up.
fn benchmark_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group
}

/// Every (writers, events per append) pair, with its benchmark id.
fn cases() -> impl Iterator<Item = (usize, usize, String)> {
    WRITERS.into_iter().flat_map(|writers| {
        EVENTS_PER_COMMIT
            .into_iter()
            .map(move |events| (writers, events, format!("{writers}w_{events}e")))
    })
}

/// Times the store with `writers` writers appending `events` events at a time.
fn measure_store(
    group: &mut criterion::BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    id: &str,
    store: &Arc<dyn EventStore>,
    writers: usize,
    events: usize,
) {
    group.bench_function(BenchmarkId::new("store", id), |b| {
        b.iter_custom(|iters| {
            // Fresh streams for every call, so that each starts at version 0.
            static ROUNDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let round = ROUNDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_writers(
                Arc::clone(store),
                writers,
                iters,
                events,
                round,
            ))
        })
    });
}

fn sqlite(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let mut group = benchmark_group(c, "sqlite_append");
    for (writers, events, id) in cases() {
        group.throughput(Throughput::Elements(events as u64));
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn EventStore> =
            Arc::new(SqliteStore::open(dir.path().join("bench.db")).unwrap());
        measure_store(&mut group, &rt, &id, &store, writers, events);
        let raw_dir = tempfile::tempdir().unwrap();
        let mut raw = raw_sqlite(&raw_dir.path().join("raw.db"));
        let mut n = 0usize;
        group.bench_function(BenchmarkId::new("raw_rusqlite", &id), |b| {
            b.iter_custom(|iters| {
                let rows: Vec<NewEvent> = (0..iters as usize).flat_map(|i| commit(events, n + i)).collect();
                let mut rows = rows.into_iter();
                let start = Instant::now();
                let mut left = iters as usize;
                while left > 0 {
                    let batch = left.min(writers);
                    let tx = raw.transaction().unwrap();
                    {
                        let mut insert = tx
                            .prepare_cached("INSERT INTO events (stream, context, version, event_id, event_type, schema_version, occurred_at, recorded_at, payload) VALUES (?1, 'bench', ?2, ?3, 'bench.Happened', 1, 0, 0, ?4)")
                            .unwrap();
                        for _ in 0..batch {
                            for e in rows.by_ref().take(events) {
                                n += 1;
                                insert.execute(rusqlite::params![format!("bench.bike.{}", n % 64), n as i64, e.event_id.as_bytes().as_slice(), e.payload.get()]).unwrap();
                            }
                        }
                    }
                    tx.commit().unwrap();
                    left -= batch;
                }
                start.elapsed()
            })
        });
    }
    group.finish();
}

fn raw_sqlite(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, context TEXT NOT NULL,
           version INTEGER NOT NULL, event_id BLOB NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL,
           occurred_at INTEGER NOT NULL, recorded_at INTEGER NOT NULL, payload TEXT NOT NULL, metadata TEXT);
         CREATE UNIQUE INDEX events_stream_version ON events (stream, version);
         CREATE INDEX events_context_position ON events (context, position);",
    )
    .unwrap();
    conn
}

fn jetstream(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let server = NatsServer::start().unwrap();
    let store = rt
        .block_on(JetStreamStore::connect(JetStreamConfig::new(server.url())))
        .unwrap();
    let store: Arc<dyn EventStore> = Arc::new(store);
    let raw = rt.block_on(async {
        let client = async_nats::connect(server.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        js.get_or_create_stream(async_nats::jetstream::stream::Config {
            name: "RAW".into(),
            subjects: vec!["raw.>".into()],
            storage: async_nats::jetstream::stream::StorageType::File,
            ..Default::default()
        })
        .await
        .unwrap();
        js
    });
    let mut group = benchmark_group(c, "jetstream_append");
    for (writers, events, id) in cases() {
        group.throughput(Throughput::Elements(events as u64));
        measure_store(&mut group, &rt, &id, &store, writers, events);
        // The same bytes the store would publish: one body per commit;
        // bare, then with the optimistic-concurrency header the store needs.
        let body = bytes::Bytes::from(serde_json::to_vec(&commit(events, 0)).unwrap());
        for (name, expect_sequence) in [("raw_publish", false), ("raw_publish_expected_seq", true)]
        {
            group.bench_function(BenchmarkId::new(name, &id), |b| {
                b.iter_custom(|iters| {
                    rt.block_on(raw_publishes(&raw, &body, writers, iters, expect_sequence))
                })
            });
        }
    }
    group.finish();

    let mut group = benchmark_group(c, "replay_read_all");
    let dir = tempfile::tempdir().unwrap();
    let sqlite_store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("replay.db")).unwrap());
    for (name, store) in [
        ("sqlite", Arc::clone(&sqlite_store)),
        ("jetstream", Arc::clone(&store)),
    ] {
        let context = Context::parse("replay").unwrap();
        let total = rt.block_on(fill(&store, 100_000));
        group.throughput(Throughput::Elements(total));
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let mut after = Position::START;
                    let mut seen = 0;
                    loop {
                        let page = store.read_all(&context, after, 4096).await.unwrap();
                        let Some(last) = page.last() else { break };
                        after = last.position;
                        seen += page.len() as u64;
                    }
                    assert_eq!(seen, total);
                })
            })
        });
    }
    group.finish();
}

/// `iters` publishes over 64 subjects with `in_flight` unacknowledged at a
/// time. With at most 64 in flight each subject has at most one, so its last
/// sequence is known when `expect_sequence` asks for it.
async fn raw_publishes(
    js: &async_nats::jetstream::Context,
    body: &bytes::Bytes,
    in_flight: usize,
    iters: u64,
    expect_sequence: bool,
) -> Duration {
    use async_nats::jetstream::context::PublishAckFuture;
    use async_nats::jetstream::message::PublishMessage;
    // Fresh subjects for every call, so that they start with no message.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut last = [0u64; 64];
    let mut pending: std::collections::VecDeque<(usize, PublishAckFuture)> =
        std::collections::VecDeque::with_capacity(in_flight);
    let start = Instant::now();
    for n in 0..iters {
        if pending.len() == in_flight {
            let (subject, ack) = pending.pop_front().unwrap();
            last[subject] = ack.await.unwrap().sequence;
        }
        let subject = (n % 64) as usize;
        let mut message = PublishMessage::build().payload(body.clone());
        if expect_sequence {
            message = message.expected_last_subject_sequence(last[subject]);
        }
        pending.push_back((
            subject,
            js.send_publish(format!("raw.c{call}.{subject}"), message)
                .await
                .unwrap(),
        ));
    }
    for (_, ack) in pending {
        ack.await.unwrap();
    }
    start.elapsed()
}

/// Writes `events` events to the `replay` context in commits of 10 from 64 writers.
async fn fill(store: &Arc<dyn EventStore>, events: u64) -> u64 {
    let tasks: Vec<_> = (0..64)
        .map(|w| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let stream = StreamName::parse(&format!("replay.bike.w{w}")).unwrap();
                for n in 0..events / 640 {
                    store
                        .append(&stream, ExpectedVersion::Any, commit(10, n as usize), None)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    (events / 640) * 640
}

criterion_group!(benches, sqlite, jetstream);
criterion_main!(benches);
