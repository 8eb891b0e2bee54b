//! The gRPC edge of the fraud context: requests parsed into domain values,
//! use cases run, one mapping of [`AppError`] to statuses.

mod alerts;
mod firewall;
mod fugitives;
mod stops;

use minsheng_eventstore::Executed;
use minsheng_runtime::grpc::command::command_context;
pub(crate) use minsheng_runtime::grpc::command::{new_id, parse_id, time, timestamp};
use minsheng_runtime::grpc::status;
use tonic::Status;

use crate::app::AppError;
use crate::domain::alert::AlertRule;
use crate::domain::fugitive::FugitiveRule;
use crate::domain::number::NumberRule;
use crate::domain::stop_payment::StopRule;
use crate::domain::values::{Institution, InvalidField};

pub use alerts::AlertsApi;
pub use firewall::FirewallApi;
pub use fugitives::FugitivesApi;
pub use stops::StopPaymentsApi;

use minsheng_proto::fraud::v1 as pb;

/// The institution a partner's token speaks for, and only that one.
fn partner<T>(request: &tonic::Request<T>) -> Result<Institution, Status> {
    let named = minsheng_runtime::grpc::command::partner_institution(request)?;
    Institution::parse("institution", named)
        .map_err(|_| Status::permission_denied("the token's institution is malformed"))
}

fn invalid(error: InvalidField) -> Status {
    status::invalid_field(error.field, error.expected)
}

fn to_status(error: &AppError) -> Status {
    match error {
        AppError::Alert(e) => status::from_command(e, |rule| match rule {
            AlertRule::AlreadyReported => Status::already_exists(rule.to_string()),
            AlertRule::NotReported => Status::not_found(rule.to_string()),
            AlertRule::TooMany => status::invalid_field("accounts", &rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Stop(e) => status::from_command(e, |rule| match rule {
            StopRule::AlreadyRequested => Status::already_exists(rule.to_string()),
            StopRule::NotRequested => Status::not_found(rule.to_string()),
            StopRule::NotYours => Status::permission_denied(rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Number(e) => status::from_command(e, |rule| match rule {
            NumberRule::NotBlocked => status::rule_broken(rule),
        }),
        AppError::Fugitive(e) => status::from_command(e, |rule| match rule {
            FugitiveRule::AlreadyListed => Status::already_exists(rule.to_string()),
            FugitiveRule::NotListed => Status::not_found(rule.to_string()),
            _ => status::rule_broken(rule),
        }),
        AppError::Store(e) => status::from_store(e),
        AppError::Vault(e) => minsheng_runtime::personal_data::status(e),
        AppError::Invalid(e) => invalid(e.clone()),
        AppError::NoAlert => Status::not_found(error.to_string()),
        AppError::OverReported => status::invalid_field("amount_fen", &error.to_string()),
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

fn date(field: &'static str, text: &str) -> Result<chrono::NaiveDate, Status> {
    minsheng_values::day(field, text).map_err(|e| status::invalid_field(e.field, e.expected))
}
