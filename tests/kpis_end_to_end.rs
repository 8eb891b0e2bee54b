//! The city's figures, end to end: events fed through the real services
//! over gRPC (vehicle-iot and fraud), the kpis target projecting them,
//! every figure checked against a count made here; a restart changes
//! nothing, and the HTTP API says the same.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use minsheng_proto::fraud::v1 as fraud;
use minsheng_proto::kpis::v1 as kpis;
use minsheng_runtime::auth::TokenKeys;
use minsheng_runtime::local::{self, LocalProcess};
use minsheng_runtime::person_keys::PersonKeys;
use minsheng_runtime::target::Target;
use support::city::{as_role, expected, feed, figures_by_name, now};
use tonic::transport::Channel;

fn keys() -> TokenKeys {
    TokenKeys::from_secret(b"the kpi test's signing key......")
}

/// The KPI projection's status, asked as an operator.
async fn metrics_status(
    projections: &mut kpis::projections_client::ProjectionsClient<Channel>,
) -> kpis::ProjectionStatus {
    projections
        .status(as_role(
            &keys(),
            "operator",
            None,
            kpis::StatusRequest {
                projection: "kpis".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// A process running the three targets on one embedded store.
async fn spawn(dir: &std::path::Path) -> LocalProcess {
    let store =
        minsheng_runtime::store::open(&format!("sqlite://{}", dir.join("events.db").display()), 1)
            .await
            .unwrap();
    let targets: Vec<Arc<dyn Target>> = vec![
        Arc::new(minsheng_vehicle_iot::VehicleIotTarget::default()),
        Arc::new(minsheng_fraud::FraudTarget::default()),
        Arc::new(minsheng_kpis::KpisTarget),
    ];
    let person_keys = PersonKeys::from_secret(b"the kpi test's person key.......");
    local::start(
        store,
        &targets,
        keys(),
        person_keys,
        minsheng_runtime::personal_data::ephemeral(),
    )
    .await
    .unwrap()
}

trait Figures {
    async fn channel(&self) -> Channel;
    async fn figures(&self, district: &str) -> BTreeMap<String, i64>;
}

impl Figures for LocalProcess {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }
    async fn figures(&self, district: &str) -> BTreeMap<String, i64> {
        let answer = kpis::kpis_client::KpisClient::new(self.channel().await)
            .get_kpis(as_role(
                &keys(),
                "viewer",
                None,
                kpis::GetKpisRequest {
                    period: String::new(),
                    district: district.into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        answer
            .figures
            .into_iter()
            .map(|f| (f.name, f.value))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_figure_is_what_the_services_did_and_a_restart_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(dir.path()).await;
    feed(app.channel().await, &keys()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.figures("").await != expected() {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            app.figures("").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A watcher gets the figures at once, then again when they change.
    let mut watch = kpis::kpis_client::KpisClient::new(app.channel().await)
        .watch_kpis(as_role(
            &keys(),
            "viewer",
            None,
            kpis::GetKpisRequest {
                period: String::new(),
                district: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    let value = |figures: &kpis::KpiFigures, name: &str| {
        figures
            .figures
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .value
    };
    let alerts_before = expected()["fraud_alerts"];
    assert_eq!(value(&first, "fraud_alerts"), alerts_before);
    let mut alerts = fraud::alerts_client::AlertsClient::new(app.channel().await);
    alerts
        .report_alert(as_role(
            &keys(),
            "fraud-analyst",
            None,
            fraud::ReportAlertRequest {
                victim_resident_id: "11010519491231002X".into(),
                amount_fen: 100,
                channel: fraud::FraudChannel::Sms as i32,
                transferred_at: Some(now()),
                accounts: vec![fraud::ReceivingAccount {
                    account: "6222020200112233446".into(),
                    institution: "icbc".into(),
                }],
                fraud_numbers: vec![],
            },
        ))
        .await
        .unwrap();
    let changed = tokio::time::timeout(Duration::from_secs(20), watch.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(value(&changed, "fraud_alerts"), alerts_before + 1);
    drop(watch);
    // A rebuild is an operator's, of a projection that exists.
    let mut projections = kpis::projections_client::ProjectionsClient::new(app.channel().await);
    let refused = projections
        .rebuild(as_role(
            &keys(),
            "officer",
            None,
            kpis::RebuildRequest {
                projection: "kpis".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let refused = projections
        .rebuild(as_role(
            &keys(),
            "operator",
            None,
            kpis::RebuildRequest {
                projection: "gang-cases".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("projection"), "{refused:?}");
    let mut expected = expected();
    *expected.get_mut("fraud_alerts").unwrap() += 1;
    *expected.get_mut("amount_reported_fen").unwrap() += 100;
    let lucheng = app.figures("lucheng").await;
    assert_eq!((lucheng["ebikes_registered"], lucheng["hits"]), (2, 0));
    assert_eq!(
        app.figures("ouhai").await["hits"],
        1,
        "a hit counts where its reader is"
    );
    // The projection reads like any consumer: events and position per context.
    let http = app.http;
    let (_, prometheus) = minsheng_testkit::http_get_async(http, "/metrics")
        .await
        .unwrap();
    let consumer = |family: &str| {
        prometheus
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{family}{{consumer=\"metrics-kpis:vehicle\"}} "))
            })
            .and_then(|v| v.parse::<f64>().ok())
    };
    assert!(
        consumer("minsheng_subscription_events_total").is_some_and(|n| n >= 6.0),
        "{prometheus}"
    );
    assert!(
        consumer("minsheng_subscription_position").is_some_and(|n| n >= 1.0),
        "{prometheus}"
    );
    // Status says the same, context by context, caught up with each head.
    let status = metrics_status(&mut projections).await;
    assert!(status.leading, "the embedded process leads");
    let contexts: Vec<&str> = status.contexts.iter().map(|c| c.context.as_str()).collect();
    assert_eq!(contexts, ["vehicle", "fraud"]);
    for context in &status.contexts {
        assert!(
            context.position == context.head && context.head > 0,
            "{context:?}"
        );
        assert_eq!(context.lag_seconds, 0.0, "caught up: {context:?}");
    }
    assert_eq!(
        Some(status.contexts[0].events_counted as f64),
        consumer("minsheng_subscription_events_total")
    );
    let refused = projections
        .status(as_role(
            &keys(),
            "operator",
            None,
            kpis::StatusRequest {
                projection: "kpi".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("projection"), "{refused:?}");
    app.stop().await.unwrap();

    let app = spawn(dir.path()).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.figures("").await != expected {
        assert!(
            std::time::Instant::now() < deadline,
            "after a restart: {:?}",
            app.figures("").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stays so: once the projection stands at each context's last event,
    // nothing is left to count twice.
    let mut projections = kpis::projections_client::ProjectionsClient::new(app.channel().await);
    minsheng_testkit::eventually("caught up with every context", async || {
        let status = metrics_status(&mut projections).await;
        status.contexts.iter().all(|c| c.position == c.head)
    })
    .await;
    assert_eq!(app.figures("").await, expected);

    let http = app.http;
    let (status, body) = minsheng_testkit::http_get_async(http, "/api/v1/kpis")
        .await
        .unwrap();
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    let from_http = figures_by_name(&json);
    assert_eq!(from_http, expected);
    let (status, _) = minsheng_testkit::http_get_async(http, "/api/v1/kpis?period=2015-13")
        .await
        .unwrap();
    assert_eq!(status, 400);

    // The dashboard's overview: the year's figures, its 12 months and the
    // 11 districts, read at one moment; a bad year is refused by name.
    let (status, body) = minsheng_testkit::http_get_async(http, "/api/v1/kpis/overview")
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let overview: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        overview["city"], json,
        "the year's figures are /api/v1/kpis's"
    );
    assert_eq!(overview["months"].as_array().unwrap().len(), 12);
    let districts = overview["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 11);
    let lucheng = districts
        .iter()
        .find(|d| d["district"] == "lucheng")
        .unwrap();
    assert_eq!(lucheng["figures"][0]["name"], "ebikes_registered");
    assert_eq!(lucheng["figures"][0]["value"], 2);
    let (status, body) = minsheng_testkit::http_get_async(http, "/api/v1/kpis/overview?year=last")
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(body.contains(r#""field":"year""#), "{body}");
    let (_, prometheus) = minsheng_testkit::http_get_async(http, "/metrics")
        .await
        .unwrap();
    for line in [
        r#"minsheng_kpi{kpi="ebikes_registered",period="year",district="all"} 9"#,
        r#"minsheng_kpi{kpi="ebikes_registered",period="year",district="lucheng"} 2"#,
        r#"minsheng_kpi{kpi="amount_stopped_fen",period="month",district="all"} 400000"#,
    ] {
        assert!(
            prometheus.lines().any(|l| l == line),
            "{line} not in {prometheus}"
        );
    }
    // The projection reads like any consumer (caught up: no lag).
    assert!(
        prometheus
            .lines()
            .any(|l| l
                == r#"minsheng_subscription_lag_seconds{consumer="metrics-kpis:vehicle"} 0.0"#),
        "{prometheus}"
    );
    app.stop().await.unwrap();
}
