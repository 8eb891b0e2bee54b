//! What this context publishes is stored as the contract's golden payloads
//! (crates/contracts/fixtures): each reads into this context's own event
//! enum and is written back with the same type, version and JSON.

use minsheng_contracts::fixtures;
use minsheng_eventstore::codec;
use minsheng_vehicle_iot::domain::events::VehicleEvent;

#[test]
fn the_published_events_are_stored_as_their_golden_payloads() {
    let checked = fixtures::check_producer("vehicle", |tagged| {
        let event: VehicleEvent = serde_json::from_str(tagged).unwrap();
        let stored = codec::encode(&event).unwrap();
        (
            stored.event_type,
            stored.schema_version,
            stored.payload.get().to_owned(),
        )
    });
    assert!(checked.unwrap() > 0, "no fixture of this context");
}

#[test]
fn events_recorded_before_version_2_read_unchanged() {
    use minsheng_contracts::vehicle::TheftReporter;
    use minsheng_eventstore::{NewEvent, Position, RecordedEvent, StreamName};
    use minsheng_vehicle_iot::domain::values::Personal;
    let mut read = 0;
    for fixture in fixtures::ALL.iter().filter(|f| fixtures::is_superseded(f)) {
        let Some(("vehicle", _)) = fixture.event_type.split_once('.') else {
            continue;
        };
        let payload: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
        let new = NewEvent::new(fixture.event_type, fixture.version, &payload).unwrap();
        let recorded = RecordedEvent {
            event_id: new.event_id,
            stream: StreamName::parse("vehicle.ebike.b1").unwrap(),
            version: 1,
            position: Position(1),
            event_type: new.event_type,
            schema_version: new.schema_version,
            occurred_at: new.occurred_at,
            recorded_at: new.occurred_at,
            payload: new.payload,
            metadata: new.metadata,
        };
        let clear = match codec::decode::<VehicleEvent>(&recorded).unwrap() {
            VehicleEvent::EbikeRegistered(e) => matches!(e.owner_phone, Personal::Clear(_)),
            VehicleEvent::ResidentCardIssued(e) => matches!(e.phone, Personal::Clear(_)),
            VehicleEvent::RentalRoomRegistered(e) => matches!(e.address, Personal::Clear(_)),
            // Made before owners confirmed reports: no reporter recorded.
            VehicleEvent::EbikeReportedStolen(e) => e.reported_by == TheftReporter::Unrecorded,
            other => panic!("{other:?} was not widened in version 2"),
        };
        assert!(
            clear,
            "{} v{} reads as it was written",
            fixture.event_type, fixture.version
        );
        read += 1;
    }
    assert_eq!(
        read, 4,
        "three types sealed in version 2, and the theft report"
    );
}
