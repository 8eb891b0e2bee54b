//! What this context publishes is stored as the contract's golden payloads
//! (crates/contracts/fixtures): each reads into this context's own event
//! enum and is written back with the same type, version and JSON.

use minsheng_contracts::fixtures;
use minsheng_eventstore::codec;
use minsheng_fraud::domain::events::FraudEvent;

#[test]
fn the_published_events_are_stored_as_their_golden_payloads() {
    let checked = fixtures::check_producer("fraud", |tagged| {
        let event: FraudEvent = serde_json::from_str(tagged).unwrap();
        let stored = codec::encode(&event).unwrap();
        (
            stored.event_type,
            stored.schema_version,
            stored.payload.get().to_owned(),
        )
    });
    assert!(checked.unwrap() > 0, "no fixture of this context");
}
