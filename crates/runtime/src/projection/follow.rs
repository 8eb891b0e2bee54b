//! Following the contexts: one loop over every context's subscription,
//! folding each event once, saving on the leader by the policy.

use std::collections::{BTreeMap, HashMap};
use std::sync::PoisonError;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
use minsheng_eventstore::{Context, EventStore, Position, RecordedEvent, StoreError};
use prometheus_client::metrics::counter::Counter;

use super::{Folded, Projection, ProjectionError, ReadModel};
use crate::subscription::{ConsumerLabel, SubscriptionMetrics};

/// How often watchers hear of changes while events keep coming.
pub(super) const CHANGES_EVERY: Duration = Duration::from_millis(200);

impl<M: ReadModel> Projection<M> {
    /// Follows every context from the model's positions until `stop`
    /// resolves; while this replica leads, saves a snapshot by the spec's
    /// policy, and on the way out. `caught_up` is called once the model has
    /// folded every event that existed when it started. With `metrics`,
    /// each context's lag, position and event count are on `/metrics`.
    pub async fn follow(
        &self,
        store: &dyn EventStore,
        metrics: Option<&SubscriptionMetrics>,
        caught_up: impl FnOnce(),
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<(), ProjectionError> {
        let spec = self.spec;
        let policy = spec.save;
        let labels: BTreeMap<&str, ConsumerLabel> = spec
            .contexts
            .iter()
            .map(|c| (*c, spec.consumer_label(c)))
            .collect();
        // The contexts still behind the head they had at the start.
        let mut behind: BTreeMap<&str, Position> = BTreeMap::new();
        let mut streams = Vec::new();
        for name in spec.contexts {
            let context = Context::parse(name)?;
            let head = store.head(&context).await?;
            let after = self.read(|f| f.position(name));
            if after < head {
                behind.insert(name, head);
            }
            let events = store.subscribe(&context, after).await?;
            streams.push(events.map(move |e| (*name, e)).boxed());
        }
        let mut caught_up = Some(caught_up);
        let mut all = futures::stream::select_all(streams);
        let (mut unsaved, mut last_save) = (0u64, Instant::now());
        if behind.is_empty()
            && let Some(done) = caught_up.take()
        {
            done();
        }
        let ended =
            || ProjectionError::from(StoreError::Unavailable("a subscription ended".to_owned()));
        let span_name = format!("{} fold", spec.name);
        tokio::pin!(stop);
        // An event already taken from the subscriptions, not yet folded.
        let mut waiting = None;
        // Per context and type, the counter of events the model does not
        // read (kept here, not looked up by labels built per event).
        let mut not_read: BTreeMap<&str, HashMap<String, Counter>> = BTreeMap::new();
        // Events folded that watchers have not heard of yet (a count: the
        // clock is read only once every 1024 of them).
        let (mut unannounced, mut announced_at) = (0u64, Instant::now());
        loop {
            if waiting.is_none()
                && let Some(metrics) = metrics
            {
                // Nothing waits: the contexts that have caught up lag by
                // nothing (said before watchers hear of the change, so that
                // what they read next agrees).
                for (context, label) in &labels {
                    if !behind.contains_key(context) {
                        metrics.idle(label);
                    }
                }
            }
            let announce = unannounced > 0
                && (waiting.is_none()
                    || (unannounced.is_multiple_of(1024)
                        && announced_at.elapsed() >= CHANGES_EVERY));
            if announce {
                self.changed();
                (unannounced, announced_at) = (0, Instant::now());
            }
            let next = match waiting.take() {
                Some(next) => Some(next),
                None => {
                    tokio::select! {
                        () = &mut stop => break,
                        () = tokio::time::sleep(policy.every), if unsaved > 0 => None,
                        () = self.swapped.notified() => {
                            // A rebuilt model: saved like any change.
                            unsaved += 1;
                            None
                        }
                        next = all.next() => Some(next.ok_or_else(ended)?),
                    }
                }
            };
            if let Some((context, event)) = next {
                let event = event?;
                let folded = self.fold_traced(context, &event, &span_name)?;
                if folded.is_some() {
                    unsaved += 1;
                    unannounced += 1;
                }
                if let (Some(metrics), Some(label)) = (metrics, labels.get(context)) {
                    metrics.handled(label, &event);
                    if folded == Some(Folded::NotRead) {
                        let by_type = not_read.entry(context).or_default();
                        match by_type.get(event.event_type.as_str()) {
                            Some(counter) => {
                                counter.inc();
                            }
                            None => {
                                self.log_not_read(context, &event.event_type);
                                let counter = metrics.skipped_counter(label, &event.event_type);
                                counter.inc();
                                by_type.insert(event.event_type.clone(), counter);
                            }
                        }
                    }
                }
                if behind
                    .get(context)
                    .is_some_and(|head| event.position >= *head)
                {
                    behind.remove(context);
                    if behind.is_empty()
                        && let Some(done) = caught_up.take()
                    {
                        done();
                    }
                }
                if (&mut stop).now_or_never().is_some() {
                    break;
                }
                waiting = match all.next().now_or_never() {
                    None => None,
                    Some(Some(next)) => Some(next),
                    Some(None) => return Err(ended()),
                };
            }
            // (The clock only when nothing waits: under a steady stream the
            // count decides.)
            let due = unsaved >= policy.every_events
                || (unsaved > 0 && waiting.is_none() && last_save.elapsed() >= policy.every);
            if due && self.leading() {
                self.save(store).await?;
                (unsaved, last_save) = (0, Instant::now());
            }
        }
        if unsaved > 0 && self.leading() {
            self.save(store).await?;
        }
        Ok(())
    }

    /// Folds `event`; one written under a trace is folded in a span linked
    /// to the writer's, like every follower's work.
    fn fold_traced(
        &self,
        context: &str,
        event: &RecordedEvent,
        span_name: &str,
    ) -> Result<Option<Folded>, ProjectionError> {
        let Some(traceparent) = &event.metadata.traceparent else {
            return self.fold(context, event);
        };
        let span = tracing::info_span!(
            "projection.fold",
            otel.name = %span_name,
            projection = %self.spec.name,
            event.r#type = %event.event_type,
            event.position = event.position.0,
        );
        crate::telemetry::link_to_traceparent(&span, traceparent);
        span.in_scope(|| self.fold(context, event))
    }

    /// Says once per process that a type of `context` is not read.
    fn log_not_read(&self, context: &str, event_type: &str) {
        let first = self
            .logged_not_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((context.to_owned(), event_type.to_owned()));
        if first {
            tracing::info!(
                projection = %self.spec.name,
                context,
                event_type,
                "a type this projection does not read: skipped (counted in minsheng_subscription_skipped_total)"
            );
        }
    }
}
