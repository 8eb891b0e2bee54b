//! Acknowledged means durable: kill -9 in the middle of a stream of appends,
//! then check that every acknowledged append is there, whole, exactly once,
//! and that no append is there in part.
//!
//! Each writer appends commits of 3 events to its own stream; event `i` of
//! commit `c` carries `{"w": writer, "c": c, "i": i}`, so what must be at each
//! version is known.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use minsheng_eventstore::jetstream::{JetStreamConfig, JetStreamStore};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{EventStore, ExpectedVersion, NewEvent, StoreError, StreamName};
use minsheng_testkit::{NatsCluster, NatsServer};

const WRITERS: u64 = 6;
const PER_COMMIT: u64 = 3;
const CHILD_DB: &str = "MINSHENG_CRASH_CHILD_DB";

fn writer_stream(w: u64) -> StreamName {
    StreamName::parse(&format!("crash.bike.w{w}")).unwrap()
}

fn commit(w: u64, c: u64) -> Vec<NewEvent> {
    (0..PER_COMMIT)
        .map(|i| {
            NewEvent::new(
                "crash.Appended",
                1,
                &serde_json::json!({ "w": w, "c": c, "i": i }),
            )
            .unwrap()
        })
        .collect()
}

/// Writer `w`'s highest acknowledged version.
type Acks = BTreeMap<u64, u64>;

/// Checks the store against the acknowledgements: every acknowledged commit
/// is there, in order, whole; nothing is there twice or in part.
async fn assert_acknowledged_appends_survived(store: &dyn EventStore, acks: &Acks) -> u64 {
    let mut total = 0;
    for w in 0..WRITERS {
        let events = match store.read_stream(&writer_stream(w), 1, usize::MAX).await {
            Ok(events) => events,
            Err(StoreError::StreamNotFound(_)) => Vec::new(),
            Err(e) => panic!("read: {e}"),
        };
        let acked = acks.get(&w).copied().unwrap_or(0);
        assert!(
            events.len() as u64 >= acked,
            "writer {w}: {acked} acknowledged, {} stored",
            events.len()
        );
        assert_eq!(
            events.len() as u64 % PER_COMMIT,
            0,
            "writer {w}: a partial commit is stored"
        );
        for (k, e) in events.iter().enumerate() {
            let k = k as u64;
            let v: serde_json::Value = e.payload_as().unwrap();
            assert_eq!(e.version, k + 1);
            assert_eq!(
                (v["w"].as_u64(), v["c"].as_u64(), v["i"].as_u64()),
                (Some(w), Some(k / PER_COMMIT), Some(k % PER_COMMIT)),
                "writer {w} version {}",
                k + 1
            );
        }
        total += acked;
    }
    total
}

// ---------------------------------------------------------------- SQLite

