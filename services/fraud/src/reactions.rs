//! What the centre does on its own when something is recorded: every
//! number an alert names is blocked. A subscriber with its checkpoint in
//! the store, so the reaction survives a crash between the alert and the
//! block: it runs again from the checkpoint (blocking is idempotent), and
//! the analyst's call is answered as soon as the alert itself is durable.
//! A singleton: only the replica that leads `fraud-block-named-numbers`
//! runs it (another would only find the numbers blocked already), and a
//! new leader resumes from the checkpoint.

use std::sync::Arc;

use async_trait::async_trait;
use minsheng_contracts::fraud::AlertReported;
use minsheng_eventstore::{CommandContext, Context, Metadata, RecordedEvent, codec};
use minsheng_runtime::subscription::{Subscriber, SubscriberError};

use crate::app::FraudApp;
use crate::domain::events::FraudEvent;

#[derive(Debug)]
pub struct BlockNamedNumbers {
    app: Arc<FraudApp>,
    context: Context,
}

impl BlockNamedNumbers {
    pub fn new(app: Arc<FraudApp>, context: Context) -> Self {
        BlockNamedNumbers { app, context }
    }
}

#[async_trait]
impl Subscriber for BlockNamedNumbers {
    fn name(&self) -> &str {
        "fraud-block-named-numbers"
    }

    fn context(&self) -> &Context {
        &self.context
    }

    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), SubscriberError> {
        if event.event_type != "fraud.AlertReported" {
            return Ok(());
        }
        let FraudEvent::AlertReported(AlertReported { fraud_numbers, .. }) = codec::decode(event)?
        else {
            return Ok(());
        };
        let context = CommandContext {
            request_id: None,
            metadata: Metadata {
                actor: Some("fraud-firewall".to_owned()),
                causation_id: Some(event.event_id.to_string()),
                correlation_id: event.metadata.correlation_id.clone(),
                // The reaction's own span (the runtime opens one per
                // traced event, linked to the alert's): the blocks it
                // writes are followed back through it, not past it.
                traceparent: minsheng_runtime::telemetry::current_traceparent()
                    .or_else(|| event.metadata.traceparent.clone()),
                ..Metadata::default()
            },
        };
        self.app
            .block_named_numbers(event.stream.id(), &fraud_numbers, &context)
            .await
            .map_err(|e| SubscriberError::Handler(e.to_string()))
    }
}
