//! What one append may carry. Every backend checks the same limits the same
//! way, before writing anything, so an oversized command fails alike on a
//! laptop and in a cluster.

use crate::envelope::NewEvent;
use crate::error::StoreError;

/// One event's payload plus metadata, as JSON.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;
/// All events of one append. One append is one JetStream message, and a NATS
/// server refuses messages over 1 MiB by default: stay well under it.
pub const MAX_APPEND_BYTES: usize = 768 * 1024;
/// Events in one append.
pub const MAX_EVENTS_PER_APPEND: usize = 1000;
const MAX_EVENT_TYPE_LEN: usize = 128;

/// Checks an append's events; returns their total size in bytes.
pub fn check_append(events: &[NewEvent]) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Err(StoreError::InvalidInput {
            field: "events",
            reason: "an append needs at least one event".to_owned(),
        });
    }
    if events.len() > MAX_EVENTS_PER_APPEND {
        return Err(StoreError::InvalidInput {
            field: "events",
            reason: format!(
                "{} events in one append, over the limit of {MAX_EVENTS_PER_APPEND}",
                events.len()
            ),
        });
    }
    let mut total = 0;
    for event in events {
        check_event_type(&event.event_type)?;
        if event.schema_version == 0 {
            return Err(StoreError::InvalidInput {
                field: "schema_version",
                reason: "schema versions start at 1".to_owned(),
            });
        }
        if let Some(traceparent) = &event.metadata.traceparent
            && !is_traceparent(traceparent)
        {
            return Err(StoreError::InvalidInput {
                field: "metadata.traceparent",
                reason: "a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>) expected".to_owned(),
            });
        }
        let size = event.payload.get().len() + metadata_size(event);
        if size > MAX_EVENT_BYTES {
            return Err(StoreError::PayloadTooLarge {
                field: "event payload",
                size,
                limit: MAX_EVENT_BYTES,
            });
        }
        total += size;
    }
    if total > MAX_APPEND_BYTES {
        return Err(StoreError::PayloadTooLarge {
            field: "append",
            size: total,
            limit: MAX_APPEND_BYTES,
        });
    }
    Ok(total)
}

/// The W3C trace context header's shape, version 00: it travels as a NATS
/// header and a gRPC metadata value, so nothing else may pass.
pub(crate) fn is_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    matches!(parts.as_slice(), [version, trace, span, flags]
        if hex(version, 2) && hex(trace, 32) && hex(span, 16) && hex(flags, 2))
}

fn metadata_size(event: &NewEvent) -> usize {
    let m = &event.metadata;
    [
        &m.request_id,
        &m.correlation_id,
        &m.causation_id,
        &m.actor,
        &m.traceparent,
    ]
    .iter()
    .map(|field| field.as_ref().map_or(0, String::len))
    .sum()
}

fn check_event_type(event_type: &str) -> Result<(), StoreError> {
    let ok = !event_type.is_empty()
        && event_type.len() <= MAX_EVENT_TYPE_LEN
        && event_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            field: "event_type",
            reason: format!(
                "1-{MAX_EVENT_TYPE_LEN} ASCII letters, digits, '.', '_' or '-' expected"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_traceparent;

    #[test]
    fn only_a_w3c_traceparent_passes() {
        assert!(is_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx: y",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
        ] {
            assert!(!is_traceparent(bad), "{bad:?}");
        }
    }
}
