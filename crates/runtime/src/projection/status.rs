//! Where a projection stands, for operators (`minsheng projections
//! status`): the saved snapshot, read from the store by anyone who can
//! open it, and a running replica's live model, answered by the replica.

use std::collections::BTreeMap;

use minsheng_eventstore::{Context, EventStore, Position};
use serde::Deserialize;

use super::{Projection, ProjectionError, ReadModel, Spec, load_snapshot};
use crate::subscription::SubscriptionMetrics;

/// A snapshot's positions, whatever its model.
#[derive(Deserialize)]
struct Positions {
    positions: BTreeMap<String, Position>,
}

/// Where the saved snapshot of `spec` stands in each context, one line
/// each. Positions compare within a context only.
pub async fn saved(spec: &Spec, store: &dyn EventStore) -> Result<Vec<String>, ProjectionError> {
    let saved: Option<Positions> = load_snapshot(store, spec.snapshot).await?;
    let mut lines = vec![format!(
        "{}: {}",
        spec.snapshot,
        if saved.is_some() {
            "snapshot saved"
        } else {
            "no snapshot yet"
        }
    )];
    for name in spec.contexts {
        let context = Context::parse(name)?;
        let head = store.head(&context).await?;
        let at = saved
            .as_ref()
            .and_then(|s| s.positions.get(*name).copied())
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
    /// The last event folded (the model's own, so right after a rebuild
    /// too), and the context's last event now.
    pub position: Position,
    pub head: Position,
    /// The age of the event folded last when it was folded; 0 once
    /// caught up.
    pub lag_seconds: f64,
    /// Events folded since the process started.
    pub events_folded: u64,
}

impl<M: ReadModel> Projection<M> {
    /// This replica's projection, context by context.
    pub async fn live(
        &self,
        store: &dyn EventStore,
        metrics: &SubscriptionMetrics,
    ) -> Result<Vec<LiveContext>, ProjectionError> {
        let spec = self.spec();
        let mut contexts = Vec::with_capacity(spec.contexts.len());
        for name in spec.contexts {
            let head = store.head(&Context::parse(name)?).await?;
            let reading = metrics.reading(&spec.consumer_label(name));
            contexts.push(LiveContext {
                context: name,
                position: self.read(|f| f.position(name)),
                head,
                lag_seconds: reading.lag_seconds,
                events_folded: reading.events,
            });
        }
        Ok(contexts)
    }
}
