//! What survives a restart: the events, and snapshots replaced whole.

use minsheng_eventstore::{ExpectedVersion, StoreError};

use super::super::*;

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
