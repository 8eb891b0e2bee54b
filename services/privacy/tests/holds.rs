//! What holds a person's data, folded from the other contexts' published
//! events, and which streams name them.

#![allow(clippy::unwrap_used)]

use minsheng_privacy::domain::files::PersonFiles;
use minsheng_values::PersonKey;
use serde_json::json;

const VICTIM: &str = "5f4dcc3b5aa765d61d8327deb882cf99";
const SUSPECT: &str = "0123456789abcdef0123456789abcdef";
const ALERT: &str = "fraud.alert.0192f1a4c3b27e5f9a1d2c3b4a5f6e7d";
const BIKE: &str = "vehicle.ebike.E20000172211010218905BD1";

fn person(key: &str) -> PersonKey {
    PersonKey::from_hash(key.to_owned())
}

fn fixture(event_type: &str, version: u16) -> serde_json::Value {
    let fixture = minsheng_contracts::fixtures::ALL
        .iter()
        .find(|f| f.event_type == event_type && f.version == version)
        .unwrap();
    serde_json::from_str(fixture.json).unwrap()
}

fn apply(
    files: &mut PersonFiles,
    stream: &str,
    event_type: &str,
    version: u16,
    payload: serde_json::Value,
) {
    files
        .apply(stream, event_type, version, &payload.to_string())
        .unwrap();
}

#[test]
fn a_victim_is_held_while_their_alert_is_open() {
    let mut files = PersonFiles::default();
    apply(
        &mut files,
        ALERT,
        "fraud.AlertReported",
        2,
        fixture("fraud.AlertReported", 2),
    );
    assert_eq!(
        files.holds_of(&person(VICTIM)),
        [format!("open-alert {ALERT}")]
    );
    apply(
        &mut files,
        ALERT,
        "fraud.AlertClosed",
        1,
        fixture("fraud.AlertClosed", 1),
    );
    assert!(files.holds_of(&person(VICTIM)).is_empty());
}

#[test]
fn a_suspect_is_held_while_an_exit_restriction_is_in_force() {
    let mut files = PersonFiles::default();
    let restriction = json!({"person": SUSPECT, "reason": "Suspect", "case_id": "WZ-1"});
    apply(
        &mut files,
        ALERT,
        "fraud.ExitRestrictionImposed",
        1,
        restriction,
    );
    assert_eq!(
        files.holds_of(&person(SUSPECT)),
        [format!("exit-restriction {ALERT}")]
    );
    let lifted = json!({"person": SUSPECT, "case_id": "WZ-1"});
    apply(&mut files, ALERT, "fraud.ExitRestrictionLifted", 1, lifted);
    assert!(files.holds_of(&person(SUSPECT)).is_empty());
}

#[test]
fn an_owner_is_held_while_their_stolen_bikes_case_is_open_recovered_or_not() {
    let mut files = PersonFiles::default();
    let owner = person(VICTIM);
    apply(
        &mut files,
        BIKE,
        "vehicle.EbikeRegistered",
        2,
        fixture("vehicle.EbikeRegistered", 2),
    );
    assert!(
        files.holds_of(&owner).is_empty(),
        "a bike alone holds nothing"
    );
    let stolen = fixture("vehicle.EbikeReportedStolen", 1);
    apply(&mut files, BIKE, "vehicle.EbikeReportedStolen", 1, stolen);
    let recovered = fixture("vehicle.EbikeRecovered", 1);
    apply(&mut files, BIKE, "vehicle.EbikeRecovered", 1, recovered);
    assert_eq!(files.holds_of(&owner), [format!("open-theft-case {BIKE}")]);
    let solved = fixture("vehicle.EbikeCaseSolved", 1);
    apply(&mut files, BIKE, "vehicle.EbikeCaseSolved", 1, solved);
    assert!(files.holds_of(&owner).is_empty());
}

#[test]
fn the_streams_naming_a_person_are_found_in_any_event_and_any_field() {
    let mut files = PersonFiles::default();
    apply(
        &mut files,
        BIKE,
        "vehicle.EbikeRegistered",
        2,
        fixture("vehicle.EbikeRegistered", 2),
    );
    // A context's own type, never published: found all the same.
    let room = "vehicle.room.0192f1a4-c3b2-7e5f-9a1d-2c3b4a5f6e7d";
    apply(
        &mut files,
        room,
        "vehicle.TenantCheckedIn",
        1,
        json!({"tenant": VICTIM}),
    );
    assert_eq!(files.streams_of(&person(VICTIM)), [BIKE, room]);
    assert!(files.streams_of(&person(SUSPECT)).is_empty());
}

#[test]
fn a_bikes_events_are_its_owners_to_export_until_the_next_owner_registers_it() {
    use minsheng_privacy::domain::files::TheirEvents;
    let first = person(VICTIM);
    let mut theirs = TheirEvents::new(&first);
    let stream = [
        json!({"owner": VICTIM, "plate": "浙C12345"}),
        json!({"reader_id": "R1", "district": "lucheng"}),
        json!({"owner": SUSPECT, "plate": "浙C12345"}),
        json!({"reader_id": "R1", "district": "ouhai"}),
    ];
    let mine: Vec<bool> = stream.iter().map(|e| theirs.next_is_theirs(e)).collect();
    assert_eq!(mine, [true, true, false, false]);
}

#[test]
fn a_type_stored_at_a_newer_version_stops_the_files_rather_than_being_read_wrong() {
    use minsheng_runtime::subscription::SubscriberError;
    let mut files = PersonFiles::default();
    let payload = fixture("fraud.AlertReported", 2).to_string();
    let error = files
        .apply(ALERT, "fraud.AlertReported", 99, &payload)
        .unwrap_err();
    assert!(matches!(
        SubscriberError::from(error),
        SubscriberError::NewerSchema(_)
    ));
    assert!(
        files.holds_of(&person(VICTIM)).is_empty(),
        "nothing was read"
    );
}
