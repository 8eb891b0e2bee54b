//! What a handler passes to the command runner for a call: the caller as
//! the events' actor, the client's idempotency key, the correlation id, and
//! the trace the call belongs to. One place, so that every service records
//! the same metadata the same way.

use minsheng_eventstore::{CommandContext, Metadata, RequestId};
use tonic::{Request, Status};

use crate::auth::Caller;

/// Metadata key of the client's idempotency key: a retried call with the
/// same key runs once.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// Metadata key of the id that ties the events of one business flow together.
pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";

/// Who is calling, as the authorisation layer found them (it puts the
/// caller on every call it lets through; UNAUTHENTICATED if it did not).
pub fn caller<T>(request: &Request<T>) -> Result<&Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| Status::unauthenticated("no caller"))
}

/// The partner institution the caller's token speaks for (`minsheng token
/// --role partner --institution icbc`): a partner acts for that one only.
/// PERMISSION_DENIED when the token names none.
pub fn partner_institution<T>(request: &Request<T>) -> Result<&str, Status> {
    request
        .extensions()
        .get::<Caller>()
        .and_then(|caller| caller.institution.as_deref())
        .ok_or_else(|| Status::permission_denied("the token names no institution"))
}

/// The command context for `request`. The caller's subject becomes the
/// actor of every event the command writes; a malformed `x-request-id` is
/// INVALID_ARGUMENT naming that field, and nothing runs.
pub fn command_context<T>(request: &Request<T>) -> Result<CommandContext, Status> {
    let actor = request
        .extensions()
        .get::<Caller>()
        .map(|caller| caller.subject.clone());
    let text = |key: &str| -> Result<Option<String>, Status> {
        match request.metadata().get(key) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map(|v| Some(v.to_owned()))
                .map_err(|_| super::status::invalid_field(key, "printable ASCII expected")),
        }
    };
    let request_id = text(REQUEST_ID_HEADER)?
        .map(|id| {
            RequestId::parse(&id)
                .map_err(|e| super::status::invalid_field(REQUEST_ID_HEADER, &e.to_string()))
        })
        .transpose()?;
    let correlation_id = text(CORRELATION_ID_HEADER)?;
    if let Some(id) = &correlation_id
        && (id.is_empty() || id.len() > 128)
    {
        return Err(super::status::invalid_field(
            CORRELATION_ID_HEADER,
            "1 to 128 characters expected",
        ));
    }
    Ok(CommandContext {
        metadata: Metadata {
            actor,
            correlation_id: correlation_id
                .or_else(|| request_id.as_ref().map(|id| id.as_str().to_owned())),
            traceparent: crate::telemetry::current_traceparent(),
            request_id: request_id.as_ref().map(|id| id.as_str().to_owned()),
            causation_id: None,
        },
        request_id,
    })
}

/// A new aggregate's id: derived from the request id when there is one, so
/// that a retried creation names the same thing; random (UUIDv7) otherwise.
/// 32 lowercase hex digits.
pub fn new_id(context: &CommandContext) -> String {
    match &context.request_id {
        Some(id) => uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, id.as_str().as_bytes()),
        None => uuid::Uuid::now_v7(),
    }
    .simple()
    .to_string()
}

/// An id this mesh handed out with [`new_id`], as a client sends it back.
pub fn parse_id(field: &'static str, text: &str) -> Result<String, Status> {
    let ok = text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(super::status::invalid_field(
            field,
            "the 32-hex-digit id this service returned",
        ))
    }
}

/// A protobuf timestamp as a UTC time; missing or impossible is
/// INVALID_ARGUMENT naming `field`.
pub fn time(
    field: &'static str,
    at: Option<prost_types::Timestamp>,
) -> Result<chrono::DateTime<chrono::Utc>, Status> {
    let at = at.ok_or_else(|| super::status::invalid_field(field, "a time is required"))?;
    let nanos = u32::try_from(at.nanos)
        .map_err(|_| super::status::invalid_field(field, "nanos out of range"))?;
    chrono::DateTime::from_timestamp(at.seconds, nanos)
        .ok_or_else(|| super::status::invalid_field(field, "a time within years 1 to 9999"))
}

/// A UTC time as a protobuf timestamp.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
