//! The cases. Each takes a fresh backend.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use minsheng_eventstore::{ExpectedVersion, Metadata, NewEvent, Position, RequestId, StoreError};
use tokio::sync::Barrier;

use super::*;

pub async fn append_then_read_round_trips(backend: &mut impl Backend) {
    let store = backend.store().await;
    let s = stream("test.bike.b1");
    let metadata = Metadata {
        request_id: Some("req-1".into()),
        correlation_id: Some("corr-1".into()),
        causation_id: Some("cause-1".into()),
        actor: Some("officer-7".into()),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
    };
    let occurred = Utc.with_ymd_and_hms(2015, 3, 11, 8, 30, 0).unwrap();
    let written: Vec<NewEvent> = (0..3)
        .map(|n| {
            event("rt", n)
                .with_metadata(metadata.clone())
                .occurred_at(occurred)
        })
        .collect();
    let outcome = store
        .append(&s, ExpectedVersion::NoStream, written.clone(), None)
        .await
        .unwrap();
    assert_eq!((outcome.first_version, outcome.last_version), (1, 3));

    let read = store.read_stream(&s, 1, 100).await.unwrap();
    assert_eq!(read.len(), 3);
    for (i, (r, w)) in read.iter().zip(&written).enumerate() {
        assert_eq!(r.event_id, w.event_id);
        assert_eq!(r.stream, s);
        assert_eq!(r.version, i as u64 + 1);
        assert_eq!(r.event_type, "test.Happened");
        assert_eq!(r.schema_version, 1);
        assert_eq!(r.occurred_at, occurred);
        assert_eq!(r.payload.get(), w.payload.get());
        assert_eq!(r.metadata, metadata);
        assert!(r.recorded_at >= occurred);
    }
    assert!(read.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(read[2].position, outcome.position);

    let tail = store.read_stream(&s, 2, 1).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].version, 2);
    assert!(store.read_stream(&s, 4, 10).await.unwrap().is_empty());
    assert!(
        store
            .read_stream(&s, u64::MAX, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .read_all(&context("test"), Position(u64::MAX), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.read_stream(&stream("test.bike.none"), 1, 10).await,
        Err(StoreError::StreamNotFound(_))
    ));
    let all = store
        .read_all(&context("test"), Position::START, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].event_id, written[0].event_id);
}

pub async fn expected_version_rules(backend: &mut impl Backend) {
    let store = backend.store().await;
    let s = stream("test.bike.ev");
    let conflict = |r: Result<_, StoreError>, want_actual: Option<u64>| match r {
        Err(StoreError::WrongExpectedVersion { actual, .. }) => assert_eq!(actual, want_actual),
        other => panic!("expected a version conflict, got {other:?}"),
    };

    conflict(
        store
            .append(&s, ExpectedVersion::Exact(3), vec![event("ev", 0)], None)
            .await,
        None,
    );
    let first = store
        .append(&s, ExpectedVersion::NoStream, vec![event("ev", 1)], None)
        .await
        .unwrap();
    assert_eq!(first.last_version, 1);
    conflict(
        store
            .append(&s, ExpectedVersion::NoStream, vec![event("ev", 2)], None)
            .await,
        Some(1),
    );
    conflict(
        store
            .append(&s, ExpectedVersion::Exact(0), vec![event("ev", 2)], None)
            .await,
        Some(1),
    );
    let second = store
        .append(&s, ExpectedVersion::Exact(1), vec![event("ev", 2)], None)
        .await
        .unwrap();
    assert_eq!(second.last_version, 2);
    conflict(
        store
            .append(&s, ExpectedVersion::Exact(1), vec![event("ev", 3)], None)
            .await,
        Some(2),
    );
    conflict(
        store
            .append(&s, ExpectedVersion::Exact(5), vec![event("ev", 3)], None)
            .await,
        Some(2),
    );
    let any = store
        .append(&s, ExpectedVersion::Any, events("ev", 3..5), None)
        .await
        .unwrap();
    assert_eq!((any.first_version, any.last_version), (3, 4));

    let fresh = stream("test.bike.fresh");
    let zero = store
        .append(&fresh, ExpectedVersion::Exact(0), vec![event("f", 1)], None)
        .await
        .unwrap();
    assert_eq!(zero.last_version, 1);
    let any_new = store
        .append(
            &stream("test.bike.any"),
            ExpectedVersion::Any,
            vec![event("a", 1)],
            None,
        )
        .await
        .unwrap();
    assert_eq!(any_new.last_version, 1);

    let tags: Vec<u64> = read_everything(&*store, &s)
        .await
        .iter()
        .map(|e| tag_of(e).1)
        .collect();
    assert_eq!(tags, vec![1, 2, 3, 4], "refused appends wrote nothing");
}

