//! The KPI book folded from real recorded events (SQLite store), checked
//! against figures counted by hand for the same events.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use minsheng_contracts::fraud::{ReceivingAccount, ReturnWay};
use minsheng_contracts::{Published, fraud, vehicle};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{Context, EventStore, ExpectedVersion, NewEvent, Position, StreamName};
use minsheng_kpis::domain::book::{Kpi, KpiBook};
use minsheng_kpis::domain::fold::fold;
use minsheng_kpis::domain::period::Period;
use minsheng_values::{Channel, District, Fen, Institution, Location, PersonKey, Text};

fn at(month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2015, month, day, 4, 0, 0).unwrap()
}

async fn record(store: &SqliteStore, stream: &str, events: Vec<(DateTime<Utc>, NewEvent)>) {
    let events = events
        .into_iter()
        .map(|(when, event)| event.occurred_at(when))
        .collect();
    store
        .append(
            &StreamName::parse(stream).unwrap(),
            ExpectedVersion::Any,
            events,
            None,
        )
        .await
        .unwrap();
}

/// A published event as its producer stores it.
fn published<T: Published>(event: T) -> NewEvent {
    NewEvent::new(T::EVENT_TYPE, T::VERSION, &event).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_are_what_the_events_say() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("events.db")).unwrap();
    let lucheng = District::parse("district", "lucheng").unwrap();
    let ouhai = District::parse("district", "ouhai").unwrap();
    let registered = |district| {
        published(vehicle::EbikeRegistered {
            owner: PersonKey::from_hash("0".repeat(32)),
            owner_phone: minsheng_contracts::fixtures::sealed(&PersonKey::from_hash(
                "0".repeat(32),
            )),
            frame_number: "FRAME123456".into(),
            motor_number: "MOTOR123456".into(),
            plate: "C12345".into(),
            district,
        })
    };
    let place = Text::parse("place", "a car park").unwrap();
    record(
        &store,
        "vehicle.ebike.E20000172211010218905BD1",
        vec![
            (at(1, 5), registered(lucheng)),
            (
                at(3, 1),
                published(vehicle::EbikeReportedStolen {
                    case_id: "WZ-1".into(),
                    stolen_at: at(3, 1),
                    place: place.clone(),
                    frame_number: "FRAME000001".into(),
                    motor_number: "MOTOR000001".into(),
                    reported_by: vehicle::TheftReporter::Owner,
                    owner: None,
                }),
            ),
            (
                at(3, 2),
                published(vehicle::StolenEbikeSighted {
                    reader_id: "RD-1".into(),
                    district: ouhai,
                    location: Location::parse(28.0, 120.6).unwrap(),
                    seen_at: at(3, 2),
                }),
            ),
            (
                at(3, 2),
                published(vehicle::EbikeRecovered {
                    officer: "officer-7".into(),
                    place: place.clone(),
                }),
            ),
            (
                at(3, 9),
                published(vehicle::EbikeCaseSolved {
                    case_id: "WZ-1".into(),
                    suspects: 3,
                    theft_and_resale_ring: true,
                }),
            ),
        ],
    )
    .await;
    record(
        &store,
        "vehicle.ebike.E20000172211010218905BD2",
        vec![(at(2, 5), registered(ouhai))],
    )
    .await;
    let account = ReceivingAccount {
        account: minsheng_contracts::fixtures::sealed(&PersonKey::from_hash("0".repeat(32))),
        institution: Institution::parse("i", "icbc").unwrap(),
    };
    record(
        &store,
        "fraud.alert.a1",
        vec![(
            at(12, 25),
            published(fraud::AlertReported {
                victim: PersonKey::from_hash("1".repeat(32)),
                amount: Fen::parse("a", 270_000_000).unwrap(),
                channel: Channel::PhoneCall,
                transferred_at: at(12, 25),
                reported_at: at(12, 25),
                accounts: vec![account.clone()],
                fraud_numbers: vec![],
            }),
        )],
    )
    .await;
    record(
        &store,
        "fraud.stop.s1",
        vec![
            (
                at(12, 25),
                published(fraud::StopPaymentRequested {
                    alert_id: "a1".into(),
                    account,
                    amount: Fen::parse("a", 270_000_000).unwrap(),
                    alert_reported_at: at(12, 25),
                    requested_at: at(12, 25) + chrono::Duration::minutes(4),
                    deadline: at(12, 26),
                }),
            ),
            (
                at(12, 25),
                published(fraud::FundsFrozen {
                    amount: Fen::parse("a", 270_000_000).unwrap(),
                    answered_at: at(12, 25),
                }),
            ),
        ],
    )
    .await;
    record(
        &store,
        "fraud.fugitive.f1",
        vec![(
            at(6, 1),
            published(fraud::FugitiveReturned {
                way: ReturnWay::Repatriated,
                on: at(6, 1).date_naive(),
            }),
        )],
    )
    .await;

    let mut book = KpiBook::new();
    // The contexts the events above were written to, named here rather
    // than taken from the projection's own list.
    for context in ["vehicle", "fraud"] {
        let events = store
            .read_all(&Context::parse(context).unwrap(), Position::START, 1000)
            .await
            .unwrap();
        for event in &events {
            fold(&mut book, event).unwrap();
        }
    }
    let year = Period::Year(2015);
    let march = Period::Month {
        year: 2015,
        month: 3,
    };
    assert_eq!(book.value(year, Kpi::EbikesRegistered, None), 2);
    assert_eq!(book.value(year, Kpi::EbikesRegistered, Some(lucheng)), 1);
    assert_eq!(book.value(march, Kpi::TheftsReported, None), 1);
    assert_eq!(book.value(march, Kpi::Hits, Some(ouhai)), 1);
    assert_eq!(
        book.value(march, Kpi::Hits, Some(lucheng)),
        0,
        "a hit counts where the reader is"
    );
    assert_eq!(book.value(year, Kpi::BikesRecovered, None), 1);
    assert_eq!(
        (
            book.value(year, Kpi::CasesSolved, None),
            book.value(year, Kpi::Suspects, None)
        ),
        (1, 3)
    );
    assert_eq!(book.value(year, Kpi::TheftAndResaleCases, None), 1);
    assert_eq!(book.value(year, Kpi::AmountReportedFen, None), 270_000_000);
    assert_eq!(book.value(year, Kpi::AmountStoppedFen, None), 270_000_000);
    assert_eq!(book.stopped_ratio(year), Some(1.0));
    assert_eq!(book.median_alert_to_request(year), Some(240));
    assert_eq!(book.value(year, Kpi::FugitivesRepatriated, None), 1);
    assert_eq!(
        book.value(Period::Year(2014), Kpi::EbikesRegistered, None),
        0
    );
}