/// Run only as the child of `sqlite_acknowledged_appends_survive_kill_9`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child process of the SQLite crash test"]
async fn crash_child_appends_until_killed() {
    let path = std::env::var(CHILD_DB).expect("run by the crash test");
    let store = Arc::new(SqliteStore::open(path).unwrap());
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, stdout) = (Arc::clone(&store), Arc::clone(&stdout));
        tasks.push(tokio::spawn(async move {
            // Bounded, in case nobody kills us.
            for c in 0..20_000 {
                let outcome = store
                    .append(
                        &writer_stream(w),
                        ExpectedVersion::Exact(c * PER_COMMIT),
                        commit(w, c),
                        None,
                    )
                    .await
                    .unwrap();
                let mut out = stdout.lock().unwrap();
                writeln!(out, "ack {w} {}", outcome.last_version).unwrap();
                out.flush().unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_appends_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_appends_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acks = Acks::new();
    // Returns whether the line was an acknowledgement (libtest prints its own lines too).
    let record = |line: &str, acks: &mut Acks| {
        let Some(rest) = line.strip_prefix("ack ") else {
            return false;
        };
        let (w, v) = rest.split_once(' ').unwrap();
        let (w, v): (u64, u64) = (w.parse().unwrap(), v.parse().unwrap());
        let seen = acks.entry(w).or_default();
        *seen = (*seen).max(v);
        true
    };
    let started = Instant::now();
    let mut count = 0;
    while count < 600 && started.elapsed() < Duration::from_secs(60) {
        let line = lines.next().expect("child is writing").unwrap();
        if record(&line, &mut acks) {
            count += 1;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // Acknowledgements already in the pipe were given before the kill: they count.
    for line in lines {
        record(&line.unwrap(), &mut acks);
    }
    assert!(count >= 600, "the child acknowledged only {count} appends");

    let store = SqliteStore::open(&db).unwrap();
    let total = assert_acknowledged_appends_survived(&store, &acks).await;
    assert!(total >= 600 * PER_COMMIT);
    // The figure for notes (`cargo test --test crash -- --nocapture`).
    println!("sqlite kill -9: {total} acknowledged events of {count} commits, every one stored");
}

// ---------------------------------------------------------------- JetStream

/// Writers that keep appending through faults, re-sending a commit the
/// store could not confirm (same events, same ids: JetStream drops repeats).
fn spawn_writers(
    store: Arc<JetStreamStore>,
    commits: u64,
    acks: Arc<Mutex<Acks>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WRITERS)
        .map(|w| {
            let (store, acks) = (Arc::clone(&store), Arc::clone(&acks));
            tokio::spawn(async move {
                for c in 0..commits {
                    let events = commit(w, c);
                    let deadline = Instant::now() + Duration::from_secs(90);
                    loop {
                        match store
                            .append(
                                &writer_stream(w),
                                ExpectedVersion::Exact(c * PER_COMMIT),
                                events.clone(),
                                None,
                            )
                            .await
                        {
                            Ok(outcome) => {
                                acks.lock().unwrap().insert(w, outcome.last_version);
                                break;
                            }
                            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {
                                continue;
                            }
                            Err(e) => panic!("writer {w} commit {c}: {e}"),
                        }
                    }
                }
            })
        })
        .collect()
}

/// A copy of the acknowledgements so far (the lock is not held across awaits).
fn snapshot(acks: &Mutex<Acks>) -> Acks {
    acks.lock().unwrap().clone()
}

async fn wait_for_acks(acks: &Mutex<Acks>, at_least: u64) {
    let started = Instant::now();
    while acks.lock().unwrap().values().sum::<u64>() < at_least * PER_COMMIT {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "writers stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A store that gives up on an unreachable cluster within 15 s, not the
/// default 30 s, so a lost cluster fails the test sooner. Not shorter: one
/// JetStream request may wait 5 s, and creating a 3-replica bucket on a
/// just-formed cluster on a loaded 2-core machine has taken longer than
/// that (CI failed once with a 5 s budget, on the first bucket).
fn short_retries(urls: String) -> JetStreamConfig {
    let mut config = JetStreamConfig::new(urls);
    config.retry_for = Duration::from_secs(15);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_acknowledged_appends_survive_killing_the_server() {
    let mut server = NatsServer::start().unwrap();
    let store = Arc::new(
        JetStreamStore::connect(short_retries(server.url()))
            .await
            .unwrap(),
    );
    let acks = Arc::new(Mutex::new(Acks::new()));
    let writers = spawn_writers(Arc::clone(&store), 150, Arc::clone(&acks));

    wait_for_acks(&acks, 200).await;
    server.kill(); // SIGKILL, mid-stream
    let acked_before_kill = snapshot(&acks);
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.start_again().unwrap();
    server.wait_ready().unwrap();
    for w in writers {
        w.await.unwrap();
    }

    let reopened = JetStreamStore::connect(short_retries(server.url()))
        .await
        .unwrap();
    let before = assert_acknowledged_appends_survived(&reopened, &acked_before_kill).await;
    let total = assert_acknowledged_appends_survived(&reopened, &snapshot(&acks)).await;
    assert_eq!(
        total,
        WRITERS * 150 * PER_COMMIT,
        "every writer finished after the restart"
    );
    println!(
        "nats-server kill -9: {before} events acknowledged before the kill, {total} in all, every one stored once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_acknowledged_appends_survive_killing_the_stream_leader() {
    let mut cluster = NatsCluster::start().unwrap();
    let store = Arc::new(
        JetStreamStore::connect(short_retries(cluster.urls()).replicas(3))
            .await
            .unwrap(),
    );
    let acks = Arc::new(Mutex::new(Acks::new()));
    let writers = spawn_writers(Arc::clone(&store), 120, Arc::clone(&acks));

    wait_for_acks(&acks, 150).await;
    let leader = cluster
        .stream_leader("MS_EV_CRASH")
        .expect("the stream has a leader");
    cluster.node_mut(leader).kill(); // SIGKILL the leader, mid-stream
    let acked_before_kill = snapshot(&acks);
    for w in writers {
        w.await.unwrap(); // through the election, on the two nodes left
    }
    let total = assert_acknowledged_appends_survived(&*store, &snapshot(&acks)).await;
    assert_eq!(total, WRITERS * 120 * PER_COMMIT);

    cluster.node_mut(leader).start_again().unwrap();
    cluster.node_mut(leader).wait_ready().unwrap();
    let reopened = JetStreamStore::connect(short_retries(cluster.urls()).replicas(3))
        .await
        .unwrap();
    let before = assert_acknowledged_appends_survived(&reopened, &acked_before_kill).await;
    assert_acknowledged_appends_survived(&reopened, &snapshot(&acks)).await;
    println!(
        "stream leader (node {leader} of 3) kill -9: {before} events acknowledged before the kill, {total} in all, every one stored once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_a_subscription_goes_on_after_the_stream_leader_is_killed() {
    use futures::StreamExt;
    use minsheng_eventstore::{Context, Position};

    let mut cluster = NatsCluster::start().unwrap();
    let store = JetStreamStore::connect(short_retries(cluster.urls()).replicas(3))
        .await
        .unwrap();
    let context = Context::parse("crash").unwrap();
    let (first, second) = (commit(0, 0), commit(0, 1));
    store
        .append(&writer_stream(0), ExpectedVersion::NoStream, first, None)
        .await
        .unwrap();
    // Followed through a connection to the node leading the stream (the
    // others are learnt from it), which then dies: the client moves to
    // another server and the consumer is gone with its node.
    let leader = cluster
        .stream_leader("MS_EV_CRASH")
        .expect("the stream has a leader");
    let follower =
        JetStreamStore::connect(short_retries(cluster.nodes()[leader].url()).replicas(3))
            .await
            .unwrap();
    let mut subscription = follower.subscribe(&context, Position::START).await.unwrap();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(20), subscription.next())
            .await
            .expect("an event within 20 s")
            .expect("the subscription goes on")
            .unwrap()
    };
    for version in 1..=PER_COMMIT {
        assert_eq!(next().await.version, version);
    }

    cluster.node_mut(leader).kill(); // SIGKILL
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Err(error) = store
        .append(
            &writer_stream(0),
            ExpectedVersion::Exact(PER_COMMIT),
            second.clone(),
            None,
        )
        .await
    {
        assert!(Instant::now() < deadline, "never appended: {error}");
    }
    // The next commit, whole, and nothing delivered twice.
    for version in PER_COMMIT + 1..=2 * PER_COMMIT {
        assert_eq!(next().await.version, version);
    }
}
