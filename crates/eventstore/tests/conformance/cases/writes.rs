//! Appends: versions, races, idempotency, atomic commits, bad input.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use minsheng_eventstore::{ExpectedVersion, Metadata, NewEvent, Position, RequestId, StoreError};
use tokio::sync::Barrier;

use super::super::*;

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
