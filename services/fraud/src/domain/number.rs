//! A number on the phone firewall's blocklist: blocked when an alert names
//! it or an analyst adds it, unblocked by an analyst with a reason. One
//! stream per number, named by a keyed hash of it (a number is personal
//! data). Its history is the stream.

use chrono::{DateTime, Utc};
use minsheng_contracts::fraud::NumberBlocked;
use minsheng_eventstore::Aggregate;

use super::events::{BlockCategory, FraudEvent};
use super::values::{Number, Text};

#[derive(Clone, Debug, Default)]
pub struct BlockedNumber {
    pub blocked_since: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub enum NumberCommand {
    Block {
        number: Number,
        category: BlockCategory,
        alert_id: Option<String>,
        reason: Option<Text>,
        now: DateTime<Utc>,
    },
    Unblock {
        number: Number,
        reason: Text,
        now: DateTime<Utc>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NumberRule {
    #[error("this number is not blocked")]
    NotBlocked,
}

impl Aggregate for BlockedNumber {
    type Event = FraudEvent;
    type Command = NumberCommand;
    type Error = NumberRule;

    fn apply(&mut self, event: &FraudEvent) {
        match event {
            FraudEvent::NumberBlocked(NumberBlocked { at, .. }) => self.blocked_since = Some(*at),
            FraudEvent::NumberUnblocked { .. } => self.blocked_since = None,
            _ => {}
        }
    }

    fn decide(&self, command: &NumberCommand) -> Result<Vec<FraudEvent>, NumberRule> {
        match command {
            // Blocked already (another alert named it): nothing new.
            NumberCommand::Block { .. } if self.blocked_since.is_some() => Ok(vec![]),
            NumberCommand::Block {
                number,
                category,
                alert_id,
                reason,
                now,
            } => Ok(vec![FraudEvent::NumberBlocked(NumberBlocked {
                number: *number,
                category: *category,
                alert_id: alert_id.clone(),
                reason: reason.clone(),
                at: *now,
            })]),
            NumberCommand::Unblock { .. } if self.blocked_since.is_none() => {
                Err(NumberRule::NotBlocked)
            }
            NumberCommand::Unblock {
                number,
                reason,
                now,
            } => Ok(vec![FraudEvent::NumberUnblocked {
                number: *number,
                reason: reason.clone(),
                at: *now,
            }]),
        }
    }
}
