//! The built-in HTTP routes over a real socket on loopback.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Duration;

use minsheng_runtime::health::Readiness;
use minsheng_runtime::http::{HttpState, router, serve};
use minsheng_runtime::metrics::MetricsRegistry;
use minsheng_runtime::shutdown::Shutdown;
use minsheng_testkit::http_get;
use prometheus_client::metrics::counter::Counter;

async fn spawn_app(
    readiness: Readiness,
    metrics: MetricsRegistry,
) -> (
    SocketAddr,
    Shutdown,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let shutdown = Shutdown::new();
    let state = HttpState { readiness, metrics };
    let (addr, task) = serve(
        "127.0.0.1:0".parse().unwrap(),
        router(state),
        shutdown.clone(),
    )
    .await
    .unwrap();
    (addr, shutdown, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_components_and_goes_false_on_drain() {
    let readiness = Readiness::new();
    readiness.set("store", false);
    let (addr, shutdown, task) = spawn_app(readiness.clone(), MetricsRegistry::new()).await;

    let probe = move |path: &'static str| {
        tokio::task::spawn_blocking(move || http_get(addr, path).unwrap())
    };
    assert_eq!(probe("/healthz").await.unwrap(), (200, "ok\n".to_owned()));
    let (status, body) = probe("/readyz").await.unwrap();
    assert_eq!(status, 503);
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["components"]["store"], false);

    readiness.set("store", true);
    assert_eq!(probe("/readyz").await.unwrap().0, 200);
    readiness.drain();
    let (status, body) = probe("/readyz").await.unwrap();
    assert_eq!(status, 503);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["draining"],
        true
    );
    assert_eq!(probe("/nowhere").await.unwrap().0, 404);

    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_as_prometheus_text() {
    let registry = MetricsRegistry::new();
    let appends = Counter::<u64>::default();
    registry.register("test_appends", "Appends seen by the test", appends.clone());
    appends.inc_by(3);
    let (addr, shutdown, _task) = spawn_app(Readiness::new(), registry).await;

    let (status, body) = tokio::task::spawn_blocking(move || http_get(addr, "/metrics").unwrap())
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(
        body.lines().any(|l| l == "minsheng_test_appends_total 3"),
        "{body}"
    );
    assert!(body.contains("# TYPE minsheng_test_appends counter"));
    assert!(body.trim_end().ends_with("# EOF"));
    // Every sample line is `name{labels} value`.
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        value.parse::<f64>().unwrap();
    }
    shutdown.trigger();
}
