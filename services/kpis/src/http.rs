//! The HTTP side of the kpis target, for dashboards. No token: the
//! figures are aggregates with nothing personal in them, like `/metrics`.
//!
//! - `GET /api/v1/kpis?period=2015&district=lucheng`: one period's figures;
//! - `GET /api/v1/kpis/overview?year=2015`: what the dashboard draws (the
//!   year, its months, its districts), read from the book at one moment;
//! - `GET /`: the wall-screen dashboard, its assets compiled into the binary.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minsheng_runtime::clock::Clock;
use minsheng_values::InvalidField;
use serde::Deserialize;

use crate::projection::KpiProjection;
use crate::query;

#[derive(Debug, Deserialize)]
struct Scope {
    #[serde(default)]
    period: String,
    #[serde(default)]
    district: String,
}

#[derive(Debug, Deserialize)]
struct Year {
    #[serde(default)]
    year: String,
}

/// What the handlers read: the view, and the clock that says which year
/// "this year" is.
#[derive(Clone, Debug)]
struct Shared {
    view: Arc<KpiProjection>,
    clock: Arc<dyn Clock>,
}

pub fn router(view: Arc<KpiProjection>, clock: Arc<dyn Clock>) -> axum::Router {
    axum::Router::new()
        .route("/api/v1/kpis", get(kpis))
        .route("/api/v1/kpis/overview", get(overview))
        .route("/", get(|| asset(INDEX_HTML, "text/html; charset=utf-8")))
        .route(
            "/dashboard.js",
            get(|| asset(DASHBOARD_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/dashboard.css",
            get(|| asset(DASHBOARD_CSS, "text/css; charset=utf-8")),
        )
        .with_state(Shared { view, clock })
}

async fn kpis(State(shared): State<Shared>, Query(scope): Query<Scope>) -> Response {
    match query::scope(&scope.period, &scope.district, shared.clock.now()) {
        Ok((period, district)) => Json(
            shared
                .view
                .read(|c| query::figures(&c.state, period, district)),
        )
        .into_response(),
        Err(e) => bad_request(&e),
    }
}

async fn overview(State(shared): State<Shared>, Query(year): Query<Year>) -> Response {
    let now = shared.clock.now();
    shared.view.read(
        |counted| match query::overview_year(&counted.state, &year.year, now) {
            Ok(year) => Json(query::overview(&counted.state, year)).into_response(),
            Err(e) => bad_request(&e),
        },
    )
}

fn bad_request(e: &InvalidField) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": e.to_string(), "field": e.field})),
    )
        .into_response()
}

const INDEX_HTML: &str = include_str!("../assets/index.html");
const DASHBOARD_JS: &str = include_str!("../assets/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("../assets/dashboard.css");

/// The page may load only what this binary serves: no CDN, no inline code.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
