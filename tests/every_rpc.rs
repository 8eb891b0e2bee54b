//! Who may call what, checked against the documented table
//! (docs/access.md) on the real binary: every RPC it serves, found by
//! reflection, is in the table and nothing else is; every RPC answers a
//! token of every role exactly as the table says, and a call without a
//! token UNAUTHENTICATED. An allowed caller's empty request is refused as
//! bad input (INVALID_ARGUMENT, naming what is wrong) by every RPC but the
//! questions an empty request may ask; a message over the 1 MiB limit is
//! refused as OUT_OF_RANGE and a malformed one as INVALID_ARGUMENT by every
//! RPC; and none of the calls writes an event.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use minsheng_runtime::auth::TokenKeys;
use support::binary::{minsheng, start};
use support::rpcs;
use tonic::Code;

/// A role no RPC allows: a valid token with it is refused everywhere.
const NOBODY: &str = "visitor";

/// The RPCs for which an empty request is a fair question: a watch with no
/// filter, a batch or a stream with nothing in it (nothing to do), the
/// totals. Every other RPC refuses it as bad input (a list of hits needs
/// its time range).
const EMPTY_IS_A_QUESTION: &[&str] = &[
    "minsheng.vehicle.v1.Sightings/RecordSightings",
    "minsheng.vehicle.v1.Sightings/RecordSightingBatch",
    "minsheng.vehicle.v1.Sightings/WatchHits",
    "minsheng.vehicle.v1.Ebikes/WatchOwnerNotices",
    "minsheng.vehicle.v1.Ebikes/ListTheftReviews",
    "minsheng.fraud.v1.Alerts/GetTotals",
    "minsheng.fraud.v1.Firewall/Screen",
    "minsheng.fraud.v1.Firewall/ScreenStream",
    "minsheng.kpis.v1.Kpis/GetKpis",
    "minsheng.kpis.v1.Kpis/WatchKpis",
];

/// docs/access.md's table: RPC name -> roles allowed.
fn documented_table() -> BTreeMap<String, BTreeSet<String>> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/access.md"))
        .expect("docs/access.md");
    doc.lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let rpc = cells.next().filter(|rpc| rpc.starts_with("minsheng."))?;
            let roles = cells.next()?.split(',').map(|r| r.trim().to_owned());
            Some((rpc.to_owned(), roles.filter(|r| !r.is_empty()).collect()))
        })
        .collect()
}

