//! Stop-payment deadlines, on the runtime's durable deadlines
//! (`minsheng_runtime::deadlines`): a request schedules its deadline, an
//! answer or an expiry settles it, and firing it expires the request
//! through the command runner. The domain makes the expiry idempotent (an
//! answered or expired request expires no more), the runner's expected
//! version makes it happen once however many replicas fire it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_contracts::fraud::StopPaymentRequested;
use minsheng_eventstore::{CommandContext, Context, Metadata, RecordedEvent, StreamName, codec};
use minsheng_runtime::deadlines::{DeadlineChange, Deadlines};
use minsheng_runtime::subscription::SubscriberError;

use crate::app::FraudApp;
use crate::domain::events::FraudEvent;
use crate::domain::stop_payment::StopCommand;

/// The deadlines' name: their leadership, metrics label and table.
pub const NAME: &str = "fraud-deadlines";

/// Settle a stop-payment's deadline: it has its answer, or has expired.
const SETTLING: [&str; 4] = [
    "fraud.PaymentStopped",
    "fraud.FundsFrozen",
    "fraud.StopPaymentFailed",
    "fraud.StopPaymentExpired",
];

#[derive(Debug)]
pub struct StopPaymentDeadlines {
    pub app: Arc<FraudApp>,
    pub context: Context,
}

#[async_trait]
impl Deadlines for StopPaymentDeadlines {
    fn name(&self) -> &str {
        NAME
    }

    fn context(&self) -> &Context {
        &self.context
    }

    fn change(&self, event: &RecordedEvent) -> Result<Option<DeadlineChange>, SubscriberError> {
        let id = event.stream.as_str();
        let event_type = event.event_type.as_str();
        if SETTLING.contains(&event_type) {
            return Ok(Some(DeadlineChange::Settled { id: id.to_owned() }));
        }
        if event_type != "fraud.StopPaymentRequested" {
            return Ok(None);
        }
        match codec::decode(event)? {
            FraudEvent::StopPaymentRequested(StopPaymentRequested { deadline, .. }) => {
                Ok(Some(DeadlineChange::Scheduled {
                    id: id.to_owned(),
                    due: deadline,
                }))
            }
            _ => Ok(None),
        }
    }

    async fn fire(&self, id: &str, _due: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
        let stream = StreamName::parse(id).map_err(|e| e.to_string())?;
        let context = CommandContext {
            request_id: None,
            metadata: Metadata {
                actor: Some("deadline-timer".to_owned()),
                ..Metadata::default()
            },
        };
        self.app
            .stop(stream.id(), StopCommand::Expire { now }, &context)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