/// The contract's golden payloads, stored as their producers store them,
/// fold without error: the book reads what the producers write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_golden_payload_folds() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("events.db")).unwrap();
    for (n, fixture) in minsheng_contracts::fixtures::ALL.iter().enumerate() {
        let (context, _) = fixture.event_type.split_once('.').unwrap();
        let payload: serde_json::Value = serde_json::from_str(fixture.json).unwrap();
        let event = NewEvent::new(fixture.event_type, fixture.version, &payload)
            .unwrap()
            .occurred_at(at(3, 11));
        record(
            &store,
            &format!("{context}.golden.g{n}"),
            vec![(at(3, 11), event)],
        )
        .await;
    }
    let mut book = KpiBook::new();
    let mut folded = 0;
    for context in ["vehicle", "fraud"] {
        let events = store
            .read_all(&Context::parse(context).unwrap(), Position::START, 1000)
            .await
            .unwrap();
        for event in &events {
            fold(&mut book, event).unwrap_or_else(|e| panic!("{}: {e}", event.event_type));
            folded += 1;
        }
    }
    let read_here = minsheng_contracts::fixtures::ALL
        .iter()
        .filter(|f| f.event_type.starts_with("vehicle.") || f.event_type.starts_with("fraud."))
        .count();
    assert_eq!(folded, read_here);
    // One alert at each version of its type: both are counted.
    assert_eq!(book.value(Period::Year(2015), Kpi::FraudAlerts, None), 2);
}
