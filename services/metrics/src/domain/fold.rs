//! One recorded event, of any context the book follows, into the book.

use minsheng_eventstore::{CodecError, RecordedEvent, codec};

use super::book::KpiBook;

/// The contexts whose events make figures.
pub const CONTEXTS: [&str; 2] = ["vehicle", "fraud"];

/// Counts `recorded` at the time it happened. Events of other contexts are
/// ignored.
pub fn fold(book: &mut KpiBook, recorded: &RecordedEvent) -> Result<(), CodecError> {
    let at = recorded.occurred_at;
    match recorded.stream.context_str() {
        "vehicle" => super::vehicle::count(book, &codec::decode(recorded)?, at),
        "fraud" => super::fraud::count(book, &codec::decode(recorded)?, at),
        _ => {}
    }
    Ok(())
}