fn token(keys: &TokenKeys, role: &str) -> String {
    // Every token names an institution, so that a partner's calls get past
    // "which institution are you" to the question asked here.
    keys.mint_for(
        &format!("{role}-1"),
        &[role.to_owned()],
        Some("icbc"),
        Duration::from_secs(600),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_every_role_as_the_documented_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(&["up"], dir.path()));
    let keys = TokenKeys::load(&dir.path().join("jwt.key")).unwrap();
    let table = documented_table();

    let served = rpcs::served(running.grpc).await;
    let served_names: BTreeSet<&str> = served.iter().map(|r| r.name.as_str()).collect();
    let documented: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    assert_eq!(
        served_names.difference(&documented).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "served but not in docs/access.md"
    );
    assert_eq!(
        documented.difference(&served_names).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "in docs/access.md but not served"
    );

    let mut roles: BTreeSet<&str> = table.values().flatten().map(String::as_str).collect();
    roles.insert(NOBODY);
    let tokens: BTreeMap<&str, String> = roles.iter().map(|r| (*r, token(&keys, r))).collect();

    let mut wrong = Vec::new();
    let mut calls = 0;
    for rpc in &served {
        let allowed = &table[&rpc.name];
        let answer = rpcs::call_empty(running.grpc, rpc, None).await;
        calls += 1;
        if answer != Code::Unauthenticated {
            wrong.push(format!("{} without a token: {answer:?}", rpc.name));
        }
        for (role, token) in &tokens {
            let answer = rpcs::call_empty(running.grpc, rpc, Some(token)).await;
            calls += 1;
            let why = misanswered(allowed.contains(*role), answer).or_else(|| {
                let refused = answer == Code::InvalidArgument;
                let question = EMPTY_IS_A_QUESTION.contains(&rpc.name.as_str());
                (allowed.contains(*role) && refused == question).then_some(if question {
                    "an empty request is a fair question here"
                } else {
                    "an empty request is bad input"
                })
            });
            if let Some(why) = why {
                wrong.push(format!("{} as {role}: {answer:?} ({why})", rpc.name));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {calls} calls:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Every service has the process's message limit (the documented 1 MiB,
    // not tonic's 4 MiB default): a message just over it is refused as
    // OUT_OF_RANGE before any handler reads it.
    let too_big: Vec<String> = {
        let mut too_big = Vec::new();
        for rpc in &served {
            let role = table[&rpc.name].iter().next().unwrap();
            let token = Some(tokens[role.as_str()].as_str());
            let just_over = rpcs::string_field_1(1024 * 1024);
            let answer = rpcs::call_raw(running.grpc, rpc, token, &[], just_over).await;
            if answer != Code::OutOfRange {
                too_big.push(format!("{}: {answer:?}", rpc.name));
            }
        }
        too_big
    };
    assert!(
        too_big.is_empty(),
        "a message over 1 MiB was not refused as OUT_OF_RANGE:\n{}",
        too_big.join("\n")
    );
    // A malformed message from an allowed caller is the caller's error:
    // INVALID_ARGUMENT, never INTERNAL (which pages the operators).
    // (Invalid UTF-8 in field 1 is malformed only where field 1 is a
    // string; elsewhere it is an unknown field, read past. It is sent to
    // every method, and must be refused by ReportAlert, whose field 1 is.)
    const BAD_UTF8: &str = "invalid UTF-8 in a string";
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        (BAD_UTF8, vec![0x0a, 0x02, 0xff, 0xfe]),
        ("a truncated length", vec![0x0a, 0x05, b'a']),
        (
            "an 11-byte varint",
            [vec![0x10], vec![0xff; 10], vec![0x01]].concat(),
        ),
        ("field number 0", vec![0x02, 0x00]),
        ("wire type 6", vec![0x0e, 0x00]),
        ("a stray end-group", vec![0x0c]),
        ("groups nested 10,000 deep", vec![0x0b; 10_000]),
    ];
    let mut misread = Vec::new();
    for rpc in &served {
        let role = table[&rpc.name].iter().next().unwrap();
        for (what, bytes) in &malformed {
            let token = Some(tokens[role.as_str()].as_str());
            let answer = rpcs::call_raw(running.grpc, rpc, token, &[], bytes.clone()).await;
            let may_read_past = *what == BAD_UTF8
                && rpc.name != "minsheng.fraud.v1.Alerts/ReportAlert"
                && answer != Code::Internal;
            if answer != Code::InvalidArgument && !may_read_past {
                misread.push(format!("{} with {what}: {answer:?}", rpc.name));
            }
        }
    }
    assert!(
        misread.is_empty(),
        "malformed messages not refused as INVALID_ARGUMENT:\n{}",
        misread.join("\n")
    );
    // Before anyone is authenticated, little is accepted: health and
    // reflection take small requests (a name), and a header too long is
    // refused naming it, on a connection that stays up.
    let health = rpcs::Rpc {
        name: "grpc.health.v1.Health/Check".to_owned(),
        client_streaming: false,
        server_streaming: false,
    };
    let totals = rpcs::Rpc {
        name: "minsheng.fraud.v1.Alerts/GetTotals".to_owned(),
        client_streaming: false,
        server_streaming: false,
    };
    let officer = tokens["officer"].clone();
    let answers = [
        (
            "a 1 MiB health check without a token",
            rpcs::call_raw(
                running.grpc,
                &health,
                None,
                &[],
                rpcs::string_field_1(1 << 20),
            )
            .await,
            Code::OutOfRange,
        ),
        (
            "a 16 KB x-request-id",
            rpcs::call_raw(
                running.grpc,
                &totals,
                Some(&officer),
                &[("x-request-id", "r".repeat(16 * 1024))],
                Vec::new(),
            )
            .await,
            Code::InvalidArgument,
        ),
        (
            "a 64 KB authorization",
            rpcs::call_raw(
                running.grpc,
                &totals,
                None,
                &[("authorization", format!("Bearer {}", "t".repeat(64 * 1024)))],
                Vec::new(),
            )
            .await,
            Code::Unauthenticated,
        ),
        (
            "then a health check on the same server",
            rpcs::call_raw(running.grpc, &health, None, &[], Vec::new()).await,
            Code::Ok,
        ),
    ];
    // Reflection reads its requests as a stream and ends it on one it
    // cannot read: a 3 MiB symbol gets no answer (it was echoed back in a
    // 2.3 MB error before).
    let echoed = rpcs::reflection_answers(running.grpc, "s".repeat(3 << 20)).await;
    assert_eq!(echoed, 0, "bytes answered to a 3 MiB symbol");
    let misanswered: Vec<String> = answers
        .iter()
        .filter(|(_, got, expected)| got != expected)
        .map(|(what, got, expected)| format!("{what}: {got:?}, not {expected:?}"))
        .collect();
    assert!(misanswered.is_empty(), "{}", misanswered.join("\n"));

    let (_, metrics) = minsheng_testkit::http_get_async(running.http, "/metrics")
        .await
        .unwrap();
    let written: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("minsheng_store_append_seconds_count") && l.contains("\"ok\""))
        .collect();
    assert_eq!(written, Vec::<&str>::new(), "no call wrote an event");
    running.terminate();
}

/// Why `answer` is not what the table says, if it is not. An allowed
/// caller's empty request may be refused as bad input or not found, but
/// never for who the caller is, and never with an internal error.
fn misanswered(allowed: bool, answer: Code) -> Option<&'static str> {
    match (allowed, answer) {
        (false, Code::PermissionDenied) => None,
        (false, _) => Some("the table does not allow this role"),
        (true, Code::PermissionDenied | Code::Unauthenticated) => {
            Some("the table allows this role")
        }
        (true, Code::Internal | Code::Unknown) => Some("an internal error on an empty request"),
        (true, _) => None,
    }
}

