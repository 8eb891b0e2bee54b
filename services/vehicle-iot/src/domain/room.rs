//! A rental room: registered with its landlord, address and capacity;
//! tenants check in and out; never more tenants than its capacity, and a
//! tenant is in a room at most once. Stream `vehicle.room.<room id>`.

use std::collections::BTreeSet;

use minsheng_contracts::vehicle::RentalRoomRegistered;
use minsheng_eventstore::Aggregate;

use super::events::VehicleEvent;
use super::values::{District, PersonKey, Personal, Text};

/// The most tenants a registered room may declare.
pub const MAX_CAPACITY: u32 = 50;

#[derive(Clone, Debug, Default)]
pub struct RentalRoom {
    pub capacity: Option<u32>,
    pub tenants: BTreeSet<PersonKey>,
}

#[derive(Clone, Debug)]
pub enum RoomCommand {
    Register {
        landlord: PersonKey,
        /// Sealed for the landlord.
        address: Personal<Text>,
        district: District,
        capacity: u32,
    },
    CheckIn(PersonKey),
    CheckOut(PersonKey),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomRule {
    #[error("this room is already registered")]
    AlreadyRegistered,
    #[error("no room is registered with this id")]
    NotRegistered,
    #[error("a room holds 1 to 50 tenants")]
    BadCapacity,
    #[error("the room is full")]
    Full,
    #[error("this tenant is already checked in")]
    AlreadyIn,
    #[error("this tenant is not checked in")]
    NotIn,
}

impl Aggregate for RentalRoom {
    type Event = VehicleEvent;
    type Command = RoomCommand;
    type Error = RoomRule;

    fn apply(&mut self, event: &VehicleEvent) {
        match event {
            VehicleEvent::RentalRoomRegistered(RentalRoomRegistered { capacity, .. }) => {
                self.capacity = Some(*capacity)
            }
            VehicleEvent::TenantCheckedIn { tenant } => {
                self.tenants.insert(tenant.clone());
            }
            VehicleEvent::TenantCheckedOut { tenant } => {
                self.tenants.remove(tenant);
            }
            _ => {}
        }
    }

    fn decide(&self, command: &RoomCommand) -> Result<Vec<VehicleEvent>, RoomRule> {
        let event = match (command, self.capacity) {
            (RoomCommand::Register { .. }, Some(_)) => return Err(RoomRule::AlreadyRegistered),
            (
                RoomCommand::Register {
                    landlord,
                    address,
                    district,
                    capacity,
                },
                None,
            ) => {
                if !(1..=MAX_CAPACITY).contains(capacity) {
                    return Err(RoomRule::BadCapacity);
                }
                VehicleEvent::RentalRoomRegistered(RentalRoomRegistered {
                    landlord: landlord.clone(),
                    address: address.clone(),
                    district: *district,
                    capacity: *capacity,
                })
            }
            (_, None) => return Err(RoomRule::NotRegistered),
            (RoomCommand::CheckIn(tenant), Some(capacity)) => {
                if self.tenants.contains(tenant) {
                    return Err(RoomRule::AlreadyIn);
                }
                if self.tenants.len() >= capacity as usize {
                    return Err(RoomRule::Full);
                }
                VehicleEvent::TenantCheckedIn {
                    tenant: tenant.clone(),
                }
            }
            (RoomCommand::CheckOut(tenant), Some(_)) => {
                if !self.tenants.contains(tenant) {
                    return Err(RoomRule::NotIn);
                }
                VehicleEvent::TenantCheckedOut {
                    tenant: tenant.clone(),
                }
            }
        };
        Ok(vec![event])
    }
}
