//! A JSON Schema per published type and version, for consumers not written
//! in Rust, generated from the structs (schemars) and kept in
//! `crates/contracts/schemas/`. This test fails when the generated schema
//! and the file disagree (regenerate with
//! `UPDATE_SCHEMAS=1 cargo test -p minsheng-contracts --test schemas` and
//! review the diff: a published version changes only by adding optional
//! fields), when a file has no type, and when a golden payload does not
//! validate against its type's schema.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use minsheng_contracts::fixtures::ALL;
use minsheng_contracts::{exit, fraud, privacy, vehicle};
use schemars::JsonSchema;

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

/// Every published type and version, with its schema.
fn published() -> Vec<(&'static str, u16, serde_json::Value)> {
    vec![
        (
            "vehicle.EbikeRegistered",
            2,
            schema_of::<vehicle::EbikeRegistered>(),
        ),
        (
            "vehicle.EbikeReportedStolen",
            2,
            schema_of::<vehicle::EbikeReportedStolen>(),
        ),
        (
            "vehicle.StolenEbikePresented",
            1,
            schema_of::<vehicle::StolenEbikePresented>(),
        ),
        (
            "vehicle.StolenEbikeSighted",
            1,
            schema_of::<vehicle::StolenEbikeSighted>(),
        ),
        (
            "vehicle.EbikeRecovered",
            1,
            schema_of::<vehicle::EbikeRecovered>(),
        ),
        (
            "vehicle.EbikeCaseSolved",
            1,
            schema_of::<vehicle::EbikeCaseSolved>(),
        ),
        (
            "vehicle.ResidentCardIssued",
            2,
            schema_of::<vehicle::ResidentCardIssued>(),
        ),
        (
            "vehicle.RentalRoomRegistered",
            2,
            schema_of::<vehicle::RentalRoomRegistered>(),
        ),
        (
            "fraud.AlertReported",
            2,
            schema_of::<fraud::AlertReported>(),
        ),
        ("fraud.AlertClosed", 1, schema_of::<fraud::AlertClosed>()),
        (
            "fraud.StopPaymentRequested",
            2,
            schema_of::<fraud::StopPaymentRequested>(),
        ),
        (
            "fraud.PaymentStopped",
            1,
            schema_of::<fraud::PaymentStopped>(),
        ),
        ("fraud.FundsFrozen", 1, schema_of::<fraud::FundsFrozen>()),
        (
            "fraud.NumberBlocked",
            1,
            schema_of::<fraud::NumberBlocked>(),
        ),
        (
            "fraud.InterceptionReported",
            1,
            schema_of::<fraud::InterceptionReported>(),
        ),
        (
            "fraud.FugitiveReturned",
            1,
            schema_of::<fraud::FugitiveReturned>(),
        ),
        (
            "fraud.ExitRestrictionImposed",
            exit::VERSION,
            schema_of::<exit::ExitRestrictionImposed>(),
        ),
        (
            "fraud.ExitRestrictionLifted",
            exit::VERSION,
            schema_of::<exit::ExitRestrictionLifted>(),
        ),
        (
            "privacy.PersonForgotten",
            1,
            schema_of::<privacy::PersonForgotten>(),
        ),
        (
            "privacy.ForgetRefused",
            1,
            schema_of::<privacy::ForgetRefused>(),
        ),
        (
            "privacy.PersonalDataExported",
            1,
            schema_of::<privacy::PersonalDataExported>(),
        ),
    ]
}

/// Versions a newer one superseded: their schema files stay as they were
/// published (consumers may still meet such payloads), never regenerated.
const SUPERSEDED: &[(&str, u16)] = &[
    ("vehicle.EbikeRegistered", 1),
    ("vehicle.EbikeReportedStolen", 1),
    ("vehicle.ResidentCardIssued", 1),
    ("vehicle.RentalRoomRegistered", 1),
    ("fraud.AlertReported", 1),
    ("fraud.StopPaymentRequested", 1),
];

fn superseded_schema(event_type: &str, version: u16) -> serde_json::Value {
    let text = std::fs::read_to_string(file_of(event_type, version)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn file_of(event_type: &str, version: u16) -> PathBuf {
    dir().join(format!("{event_type}.v{version}.schema.json"))
}

#[test]
fn every_published_type_has_its_schema_file_and_no_file_is_stray() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (event_type, version, schema) in published() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = file_of(event_type, version);
        if update {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "schemas differ from the structs (UPDATE_SCHEMAS=1 cargo test -p minsheng-contracts --test schemas, then review):\n{}",
        stale.join("\n")
    );
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = published()
        .iter()
        .map(|(t, v, _)| (*t, *v))
        .chain(SUPERSEDED.iter().copied())
        .map(|(t, v)| format!("{t}.v{v}.schema.json"))
        .collect();
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn every_golden_payload_validates_against_its_schema() {
    let mut schemas = published();
    for (event_type, version) in SUPERSEDED {
        schemas.push((
            event_type,
            *version,
            superseded_schema(event_type, *version),
        ));
    }
    assert_eq!(schemas.len(), ALL.len(), "a schema for every fixture");
    for fixture in ALL {
        let (_, _, schema) = schemas
            .iter()
            .find(|(t, v, _)| *t == fixture.event_type && *v == fixture.version)
            .unwrap_or_else(|| panic!("no schema for {}", fixture.event_type));
        let validator = jsonschema::validator_for(schema).unwrap();
        let payload: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&payload)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", fixture.event_type);
    }
}
