//! An RFID base station: installed at a place in a district, taken out of
//! service. Stream `vehicle.reader.<reader id>`.

use minsheng_eventstore::Aggregate;

use super::events::VehicleEvent;
use super::values::{District, Location};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReaderStatus {
    #[default]
    Unknown,
    InService,
    Retired,
}

#[derive(Clone, Debug, Default)]
pub struct Reader {
    pub status: ReaderStatus,
}

#[derive(Clone, Debug)]
pub enum ReaderCommand {
    Install {
        location: Location,
        district: District,
    },
    Retire,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReaderRule {
    #[error("this reader is already installed")]
    AlreadyInstalled,
    #[error("a retired reader id is not used again")]
    Retired,
    #[error("no reader is installed with this id")]
    NotInstalled,
}

impl Aggregate for Reader {
    type Event = VehicleEvent;
    type Command = ReaderCommand;
    type Error = ReaderRule;

    fn apply(&mut self, event: &VehicleEvent) {
        match event {
            VehicleEvent::ReaderInstalled { .. } => self.status = ReaderStatus::InService,
            VehicleEvent::ReaderRetired {} => self.status = ReaderStatus::Retired,
            _ => {}
        }
    }

    fn decide(&self, command: &ReaderCommand) -> Result<Vec<VehicleEvent>, ReaderRule> {
        match (command, self.status) {
            (ReaderCommand::Install { location, district }, ReaderStatus::Unknown) => {
                Ok(vec![VehicleEvent::ReaderInstalled {
                    location: *location,
                    district: *district,
                }])
            }
            (ReaderCommand::Install { .. }, ReaderStatus::InService) => {
                Err(ReaderRule::AlreadyInstalled)
            }
            (_, ReaderStatus::Retired) => Err(ReaderRule::Retired),
            (ReaderCommand::Retire, ReaderStatus::InService) => {
                Ok(vec![VehicleEvent::ReaderRetired {}])
            }
            (ReaderCommand::Retire, ReaderStatus::Unknown) => Err(ReaderRule::NotInstalled),
        }
    }
}
