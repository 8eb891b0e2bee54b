//! Bad input: refused with the field it names, and nothing written.

use minsheng_eventstore::{ExpectedVersion, Metadata, NewEvent, Position, RequestId, StoreError};

use super::super::*;

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