/// Every writer tries the same version at once: exactly one wins each round.
pub async fn racing_writers_win_one_version_each(backend: &mut impl Backend) {
    const WRITERS: usize = 8;
    const ROUNDS: u64 = 10;
    let store = backend.store().await;
    let s = stream("test.bike.race");
    let barrier = Arc::new(Barrier::new(WRITERS));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, s, barrier) = (Arc::clone(&store), s.clone(), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            let mut wins = Vec::new();
            for round in 0..ROUNDS {
                barrier.wait().await;
                let expected = if round == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(round)
                };
                match store
                    .append(&s, expected, vec![event(&format!("w{w}"), round)], None)
                    .await
                {
                    Ok(o) => wins.push(o.last_version),
                    Err(StoreError::WrongExpectedVersion { .. }) => {}
                    Err(e) => panic!("writer {w}: {e}"),
                }
                barrier.wait().await;
            }
            wins
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.extend(t.await.unwrap());
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "one winner per version"
    );
    let stored = read_everything(&*store, &s).await;
    let rounds: Vec<u64> = stored.iter().map(|e| tag_of(e).1).collect();
    assert_eq!(rounds, (0..ROUNDS).collect::<Vec<_>>());
}

/// Writers that reload and retry on conflict: all their events land, once each,
/// at contiguous versions.
pub async fn concurrent_writers_lose_nothing_and_duplicate_nothing(backend: &mut impl Backend) {
    const WRITERS: u64 = 16;
    const EACH: u64 = 10;
    let store = backend.store().await;
    let s = stream("test.bike.busy");
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, s) = (Arc::clone(&store), s.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..EACH {
                loop {
                    let version = read_everything(&*store, &s)
                        .await
                        .last()
                        .map_or(0, |e| e.version);
                    match store
                        .append(
                            &s,
                            ExpectedVersion::Exact(version),
                            vec![event(&format!("w{w}"), n)],
                            None,
                        )
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::WrongExpectedVersion { .. }) => continue,
                        Err(e) => panic!("writer {w}: {e}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let stored = read_everything(&*store, &s).await;
    assert_eq!(
        stored.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=WRITERS * EACH).collect::<Vec<_>>()
    );
    let distinct: HashSet<(String, u64)> = stored.iter().map(tag_of).collect();
    assert_eq!(
        distinct.len() as u64,
        WRITERS * EACH,
        "none lost, none duplicated"
    );
}

pub async fn a_repeated_request_id_writes_nothing_and_returns_the_first_outcome(
    backend: &mut impl Backend,
) {
    let store = backend.store().await;
    let s = stream("test.bike.idem");
    let id = RequestId::parse("client-42:register").unwrap();
    assert_eq!(store.committed_request(&id).await.unwrap(), None);
    let first = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            events("idem", 0..2),
            Some(&id),
        )
        .await
        .unwrap();

    // Same id: a stale expectation, other events, even another stream: still the first outcome.
    let again = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            events("again", 0..3),
            Some(&id),
        )
        .await
        .unwrap();
    assert_eq!(again, first);
    let elsewhere = store
        .append(
            &stream("test.bike.other"),
            ExpectedVersion::Any,
            vec![event("x", 0)],
            Some(&id),
        )
        .await
        .unwrap();
    assert_eq!(elsewhere, first);
    assert_eq!(store.committed_request(&id).await.unwrap(), Some(first));
    assert_eq!(read_everything(&*store, &s).await.len(), 2);
    assert!(
        read_everything(&*store, &stream("test.bike.other"))
            .await
            .is_empty()
    );

    // A refused append does not use up its request id.
    let refused = RequestId::parse("client-42:refused").unwrap();
    assert!(
        store
            .append(
                &s,
                ExpectedVersion::NoStream,
                vec![event("r", 0)],
                Some(&refused)
            )
            .await
            .is_err()
    );
    assert_eq!(store.committed_request(&refused).await.unwrap(), None);
    let retried = store
        .append(
            &s,
            ExpectedVersion::Exact(2),
            vec![event("r", 0)],
            Some(&refused),
        )
        .await
        .unwrap();
    assert_eq!(retried.last_version, 3);

    let store = backend.restart().await;
    let after = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            events("late", 0..2),
            Some(&id),
        )
        .await
        .unwrap();
    assert_eq!(after, first, "idempotency outlives a restart");
    assert_eq!(store.committed_request(&id).await.unwrap(), Some(first));
    assert_eq!(read_everything(&*store, &s).await.len(), 3);
}

