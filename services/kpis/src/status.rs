//! Where the KPI projection stands, for operators (`minsheng projections
//! status`): the saved snapshot, read from the store by anyone who can
//! open it, and a running replica's live view, answered by the replica.

use minsheng_eventstore::{Context, EventStore, Position};
use minsheng_runtime::subscription::SubscriptionMetrics;

use crate::domain::fold::CONTEXTS;
use crate::projection::{self, KpiView, ProjectionError, SNAPSHOT};

/// Where the saved snapshot stands in each context, one line each, for
/// operators (`minsheng projections status`). Positions compare within a
/// context only.
pub async fn saved(store: &dyn EventStore) -> Result<Vec<String>, ProjectionError> {
    let saved = projection::load(store).await?;
    let mut lines = vec![format!(
        "{SNAPSHOT}: {}",
        if saved.is_some() {
            "snapshot saved"
        } else {
            "no snapshot yet"
        }
    )];
    for name in CONTEXTS {
        let context = Context::parse(name)?;
        let head = store.head(&context).await?;
        let at = saved
            .as_ref()
            .and_then(|c| c.positions.get(name).copied())
            .unwrap_or(Position::START);
        let state = if at >= head {
            "caught up".to_owned()
        } else {
            // How much time the events not yet in the snapshot span.
            let first_missing = store.read_all(&context, at, 1).await?;
            let last = store
                .read_all(&context, Position(head.0.saturating_sub(1)), 1)
                .await?;
            match (first_missing.first(), last.first()) {
                (Some(from), Some(to)) => format!(
                    "behind, by events recorded over {} s",
                    (to.recorded_at - from.recorded_at).num_seconds().max(0)
                ),
                _ => "behind".to_owned(),
            }
        };
        lines.push(format!("  {name:<8} at {at}, last event {head}: {state}"));
    }
    Ok(lines)
}

/// One context as a running replica's projection has it now.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveContext {
    pub context: &'static str,
    /// The last event counted (the book's own, so right after a rebuild
    /// too), and the context's last event now.
    pub position: Position,
    pub head: Position,
    /// The age of the event counted last when it was counted; 0 once
    /// caught up.
    pub lag_seconds: f64,
    /// Events counted since the process started.
    pub events_counted: u64,
}

/// This replica's projection, context by context.
pub async fn live(
    store: &dyn EventStore,
    view: &KpiView,
    metrics: &SubscriptionMetrics,
) -> Result<Vec<LiveContext>, ProjectionError> {
    let mut contexts = Vec::with_capacity(CONTEXTS.len());
    for name in CONTEXTS {
        let head = store.head(&Context::parse(name)?).await?;
        let position = view.read(|c| c.positions.get(name).copied().unwrap_or(Position::START));
        let reading = metrics.reading(&projection::consumer_label(name));
        contexts.push(LiveContext {
            context: name,
            position,
            head,
            lag_seconds: reading.lag_seconds,
            events_counted: reading.events,
        });
    }
    Ok(contexts)
}
