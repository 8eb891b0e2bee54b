//! The licensing domain: pure, synchronous, no I/O. Read this first.
//!
//! - [`values`]: subjects, vehicle classes, scores.
//! - [`policy`]: the numbers the rules use (pass marks, waits, limits), as
//!   settings with today's national defaults.
//! - [`events`]: everything the context records.
//! - [`session`]: an exam session and its seats: never oversold.
//! - [`candidate`]: a candidate's way from enrolment to a licence: when
//!   they may book, what a result does.

pub mod candidate;
pub mod events;
pub mod policy;
pub mod session;
pub mod values;
