//! Reading as it happens: subscriptions from the start or a checkpoint,
//! under concurrent writers, and the head of a context.

use std::collections::BTreeSet;
use std::sync::Arc;

use minsheng_eventstore::{ExpectedVersion, Position};

use super::super::*;

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
    assert_quiet(store.as_ref(), &mut sub).await;
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
    assert_quiet(store.as_ref(), &mut sub).await;
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
    assert_quiet(store.as_ref(), &mut sub).await;

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
    assert_quiet(store.as_ref(), &mut sub).await;
    let all = store
        .read_all(&context("test"), Position::START, usize::MAX)
        .await
        .unwrap();
    let logged: BTreeSet<_> = all
        .iter()
        .map(tag_of)
        .filter(|(tag, _)| tag != QUIET)
        .collect();
    assert_eq!(logged, seen, "the subscription saw exactly the log");
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
