//! What this context publishes is stored as the contract's golden payloads
//! (crates/contracts/fixtures): each reads into this context's own event
//! enum and is written back with the same type, version and JSON.

use minsheng_contracts::fixtures;
use minsheng_eventstore::codec;
use minsheng_vehicle_iot::domain::events::VehicleEvent;

#[test]
fn the_published_events_are_stored_as_their_golden_payloads() {
    let mut checked = 0;
    for fixture in fixtures::of_context("vehicle") {
        let tagged = format!(
            r#"{{"type": "{}", "data": {}}}"#,
            fixture.event_type.split_once('.').unwrap().1,
            fixture.json
        );
        let event: VehicleEvent = serde_json::from_str(&tagged).unwrap();
        let stored = codec::encode(&event).unwrap();
        assert_eq!(
            (stored.event_type.as_str(), stored.schema_version),
            (fixture.event_type, fixture.version)
        );
        let written: serde_json::Value = serde_json::from_str(stored.payload.get()).unwrap();
        let golden: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
        assert_eq!(written, golden, "{}", fixture.event_type);
        checked += 1;
    }
    assert!(checked > 0, "no fixture of this context");
}