/// Where each RPC is called end to end over gRPC: the test file and the
/// function (a test, or the helper a test calls) whose body makes the call.
const CALLED_IN: &[(&str, &str, &str)] = &[
    (
        "minsheng.vehicle.v1.Ebikes/RegisterEbike",
        VEHICLE_ENDINGS,
        "a_deregistered_bike_frees_its_tag_for_a_new_bike",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/DeregisterEbike",
        VEHICLE_ENDINGS,
        "a_deregistered_bike_frees_its_tag_for_a_new_bike",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/ReportStolen",
        VEHICLE_REFUSALS,
        "each_role_may_do_only_its_part",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/RecordRecovery",
        VEHICLE_HITS,
        "a_recovered_bike_goes_back_to_its_owner_and_its_sightings_are_only_counted",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/ReturnToOwner",
        VEHICLE_HITS,
        "a_recovered_bike_goes_back_to_its_owner_and_its_sightings_are_only_counted",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/RecordCaseSolved",
        VEHICLE_HITS,
        "a_recovered_bike_goes_back_to_its_owner_and_its_sightings_are_only_counted",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/GetEbike",
        VEHICLE_ENDINGS,
        "a_deregistered_bike_frees_its_tag_for_a_new_bike",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/ConfirmTheftReport",
        VEHICLE_THEFT_REPORTS,
        "an_officers_report_reaches_the_owner_through_the_gateway_and_the_owner_confirms_it",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/WatchOwnerNotices",
        VEHICLE_THEFT_REPORTS,
        "an_officers_report_reaches_the_owner_through_the_gateway_and_the_owner_confirms_it",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/DisputeTheftReport",
        VEHICLE_THEFT_REPORTS,
        "an_owner_who_says_the_bike_is_not_stolen_sends_the_report_to_review",
    ),
    (
        "minsheng.vehicle.v1.Ebikes/ListTheftReviews",
        VEHICLE_THEFT_REPORTS,
        "under_review",
    ),
    (
        "minsheng.vehicle.v1.Readers/InstallReader",
        VEHICLE_ENDINGS,
        "a_retired_readers_sightings_are_refused_and_its_id_is_not_used_again",
    ),
    (
        "minsheng.vehicle.v1.Readers/RetireReader",
        VEHICLE_ENDINGS,
        "a_retired_readers_sightings_are_refused_and_its_id_is_not_used_again",
    ),
    (
        "minsheng.vehicle.v1.Sightings/RecordSightings",
        VEHICLE_HITS,
        "a_stolen_bike_seen_by_a_reader_raises_one_hit_that_reaches_the_dispatch_console",
    ),
    (
        "minsheng.vehicle.v1.Sightings/RecordSightingBatch",
        VEHICLE_SUPPORT,
        "seen_by",
    ),
    (
        "minsheng.vehicle.v1.Sightings/WatchHits",
        VEHICLE_HITS,
        "a_stolen_bike_seen_by_a_reader_raises_one_hit_that_reaches_the_dispatch_console",
    ),
    (
        "minsheng.vehicle.v1.Sightings/ListHits",
        VEHICLE_HITS,
        "a_stolen_bike_seen_by_a_reader_raises_one_hit_that_reaches_the_dispatch_console",
    ),
    (
        "minsheng.vehicle.v1.ResidentCards/IssueCard",
        VEHICLE_PEOPLE,
        "cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation",
    ),
    (
        "minsheng.vehicle.v1.ResidentCards/RenewCard",
        VEHICLE_ENDINGS,
        "a_card_is_renewed_only_to_a_later_date_and_a_checked_out_tenant_frees_the_room",
    ),
    (
        "minsheng.vehicle.v1.ResidentCards/MoveOut",
        VEHICLE_PEOPLE,
        "cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation",
    ),
    (
        "minsheng.vehicle.v1.RentalRooms/RegisterRoom",
        VEHICLE_PEOPLE,
        "cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation",
    ),
    (
        "minsheng.vehicle.v1.RentalRooms/CheckIn",
        VEHICLE_PEOPLE,
        "cards_and_rooms_keep_their_rules_and_a_retried_creation_is_one_creation",
    ),
    (
        "minsheng.vehicle.v1.RentalRooms/CheckOut",
        VEHICLE_ENDINGS,
        "a_card_is_renewed_only_to_a_later_date_and_a_checked_out_tenant_frees_the_room",
    ),
    (
        "minsheng.fraud.v1.Alerts/ReportAlert",
        FRAUD_ALERTS,
        "a_number_an_alert_names_is_screened_as_blocked_with_no_victim_data",
    ),
    (
        "minsheng.fraud.v1.Alerts/TriageAlert",
        FRAUD_CASEWORK,
        "a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed",
    ),
    (
        "minsheng.fraud.v1.Alerts/LinkAlertToCase",
        FRAUD_CASEWORK,
        "a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed",
    ),
    (
        "minsheng.fraud.v1.Alerts/NameSuspect",
        FRAUD_CASEWORK,
        "a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed",
    ),
    (
        "minsheng.fraud.v1.Alerts/CloseAlert",
        FRAUD_CASEWORK,
        "a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed",
    ),
    (
        "minsheng.fraud.v1.Alerts/GetAlert",
        FRAUD_CASEWORK,
        "a_named_suspect_is_restricted_from_exit_until_the_alert_is_closed",
    ),
    (
        "minsheng.fraud.v1.Alerts/GetTotals",
        FRAUD_FUGITIVES,
        "a_listed_fugitive_is_restricted_from_exit_until_returned",
    ),
    (
        "minsheng.fraud.v1.StopPayments/RequestStopPayment",
        FRAUD_STOPS,
        "a_stop_payment_is_answered_once_by_its_own_institution",
    ),
    (
        "minsheng.fraud.v1.StopPayments/AnswerStopPayment",
        FRAUD_STOPS,
        "a_stop_payment_is_answered_once_by_its_own_institution",
    ),
    (
        "minsheng.fraud.v1.Firewall/BlockNumber",
        FRAUD_REFUSALS,
        "bad_input_is_refused_with_its_field_and_nothing_is_written",
    ),
    (
        "minsheng.fraud.v1.Firewall/UnblockNumber",
        FRAUD_ALERTS,
        "a_number_an_alert_names_is_screened_as_blocked_with_no_victim_data",
    ),
    (
        "minsheng.fraud.v1.Firewall/GetNumberHistory",
        FRAUD_ALERTS,
        "a_number_an_alert_names_is_screened_as_blocked_with_no_victim_data",
    ),
    ("minsheng.fraud.v1.Firewall/Screen", FRAUD_SUPPORT, "screen"),
    (
        "minsheng.fraud.v1.Firewall/ScreenStream",
        FRAUD_ALERTS,
        "a_gateway_screens_a_stream_and_its_interceptions_are_counted",
    ),
    (
        "minsheng.fraud.v1.Firewall/ReportInterception",
        FRAUD_ALERTS,
        "a_gateway_screens_a_stream_and_its_interceptions_are_counted",
    ),
    (
        "minsheng.fraud.v1.Fugitives/ListFugitive",
        FRAUD_FUGITIVES,
        "a_listed_fugitive_is_restricted_from_exit_until_returned",
    ),
    (
        "minsheng.fraud.v1.Fugitives/LocateFugitive",
        FRAUD_CASEWORK,
        "a_fugitive_located_abroad_and_delisted_is_no_longer_restricted",
    ),
    (
        "minsheng.fraud.v1.Fugitives/RecordReturn",
        FRAUD_FUGITIVES,
        "a_listed_fugitive_is_restricted_from_exit_until_returned",
    ),
    (
        "minsheng.fraud.v1.Fugitives/DelistFugitive",
        FRAUD_CASEWORK,
        "a_fugitive_located_abroad_and_delisted_is_no_longer_restricted",
    ),
    ("minsheng.kpis.v1.Kpis/GetKpis", KPIS_END_TO_END, "figures"),
    (
        "minsheng.kpis.v1.Kpis/WatchKpis",
        KPIS_END_TO_END,
        "every_figure_is_what_the_services_did_and_a_restart_changes_nothing",
    ),
    (
        "minsheng.kpis.v1.Projections/Rebuild",
        KPIS_END_TO_END,
        "every_figure_is_what_the_services_did_and_a_restart_changes_nothing",
    ),
    (
        "minsheng.kpis.v1.Projections/Status",
        KPIS_END_TO_END,
        "every_figure_is_what_the_services_did_and_a_restart_changes_nothing",
    ),
    ("minsheng.privacy.v1.Privacy/Forget", PRIVACY, "forget"),
    (
        "minsheng.privacy.v1.Privacy/ExportPersonalData",
        PRIVACY,
        "export",
    ),
    ("minsheng.privacy.v1.Privacy/ListReads", READ_AUDIT, "reads"),
];