pub async fn a_multi_event_append_is_seen_whole_or_not_at_all(backend: &mut impl Backend) {
    const PER_APPEND: u64 = 10;
    const APPENDS: u64 = 20;
    let store = backend.store().await;
    let s = stream("test.bike.multi");
    let writer = {
        let (store, s) = (Arc::clone(&store), s.clone());
        tokio::spawn(async move {
            for a in 0..APPENDS {
                store
                    .append(
                        &s,
                        ExpectedVersion::Exact(a * PER_APPEND),
                        events("m", a * PER_APPEND..(a + 1) * PER_APPEND),
                        None,
                    )
                    .await
                    .unwrap();
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let seen = read_everything(&*store, &s).await.len() as u64;
        assert_eq!(seen % PER_APPEND, 0, "a reader saw part of an append");
        let log = store
            .read_all(&context("test"), Position::START, usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            log.len() as u64 % PER_APPEND,
            0,
            "the log showed part of an append"
        );
        reads += 1;
    }
    writer.await.unwrap();
    assert_eq!(
        read_everything(&*store, &s).await.len() as u64,
        APPENDS * PER_APPEND
    );

    // One bad event in an append: none of it is written.
    let mut batch = events("bad", 0..3);
    batch[1] = NewEvent::new("test.Happened", 1, &"x".repeat(300 * 1024)).unwrap();
    assert!(matches!(
        store
            .append(&stream("test.bike.half"), ExpectedVersion::Any, batch, None)
            .await,
        Err(StoreError::PayloadTooLarge { .. })
    ));
    assert!(
        read_everything(&*store, &stream("test.bike.half"))
            .await
            .is_empty()
    );
}

pub async fn a_subscription_delivers_history_then_live_events_in_order(backend: &mut impl Backend) {
    let store = backend.store().await;
    let (a, b) = (stream("test.bike.a"), stream("other.bike.b"));
    for n in 0..5 {
        store
            .append(&a, ExpectedVersion::Any, vec![event("a", n)], None)
            .await
            .unwrap();
        store
            .append(&b, ExpectedVersion::Any, vec![event("b", n)], None)
            .await
            .unwrap();
    }
    let mut sub = store
        .subscribe(&context("test"), Position::START)
        .await
        .unwrap();
    let mut last = Position::START;
    for n in 0..5 {
        let e = next_event(&mut sub).await;
        assert_eq!(
            tag_of(&e),
            ("a".to_owned(), n),
            "history, in order, only this context"
        );
        assert!(e.position > last);
        last = e.position;
    }
    assert_quiet(&mut sub).await;
    let live = {
        let store = Arc::clone(&store);
        let (a, b) = (a.clone(), b.clone());
        tokio::spawn(async move {
            for n in 5..10 {
                store
                    .append(&b, ExpectedVersion::Any, vec![event("b", n)], None)
                    .await
                    .unwrap();
                store
                    .append(
                        &a,
                        ExpectedVersion::Any,
                        events("a", n * 10..n * 10 + 2),
                        None,
                    )
                    .await
                    .unwrap();
            }
        })
    };
    for n in 5..10 {
        for k in 0..2 {
            let e = next_event(&mut sub).await;
            assert_eq!(tag_of(&e), ("a".to_owned(), n * 10 + k), "live, in order");
            assert!(e.position > last);
            last = e.position;
        }
    }
    live.await.unwrap();
    assert_quiet(&mut sub).await;
}

pub async fn a_subscription_resumes_from_a_checkpoint(backend: &mut impl Backend) {
    let store = backend.store().await;
    let s = stream("test.bike.cp");
    store
        .append(&s, ExpectedVersion::NoStream, events("cp", 0..4), None)
        .await
        .unwrap();
    store
        .append(&s, ExpectedVersion::Exact(4), events("cp", 4..6), None)
        .await
        .unwrap();
    assert_eq!(store.load_checkpoint("projector-1").await.unwrap(), None);

    let mut sub = store
        .subscribe(&context("test"), Position::START)
        .await
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(next_event(&mut sub).await);
    }
    drop(sub);
    // Third event handled: the checkpoint may fall inside a multi-event append.
    store
        .save_checkpoint("projector-1", seen[2].position)
        .await
        .unwrap();
    let store = backend.restart().await;
    let resume = store
        .load_checkpoint("projector-1")
        .await
        .unwrap()
        .expect("checkpoint kept");
    assert_eq!(resume, seen[2].position);

    let mut sub = store.subscribe(&context("test"), resume).await.unwrap();
    for n in 3..6 {
        assert_eq!(
            tag_of(&next_event(&mut sub).await).1,
            n,
            "resumes right after the checkpoint"
        );
    }
    store
        .append(&s, ExpectedVersion::Exact(6), vec![event("cp", 6)], None)
        .await
        .unwrap();
    assert_eq!(tag_of(&next_event(&mut sub).await).1, 6);
    assert_quiet(&mut sub).await;

    store
        .save_checkpoint("projector-1", Position(u64::MAX / 2))
        .await
        .unwrap();
    assert_eq!(
        store.load_checkpoint("projector-1").await.unwrap(),
        Some(Position(u64::MAX / 2))
    );
}

pub async fn a_subscription_keeps_up_with_concurrent_writers(backend: &mut impl Backend) {
    const WRITERS: u64 = 8;
    const EACH: u64 = 25;
    let store = backend.store().await;
    store
        .append(
            &stream("test.bike.pre"),
            ExpectedVersion::Any,
            vec![event("pre", 0)],
            None,
        )
        .await
        .unwrap();
    let mut sub = store
        .subscribe(&context("test"), Position::START)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let s = stream(&format!("test.bike.w{w}"));
            for n in 0..EACH {
                store
                    .append(
                        &s,
                        ExpectedVersion::Any,
                        vec![event(&format!("w{w}"), n)],
                        None,
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    let mut seen = BTreeSet::new();
    let mut last = Position::START;
    for _ in 0..=WRITERS * EACH {
        let e = next_event(&mut sub).await;
        assert!(e.position > last, "in order, no duplicate");
        last = e.position;
        assert!(seen.insert(tag_of(&e)));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_quiet(&mut sub).await;
    let all = store
        .read_all(&context("test"), Position::START, usize::MAX)
        .await
        .unwrap();
    let logged: BTreeSet<_> = all.iter().map(tag_of).collect();
    assert_eq!(logged, seen, "the subscription saw exactly the log");
}

pub async fn bad_input_is_refused_and_nothing_is_written(backend: &mut impl Backend) {
    let store = backend.store().await;
    let s = stream("test.bike.bad");
    fn field_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> &'static str {
        match r {
            Err(StoreError::InvalidInput { field, .. }) => field,
            Err(StoreError::PayloadTooLarge { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let huge = NewEvent::new("test.Happened", 1, &"x".repeat(300 * 1024)).unwrap();
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, vec![huge], None)
                .await
        ),
        "event payload"
    );
    let big = |n| {
        NewEvent::new("test.Happened", 1, &"y".repeat(200 * 1024))
            .unwrap()
            .with_metadata(Metadata {
                actor: Some(format!("{n}")),
                ..Metadata::default()
            })
    };
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, (0..4).map(big).collect(), None)
                .await
        ),
        "append"
    );
    assert_eq!(
        field_of(store.append(&s, ExpectedVersion::Any, vec![], None).await),
        "events"
    );
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, events("e", 0..1001), None)
                .await
        ),
        "events"
    );
    let mut bad_type = event("t", 0);
    bad_type.event_type = "test.Happened>".into();
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, vec![bad_type], None)
                .await
        ),
        "event_type"
    );
    let mut bad_schema = event("t", 0);
    bad_schema.schema_version = 0;
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, vec![bad_schema], None)
                .await
        ),
        "schema_version"
    );
    let traced = event("t", 0).with_metadata(Metadata {
        traceparent: Some("00-abc\r\nNats-Msg-Id: forged".into()),
        ..Metadata::default()
    });
    assert_eq!(
        field_of(
            store
                .append(&s, ExpectedVersion::Any, vec![traced], None)
                .await
        ),
        "metadata.traceparent"
    );
    assert_eq!(
        field_of(store.save_checkpoint("a.b", Position(1)).await),
        "checkpoint name"
    );
    assert_eq!(field_of(store.load_checkpoint("").await), "checkpoint name");
    assert!(matches!(
        StreamName::parse("test.bike.a.b"),
        Err(StoreError::InvalidStreamName { .. })
    ));
    assert!(matches!(
        minsheng_eventstore::Context::parse("Test"),
        Err(StoreError::InvalidStreamName { .. })
    ));
    assert!(matches!(
        RequestId::parse("has space"),
        Err(StoreError::InvalidInput {
            field: "request_id",
            ..
        })
    ));

    assert!(read_everything(&*store, &s).await.is_empty());
    assert!(
        store
            .read_all(&context("test"), Position::START, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn data_survives_a_restart(backend: &mut impl Backend) {
    let store = backend.store().await;
    let s = stream("test.bike.durable");
    store
        .append(&s, ExpectedVersion::NoStream, events("d", 0..3), None)
        .await
        .unwrap();
    store
        .append(&s, ExpectedVersion::Exact(3), events("d", 3..5), None)
        .await
        .unwrap();
    let before = read_everything(&*store, &s).await;
    store
        .save_checkpoint("survivor", before[4].position)
        .await
        .unwrap();

    let store = backend.restart().await;
    let after = read_everything(&*store, &s).await;
    assert_eq!(after.len(), 5);
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(
            (a.event_id, a.version, a.position, a.payload.get()),
            (b.event_id, b.version, b.position, b.payload.get())
        );
        assert_eq!(a.recorded_at, b.recorded_at);
    }
    assert_eq!(
        store.load_checkpoint("survivor").await.unwrap(),
        Some(before[4].position)
    );
    let more = store
        .append(&s, ExpectedVersion::Exact(5), vec![event("d", 5)], None)
        .await
        .unwrap();
    assert_eq!(more.last_version, 6);
    assert!(
        more.position > before[4].position,
        "positions keep growing after a restart"
    );
    assert!(matches!(
        store
            .append(&s, ExpectedVersion::Exact(5), vec![event("d", 6)], None)
            .await,
        Err(StoreError::WrongExpectedVersion {
            actual: Some(6),
            ..
        })
    ));
}

pub async fn the_head_is_the_last_event_of_the_context(backend: &mut impl Backend) {
    let store = backend.store().await;
    let test = context("test");
    assert_eq!(store.head(&test).await.unwrap(), Position::START);
    store
        .append(
            &stream("test.bike.h1"),
            ExpectedVersion::Any,
            events("h", 0..3),
            None,
        )
        .await
        .unwrap();
    let outcome = store
        .append(
            &stream("test.bike.h2"),
            ExpectedVersion::Any,
            events("h", 3..5),
            None,
        )
        .await
        .unwrap();
    store
        .append(
            &stream("other.bike.h3"),
            ExpectedVersion::Any,
            events("o", 0..1),
            None,
        )
        .await
        .unwrap();
    let head = store.head(&test).await.unwrap();
    assert_eq!(head, outcome.position);
    let everything = store.read_all(&test, Position::START, 100).await.unwrap();
    assert_eq!(everything.last().map(|e| e.position), Some(head));
}

pub async fn a_snapshot_is_replaced_whole_and_survives_a_restart(backend: &mut impl Backend) {
    let store = backend.store().await;
    match store.load_snapshot("kpis").await {
        Ok(None) => {}
        Err(StoreError::Unavailable(reason)) if reason.contains("keeps no snapshots") => {
            eprintln!("note: this backend keeps no snapshots; the case is skipped");
            return;
        }
        other => panic!("expected no snapshot yet, got {other:?}"),
    }
    // Bigger than one NATS message, so a chunked store is exercised too.
    let first: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
    store.save_snapshot("kpis", first.clone()).await.unwrap();
    assert_eq!(store.load_snapshot("kpis").await.unwrap(), Some(first));
    store
        .save_snapshot("kpis", b"the second".to_vec())
        .await
        .unwrap();
    assert_eq!(
        store.load_snapshot("kpis").await.unwrap().as_deref(),
        Some(&b"the second"[..])
    );
    assert!(matches!(
        store.save_snapshot("bad name", vec![]).await,
        Err(StoreError::InvalidInput {
            field: "checkpoint name",
            ..
        })
    ));
    let store = backend.restart().await;
    assert_eq!(
        store.load_snapshot("kpis").await.unwrap().as_deref(),
        Some(&b"the second"[..])
    );
}
