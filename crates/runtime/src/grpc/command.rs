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
