//! One recorded event, of any context the book follows, into the book.
//! Only the published contract is read (crates/contracts), never a
//! producer's own types: a type this build does not know makes no figure
//! and is skipped; a known type at a schema version this build does not
//! read is an error.

use minsheng_contracts::ContractError;
use minsheng_eventstore::RecordedEvent;

use super::book::KpiBook;

/// The contexts whose events make figures.
pub const CONTEXTS: [&str; 2] = ["vehicle", "fraud"];

/// Counts `recorded` at the time it happened; says whether its type is one
/// the book reads (events of other contexts are not).
pub fn fold(book: &mut KpiBook, recorded: &RecordedEvent) -> Result<bool, ContractError> {
    let (at, version) = (recorded.occurred_at, recorded.schema_version);
    let (event_type, payload) = (recorded.event_type.as_str(), recorded.payload.get());
    match recorded.stream.context_str() {
        "vehicle" => super::vehicle::count(book, event_type, payload, version, at),
        "fraud" => super::fraud::count(book, event_type, payload, version, at),
        _ => Ok(false),
    }
}
