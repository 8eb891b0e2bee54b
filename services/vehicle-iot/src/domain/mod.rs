//! The vehicle-iot domain: pure, synchronous, no I/O. Read this first.
//!
//! - [`values`]: validated values (resident IDs, phones, tags, plates,
//!   districts, locations, times), each error naming its field.
//! - [`events`]: everything the context records.
//! - [`ebike`], [`reader`], [`card`], [`room`]: the aggregates and their rules.
//! - [`theft_report`]: who may flag a bike stolen, and its owner's answer.
//! - [`sighting`]: the sighting desk, deciding what each RFID sighting is.

pub mod card;
pub mod ebike;
pub mod events;
pub mod reader;
pub mod room;
pub mod sighting;
pub mod theft_report;
pub mod values;
