//! The gRPC edge: requests parsed into domain values (an error names the
//! field), the use case run, the outcome mapped back. One mapping from
//! [`AppError`] to statuses, here.

mod ebikes;
mod people;
mod sightings;
mod theft_reports;

use minsheng_eventstore::Executed;
use minsheng_runtime::grpc::command::command_context;
pub(crate) use minsheng_runtime::grpc::command::{new_id, parse_id, time, timestamp};
use minsheng_runtime::grpc::status;
use tonic::Status;

use crate::app::AppError;
use crate::domain::card::CardRule;
use crate::domain::ebike::EbikeRule;
use crate::domain::reader::ReaderRule;
use crate::domain::room::RoomRule;
use crate::domain::values::InvalidField;

pub use ebikes::EbikesApi;
pub use people::{ReadersApi, RentalRoomsApi, ResidentCardsApi};
pub use sightings::SightingsApi;

use minsheng_proto::vehicle::v1 as pb;

fn invalid(error: InvalidField) -> Status {
    status::invalid_field(error.field, error.expected)
}

/// The one mapping of the context's failures to gRPC statuses.
fn to_status(error: &AppError) -> Status {
    match error {
        AppError::Ebike(e) => status::from_command(e, |rule| match rule {
            EbikeRule::TagInUse => Status::already_exists(rule.to_string()),
            EbikeRule::NotRegistered => Status::not_found(rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Reader(e) => status::from_command(e, |rule| match rule {
            ReaderRule::AlreadyInstalled => Status::already_exists(rule.to_string()),
            ReaderRule::NotInstalled => Status::not_found(rule.to_string()),
            ReaderRule::Retired => status::rule_broken(rule),
        }),
        AppError::Card(e) => status::from_command(e, |rule| match rule {
            CardRule::AlreadyIssued => Status::already_exists(rule.to_string()),
            CardRule::NotIssued => Status::not_found(rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Room(e) => status::from_command(e, |rule| match rule {
            RoomRule::AlreadyRegistered => Status::already_exists(rule.to_string()),
            RoomRule::NotRegistered => Status::not_found(rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Store(e) => status::from_store(e),
        AppError::Vault(e) => minsheng_runtime::personal_data::status(e),
    }
}

fn written(
    executed: Result<Executed, AppError>,
    id: String,
) -> Result<tonic::Response<pb::Written>, Status> {
    let executed = executed.map_err(|e| to_status(&e))?;
    Ok(tonic::Response::new(pb::Written {
        version: executed.version,
        id,
    }))
}
