//! `GET /api/v1/kpis?period=2015&district=lucheng`: the figures as JSON,
//! for dashboards. No token: the figures are aggregates with nothing
//! personal in them, like `/metrics`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::projection::KpiView;
use crate::query;

#[derive(Debug, Deserialize)]
struct Scope {
    #[serde(default)]
    period: String,
    #[serde(default)]
    district: String,
}

pub fn router(view: Arc<KpiView>) -> axum::Router {
    axum::Router::new()
        .route("/api/v1/kpis", get(kpis))
        .with_state(view)
}

async fn kpis(State(view): State<Arc<KpiView>>, Query(scope): Query<Scope>) -> Response {
    match query::scope(&scope.period, &scope.district) {
        Ok((period, district)) => {
            Json(view.read(|c| query::figures(&c.book, period, district))).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": e.to_string(), "field": e.field})),
        )
            .into_response(),
    }
}
