//! A rolling update, seen by the KPI service: a newer vehicle-iot has
//! started writing a type this build does not know, and later a known type
//! at a schema version this build does not read. The older KPI process
//! keeps counting past the unknown type (counted as skipped, its figures
//! those of a fresh count of the types it knows), and stops at the newer
//! version, counting restarts with reason `newer_schema` so that the
//! restarts alert fires, rather than count it wrong.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use minsheng_contracts::{Published, vehicle};
use minsheng_eventstore::sqlite::SqliteStore;
use minsheng_eventstore::{EventStore, ExpectedVersion, NewEvent, StreamName};
use minsheng_testkit::{eventually, http_get_async};
use minsheng_values::{District, PersonKey};

fn registration(n: u32) -> vehicle::EbikeRegistered {
    vehicle::EbikeRegistered {
        owner: PersonKey::from_hash(format!("{n:032x}")),
        owner_phone: minsheng_contracts::fixtures::sealed(&PersonKey::from_hash("0".repeat(32))),
        frame_number: "FRAME123456".into(),
        motor_number: "MOTOR123456".into(),
        plate: "C12345".into(),
        district: District::parse("d", "ruian").unwrap(),
    }
}

async fn append(store: &dyn EventStore, n: u32, event: NewEvent) {
    let stream = StreamName::parse(&format!("vehicle.ebike.E200001722110102{n:08X}")).unwrap();
    let event = event.occurred_at(Utc.with_ymd_and_hms(2015, 5, 1, 4, 0, 0).unwrap());
    store
        .append(&stream, ExpectedVersion::Any, vec![event], None)
        .await
        .unwrap();
}

async fn register(store: &dyn EventStore, n: u32) {
    let event = NewEvent::new(
        vehicle::EbikeRegistered::EVENT_TYPE,
        vehicle::EbikeRegistered::VERSION,
        &registration(n),
    )
    .unwrap();
    append(store, n, event).await;
}

/// One series of the process's /metrics, 0 when absent.
async fn sample(process: &minsheng_runtime::local::LocalProcess, series: &str) -> f64 {
    minsheng_testkit::metric(process.http, series.trim_end()).await
}

async fn registered_in_2015(process: &minsheng_runtime::local::LocalProcess) -> u64 {
    let (_, body) = http_get_async(process.http, "/api/v1/kpis?period=2015")
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    answer["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "ebikes_registered")
        .and_then(|f| f["value"].as_u64())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_kpi_process_skips_a_newer_type_and_stops_at_a_newer_version() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.path().join("events.db")).unwrap());
    register(store.as_ref(), 1).await;
    // A type only the newer producer knows, between two it does.
    let repainted = NewEvent::new(
        "vehicle.EbikeRepainted",
        1,
        &serde_json::json!({ "colour": "blue" }),
    )
    .unwrap();
    append(store.as_ref(), 1, repainted).await;
    register(store.as_ref(), 2).await;

    let process = minsheng_runtime::local::start(
        store.clone(),
        &[Arc::new(minsheng_kpis::target::KpisTarget)],
        minsheng_runtime::auth::TokenKeys::from_secret(b"test"),
        minsheng_runtime::person_keys::PersonKeys::from_secret(b"test"),
        minsheng_runtime::personal_data::ephemeral(),
    )
    .await
    .unwrap();
    // Ready means caught up: past the unknown type, both counted.
    assert_eq!(registered_in_2015(&process).await, 2);
    let skipped = r#"minsheng_subscription_skipped_total{consumer="metrics-kpis:vehicle",event_type="vehicle.EbikeRepainted"} "#;
    assert_eq!(sample(&process, skipped).await, 1.0);

    // A registration at a schema version this build does not read.
    let newer = NewEvent::new(
        vehicle::EbikeRegistered::EVENT_TYPE,
        vehicle::EbikeRegistered::VERSION + 1,
        &registration(3),
    )
    .unwrap();
    append(store.as_ref(), 3, newer).await;
    let restarts = r#"minsheng_subscription_restarts_total{consumer="metrics-kpis:vehicle",reason="newer_schema"} "#;
    eventually("the restarts counter moves", async || {
        sample(&process, restarts).await >= 1.0
    })
    .await;
    assert_eq!(
        registered_in_2015(&process).await,
        2,
        "not counted as the version this build reads"
    );
    process.stop().await.unwrap();
}
