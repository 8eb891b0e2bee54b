//! Owners' answers to officers' theft reports, on the runtime's durable
//! deadlines (`minsheng_runtime::deadlines`): an officer's report
//! schedules its `confirm_by`; the owner's answer, the review or a
//! recovery settles it; firing it sends an unanswered report to review
//! through the command runner (the domain does nothing if the owner
//! answered meanwhile).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::{EbikeReportedStolen, TheftReporter};
use minsheng_eventstore::{CommandContext, Context, Metadata, RecordedEvent, codec};
use minsheng_runtime::deadlines::{DeadlineChange, Deadlines};
use minsheng_runtime::subscription::SubscriberError;

use crate::app::VehicleApp;
use crate::domain::ebike::EbikeCommand;
use crate::domain::events::VehicleEvent;
use crate::domain::values::TagId;

/// The deadlines' name: their leadership, metrics label and table.
pub const NAME: &str = "vehicle-theft-confirmations";

/// Settle a report's deadline: the owner answered, it went to review, or
/// the bike is back.
const SETTLING: [&str; 3] = [
    "vehicle.TheftReportConfirmedByOwner",
    "vehicle.TheftReportUnderReview",
    "vehicle.EbikeRecovered",
];

#[derive(Debug)]
pub struct TheftConfirmationDeadlines {
    pub app: Arc<VehicleApp>,
    pub context: Context,
}

#[async_trait]
impl Deadlines for TheftConfirmationDeadlines {
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
        if event_type != "vehicle.EbikeReportedStolen" {
            return Ok(None);
        }
        match codec::decode(event)? {
            VehicleEvent::EbikeReportedStolen(EbikeReportedStolen {
                reported_by: TheftReporter::Officer { confirm_by, .. },
                ..
            }) => Ok(Some(DeadlineChange::Scheduled {
                id: id.to_owned(),
                due: confirm_by,
            })),
            _ => Ok(None),
        }
    }

    async fn fire(&self, id: &str, _due: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
        let tag = id
            .strip_prefix("vehicle.ebike.")
            .and_then(|tag| TagId::parse("tag_id", tag).ok())
            .ok_or_else(|| format!("not a bike's stream: {id}"))?;
        let context = CommandContext {
            request_id: None,
            metadata: Metadata {
                actor: Some("deadline-timer".to_owned()),
                ..Metadata::default()
            },
        };
        self.app
            .ebike(tag, EbikeCommand::ReviewIfUnconfirmed { now }, &context)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
