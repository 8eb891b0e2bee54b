//! The HTTP side of a process: `/healthz` (alive), `/readyz` (ready for
//! traffic, with each component's state) and `/metrics` (Prometheus text).
//! More routes (the dashboard, JSON APIs) are merged in by the targets.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::health::Readiness;
use crate::metrics::MetricsRegistry;
use crate::shutdown::Shutdown;

/// What the built-in routes read.
#[derive(Clone, Debug)]
pub struct HttpState {
    pub readiness: Readiness,
    pub metrics: MetricsRegistry,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn readyz(State(state): State<HttpState>) -> Response {
    let (components, draining) = state.readiness.report();
    let body = serde_json::json!({
        "ready": state.readiness.is_ready(),
        "draining": draining,
        "components": components,
    });
    let status = if state.readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<HttpState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Binds `addr` (port 0 picks a free one), then serves `router` until
/// `shutdown`, letting requests in flight finish. Returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await
    });
    Ok((bound, task))
}
