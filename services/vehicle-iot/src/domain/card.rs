//! A floating resident's residence card: issued, renewed, moved out.
//! Stream `vehicle.card.<card id>`.

use chrono::{DateTime, Utc};
use minsheng_contracts::vehicle::ResidentCardIssued;
use minsheng_eventstore::Aggregate;

use super::events::VehicleEvent;
use super::values::{District, PersonKey, Personal, Phone};

#[derive(Clone, Debug, Default)]
pub struct ResidentCard {
    pub issued: bool,
    pub moved_out: bool,
    pub valid_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub enum CardCommand {
    Issue {
        holder: PersonKey,
        /// Sealed for the holder.
        phone: Personal<Phone>,
        district: District,
        valid_until: DateTime<Utc>,
        now: DateTime<Utc>,
    },
    Renew {
        valid_until: DateTime<Utc>,
    },
    MoveOut,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardRule {
    #[error("this card is already issued")]
    AlreadyIssued,
    #[error("no card is issued with this id")]
    NotIssued,
    #[error("the holder has moved out")]
    MovedOut,
    #[error("a card must be valid until a later date than now and than before")]
    ValidityNotLater,
}

impl Aggregate for ResidentCard {
    type Event = VehicleEvent;
    type Command = CardCommand;
    type Error = CardRule;

    fn apply(&mut self, event: &VehicleEvent) {
        match event {
            VehicleEvent::ResidentCardIssued(ResidentCardIssued { valid_until, .. }) => {
                self.issued = true;
                self.valid_until = Some(*valid_until);
            }
            VehicleEvent::ResidentCardRenewed { valid_until } => {
                self.valid_until = Some(*valid_until)
            }
            VehicleEvent::ResidentMovedOut {} => self.moved_out = true,
            _ => {}
        }
    }

    fn decide(&self, command: &CardCommand) -> Result<Vec<VehicleEvent>, CardRule> {
        if self.moved_out {
            return Err(CardRule::MovedOut);
        }
        match command {
            CardCommand::Issue { .. } if self.issued => Err(CardRule::AlreadyIssued),
            CardCommand::Issue {
                holder,
                phone,
                district,
                valid_until,
                now,
            } => {
                if valid_until <= now {
                    return Err(CardRule::ValidityNotLater);
                }
                Ok(vec![VehicleEvent::ResidentCardIssued(ResidentCardIssued {
                    holder: holder.clone(),
                    phone: phone.clone(),
                    district: *district,
                    valid_until: *valid_until,
                })])
            }
            _ if !self.issued => Err(CardRule::NotIssued),
            CardCommand::Renew { valid_until } => {
                if self.valid_until.is_some_and(|v| *valid_until <= v) {
                    return Err(CardRule::ValidityNotLater);
                }
                Ok(vec![VehicleEvent::ResidentCardRenewed {
                    valid_until: *valid_until,
                }])
            }
            CardCommand::MoveOut => Ok(vec![VehicleEvent::ResidentMovedOut {}]),
        }
    }
}
