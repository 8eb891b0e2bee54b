//! Every published type has its golden payload, reads it and writes it
//! back unchanged; every fixture file is listed, and of a published type.

#![allow(clippy::unwrap_used)]

use minsheng_contracts::fixtures::{self, ALL};
use minsheng_contracts::{Published, decode, exit, fraud, privacy, vehicle};

/// Reads `T`'s fixture and writes it back as stored: the same JSON.
fn round_trips<T: Published>() -> &'static str {
    let fixture = fixtures::of::<T>()
        .unwrap_or_else(|| panic!("{} v{} has no fixture", T::event_type(), T::VERSION));
    let read: T = decode(fixture.json, fixture.version).unwrap();
    let written = serde_json::to_value(read).unwrap();
    let golden: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
    assert_eq!(written, golden, "{}", fixture.event_type);
    fixture.event_type
}

/// The same for a shape published under several contexts' names.
fn round_trips_as<T: serde::Serialize + serde::de::DeserializeOwned>(
    event_type: &'static str,
    version: u16,
) -> &'static str {
    let fixture = ALL
        .iter()
        .find(|f| f.event_type == event_type && f.version == version)
        .unwrap_or_else(|| panic!("{event_type} v{version} has no fixture"));
    let read: T = serde_json::from_str(fixture.json).unwrap();
    let golden: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
    assert_eq!(serde_json::to_value(read).unwrap(), golden, "{event_type}");
    fixture.event_type
}

#[test]
fn every_published_type_reads_and_writes_its_golden_payload() {
    let checked = [
        round_trips::<vehicle::EbikeRegistered>(),
        round_trips::<vehicle::EbikeReportedStolen>(),
        round_trips::<vehicle::StolenEbikePresented>(),
        round_trips::<vehicle::StolenEbikeSighted>(),
        round_trips::<vehicle::EbikeRecovered>(),
        round_trips::<vehicle::EbikeCaseSolved>(),
        round_trips::<vehicle::ResidentCardIssued>(),
        round_trips::<vehicle::RentalRoomRegistered>(),
        round_trips::<fraud::AlertReported>(),
        round_trips::<fraud::AlertClosed>(),
        round_trips::<fraud::StopPaymentRequested>(),
        round_trips::<fraud::PaymentStopped>(),
        round_trips::<fraud::FundsFrozen>(),
        round_trips::<fraud::NumberBlocked>(),
        round_trips::<fraud::InterceptionReported>(),
        round_trips::<fraud::FugitiveReturned>(),
        round_trips_as::<exit::ExitRestrictionImposed>(
            "fraud.ExitRestrictionImposed",
            exit::VERSION,
        ),
        round_trips_as::<exit::ExitRestrictionLifted>("fraud.ExitRestrictionLifted", exit::VERSION),
        round_trips::<privacy::PersonForgotten>(),
        round_trips::<privacy::ForgetRefused>(),
        round_trips::<privacy::PersonalDataExported>(),
    ];
    let mut listed: Vec<&str> = ALL.iter().map(|f| f.event_type).collect();
    listed.dedup();
    assert_eq!(listed, checked, "a fixture for every type checked here");
}

#[test]
fn every_fixture_file_is_listed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = ALL
        .iter()
        .map(|f| format!("{}.v{}.json", f.event_type, f.version))
        .collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn a_newer_or_older_version_is_not_read_as_this_one() {
    let json = fixtures::of::<fraud::PaymentStopped>().unwrap().json;
    assert!(decode::<fraud::PaymentStopped>(json, 2).is_err());
    assert!(decode::<fraud::PaymentStopped>(json, 0).is_err());
}

/// Reads the fixture of `T` at `version`, older than the one written.
fn older<T: Published>(version: u16) -> T {
    let fixture = ALL
        .iter()
        .find(|f| f.event_type == T::event_type() && f.version == version)
        .unwrap_or_else(|| panic!("{} v{version} has no fixture", T::event_type()));
    decode(fixture.json, version).unwrap()
}

#[test]
fn a_phone_or_address_recorded_in_clear_before_sealing_still_reads_in_clear() {
    use minsheng_values::Personal;
    let bike = older::<vehicle::EbikeRegistered>(1);
    assert!(matches!(bike.owner_phone, Personal::Clear(p) if p.as_str() == "13812345678"));
    let card = older::<vehicle::ResidentCardIssued>(1);
    assert!(matches!(card.phone, Personal::Clear(_)));
    let room = older::<vehicle::RentalRoomRegistered>(1);
    assert!(matches!(room.address, Personal::Clear(_)));
    // And what this build writes is sealed for the person it names.
    let sealed: vehicle::EbikeRegistered =
        decode(fixtures::of::<vehicle::EbikeRegistered>().unwrap().json, 2).unwrap();
    assert!(matches!(sealed.owner_phone, Personal::Sealed(s) if s.person == sealed.owner.as_str()));
}