const READ_AUDIT: &str = "tests/read_audit.rs";
const VEHICLE_ENDINGS: &str = "services/vehicle-iot/tests/grpc_embedded/endings.rs";
const VEHICLE_HITS: &str = "services/vehicle-iot/tests/grpc_embedded/hits.rs";
const VEHICLE_PEOPLE: &str = "services/vehicle-iot/tests/grpc_embedded/people.rs";
const VEHICLE_SUPPORT: &str = "services/vehicle-iot/tests/grpc_embedded/support.rs";
const VEHICLE_REFUSALS: &str = "services/vehicle-iot/tests/grpc_embedded/refusals.rs";
const VEHICLE_THEFT_REPORTS: &str = "services/vehicle-iot/tests/grpc_embedded/theft_reports.rs";
const FRAUD_ALERTS: &str = "services/fraud/tests/grpc_embedded/alerts.rs";
const FRAUD_CASEWORK: &str = "services/fraud/tests/grpc_embedded/casework.rs";
const FRAUD_FUGITIVES: &str = "services/fraud/tests/grpc_embedded/fugitives.rs";
const FRAUD_REFUSALS: &str = "services/fraud/tests/grpc_embedded/refusals.rs";
const FRAUD_STOPS: &str = "services/fraud/tests/grpc_embedded/stop_payments.rs";
const FRAUD_SUPPORT: &str = "services/fraud/tests/grpc_embedded/support.rs";
const KPIS_END_TO_END: &str = "tests/kpis_end_to_end.rs";
const PRIVACY: &str = "tests/privacy_forget_and_export.rs";

