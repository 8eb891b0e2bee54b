//! The one mapping from what went wrong to what a gRPC caller is told
//! (the rich error model: field violations ride in the status details).

use minsheng_eventstore::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::auth::AuthError;

/// Bad input: INVALID_ARGUMENT naming the field.
pub fn invalid_field(field: &str, description: &str) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        format!("invalid {field}: {description}"),
        ErrorDetails::with_bad_request_violation(field, description),
    )
}

/// A business rule the command broke: FAILED_PRECONDITION.
pub fn rule_broken(rule: &impl std::fmt::Display) -> Status {
    Status::failed_precondition(rule.to_string())
}

pub fn from_auth(err: &AuthError) -> Status {
    match err {
        AuthError::Unauthenticated(reason) => Status::unauthenticated(*reason),
        AuthError::PermissionDenied { .. } => Status::permission_denied(err.to_string()),
    }
}

/// Kernel errors. A version conflict that survived the command runner's
/// retries is ABORTED: the client may retry the whole request.
pub fn from_store(err: &StoreError) -> Status {
    match err {
        StoreError::WrongExpectedVersion { .. } => Status::aborted(err.to_string()),
        StoreError::StreamNotFound(_) => Status::not_found(err.to_string()),
        StoreError::InvalidStreamName { reason } => invalid_field("id", reason),
        StoreError::InvalidInput { field, reason } => invalid_field(field, reason),
        StoreError::PayloadTooLarge { field, size, limit } => {
            invalid_field(field, &format!("{size} bytes, over the limit of {limit}"))
        }
        StoreError::Unavailable(_) => Status::unavailable(err.to_string()),
        // Never the caller's fault, and nothing of the stored data goes back out.
        StoreError::Corrupt(_) => Status::internal("internal error"),
    }
}

/// A command's failure: its broken rule as `rule` maps it (FAILED_PRECONDITION,
/// ALREADY_EXISTS, NOT_FOUND: the service knows which), a conflict that
/// outlived the retries as ABORTED, and the store's errors as above.
pub fn from_command<E: std::error::Error>(
    err: &minsheng_eventstore::CommandError<E>,
    rule: impl FnOnce(&E) -> Status,
) -> Status {
    use minsheng_eventstore::CommandError;
    match err {
        CommandError::Rejected(broken) => rule(broken),
        CommandError::Contended { .. } => Status::aborted(err.to_string()),
        CommandError::Store(store) => from_store(store),
        CommandError::Codec(_) => Status::internal("internal error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_names_the_field_in_the_details() {
        let status = from_store(&StoreError::InvalidInput {
            field: "request_id",
            reason: "must not be empty".into(),
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        let violations = status
            .get_details_bad_request()
            .expect("details")
            .field_violations;
        assert_eq!(violations[0].field, "request_id");
        assert_eq!(violations[0].description, "must not be empty");
    }

    #[test]
    fn each_kernel_error_has_its_code() {
        let conflict = StoreError::WrongExpectedVersion {
            stream: "vehicle.ebike.b1".into(),
            expected: minsheng_eventstore::ExpectedVersion::Exact(1),
            actual: Some(2),
        };
        assert_eq!(from_store(&conflict).code(), Code::Aborted);
        assert_eq!(
            from_store(&StoreError::StreamNotFound("s".into())).code(),
            Code::NotFound
        );
        assert_eq!(
            from_store(&StoreError::Unavailable("x".into())).code(),
            Code::Unavailable
        );
        let corrupt = from_store(&StoreError::Corrupt("payload of 33030219900307123X".into()));
        assert_eq!(
            (corrupt.code(), corrupt.message()),
            (Code::Internal, "internal error")
        );
        let big = StoreError::PayloadTooLarge {
            field: "append",
            size: 9,
            limit: 8,
        };
        assert_eq!(from_store(&big).code(), Code::InvalidArgument);
    }
}
