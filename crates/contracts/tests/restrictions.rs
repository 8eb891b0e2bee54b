//! Who may leave, by the published rule: every imposition is its own
//! restriction, named by its stream and the person, and only its own
//! stream lifts it.

#![allow(clippy::unwrap_used)]

use minsheng_contracts::exit::{self, Restrictions};
use minsheng_values::PersonKey;

fn person(n: u8) -> PersonKey {
    PersonKey::from_hash(format!("{n:032x}"))
}

fn imposed(person: &PersonKey, reason: &str, case_id: &str) -> String {
    format!(
        r#"{{"person": "{}", "reason": "{reason}", "case_id": "{case_id}"}}"#,
        person.as_str()
    )
}

fn lifted(person: &PersonKey, case_id: &str) -> String {
    format!(
        r#"{{"person": "{}", "case_id": "{case_id}"}}"#,
        person.as_str()
    )
}

/// Feeds `(stream, event type, payload)` in order.
fn after(events: &[(&str, &str, String)]) -> Restrictions {
    let mut restrictions = Restrictions::new();
    for (stream, event_type, payload) in events {
        assert!(restrictions.apply(stream, event_type, 1, payload).unwrap());
    }
    restrictions
}

#[test]
fn a_suspect_who_is_also_a_listed_fugitive_stays_restricted_when_the_alert_is_closed() {
    let p = person(1);
    let restrictions = after(&[
        (
            "fraud.alert.a1",
            "fraud.ExitRestrictionImposed",
            imposed(&p, "Suspect", "WZ-EC-0007"),
        ),
        (
            "fraud.fugitive.f1",
            "fraud.ExitRestrictionImposed",
            imposed(&p, "Fugitive", "WZ-EC-0007"),
        ),
        (
            "fraud.alert.a1",
            "fraud.ExitRestrictionLifted",
            lifted(&p, "WZ-EC-0007"),
        ),
    ]);
    assert!(restrictions.is_restricted(&p));
    assert_eq!(
        restrictions
            .on(&p)
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        [format!("fraud.fugitive.f1/{}", p.as_str())]
    );
}

#[test]
fn one_person_listed_twice_under_one_case_is_restricted_until_both_listings_end() {
    let p = person(2);
    let mut restrictions = after(&[
        (
            "fraud.fugitive.f1",
            "fraud.ExitRestrictionImposed",
            imposed(&p, "Fugitive", "C"),
        ),
        (
            "fraud.fugitive.f2",
            "fraud.ExitRestrictionImposed",
            imposed(&p, "Fugitive", "C"),
        ),
        (
            "fraud.fugitive.f1",
            "fraud.ExitRestrictionLifted",
            lifted(&p, "C"),
        ),
    ]);
    assert!(restrictions.is_restricted(&p), "one listing still stands");
    restrictions
        .apply(
            "fraud.fugitive.f2",
            "fraud.ExitRestrictionLifted",
            1,
            &lifted(&p, "C"),
        )
        .unwrap();
    assert!(!restrictions.is_restricted(&p));
}

#[test]
fn a_gang_case_and_a_fraud_case_with_the_same_id_never_lift_each_others_restriction() {
    let p = person(3);
    // A test producer stands in for gang-cases: same case id, same person.
    let fraud = ("fraud.alert.a9", "fraud");
    let gangs = ("gangs.case.g9", "gangs");
    for ((lifting, context), standing) in [(gangs, "fraud"), (fraud, "gangs")] {
        let restrictions = after(&[
            (
                fraud.0,
                "fraud.ExitRestrictionImposed",
                imposed(&p, "Suspect", "WZ-2015-0042"),
            ),
            (
                gangs.0,
                "gangs.ExitRestrictionImposed",
                imposed(&p, "GangMember", "WZ-2015-0042"),
            ),
            (
                lifting,
                &format!("{context}.ExitRestrictionLifted"),
                lifted(&p, "WZ-2015-0042"),
            ),
        ]);
        assert!(
            restrictions.is_restricted(&p),
            "lifted by {context}: the {standing} restriction stands"
        );
    }
}

#[test]
fn a_reason_this_build_does_not_know_restricts_all_the_same() {
    let p = person(4);
    let restrictions = after(&[(
        "gangs.case.g1",
        "gangs.ExitRestrictionImposed",
        imposed(&p, "GangMember", "G-1"),
    )]);
    assert!(restrictions.is_restricted(&p));
}

#[test]
fn other_types_are_not_restrictions_and_a_newer_version_is_refused() {
    let p = person(5);
    let mut restrictions = Restrictions::new();
    assert!(
        !restrictions
            .apply(
                "fraud.alert.a1",
                "fraud.AlertClosed",
                1,
                r#"{"reason": "x"}"#
            )
            .unwrap()
    );
    assert!(
        restrictions
            .apply(
                "fraud.alert.a1",
                "fraud.ExitRestrictionImposed",
                exit::VERSION + 1,
                &imposed(&p, "Suspect", "C")
            )
            .is_err()
    );
    assert!(!restrictions.is_restricted(&p));
}