/// The body of `fn name` in `source` (a declaration without one, in a
/// trait, is passed over): from its line to the closing brace at the same
/// indent.
fn body_of<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let signature = format!("fn {name}(");
    source.match_indices(&signature).find_map(|(start, _)| {
        let rest = &source[start..];
        let brace = rest.find('{')?;
        if rest.find(';').is_some_and(|semicolon| semicolon < brace) {
            return None;
        }
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let indent = &source[line_start..start];
        let indent = &indent[..indent.len() - indent.trim_start().len()];
        let end = rest.find(&format!("\n{indent}}}\n"))?;
        Some(&rest[..end])
    })
}

/// `TriageAlert` -> `triage_alert`: the generated client's method.
fn snake_case(method: &str) -> String {
    let mut snake = String::new();
    for (i, c) in method.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_served_is_called_end_to_end_by_a_test() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(minsheng(&["up"], dir.path()));
    let served = rpcs::served(running.grpc).await;
    running.terminate();

    let table: BTreeMap<&str, (&str, &str)> = CALLED_IN
        .iter()
        .map(|(rpc, file, function)| (*rpc, (*file, *function)))
        .collect();
    let mut missing = Vec::new();
    for rpc in &served {
        let Some((file, function)) = table.get(rpc.name.as_str()) else {
            missing.push(format!(
                "{}: no end-to-end test named in CALLED_IN",
                rpc.name
            ));
            continue;
        };
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let call = format!(".{}(", snake_case(rpc.method()));
        match body_of(&source, function) {
            None => missing.push(format!("{}: no fn {function} in {file}", rpc.name)),
            Some(body) if !body.contains(&call) => missing.push(format!(
                "{}: {file}'s {function} does not call {call}",
                rpc.name
            )),
            Some(_) => {}
        }
    }
    let served_names: BTreeSet<&str> = served.iter().map(|r| r.name.as_str()).collect();
    missing.extend(
        table
            .keys()
            .filter(|rpc| !served_names.contains(*rpc))
            .map(|rpc| format!("{rpc}: in CALLED_IN but not served")),
    );
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
