//! The licensing domain: pure, synchronous, no I/O. Read this first.
//!
//! - [`values`]: subjects, vehicle classes, scores.
//! - [`policy`]: the numbers the rules use (pass marks, waits, limits), as
//!   settings with today's national defaults.
//! - [`events`]: everything the context records.
//! - [`session`]: an exam session and its seats: never oversold.
//! - [`candidate`]: a candidate's way from enrolment to a licence: when
//!   they may book, what a result does.
//! - [`violation`]: a violation from camera to paid fine, and the late fee.
//! - [`driver`]: a driver's points through their 12-month cycles, and
//!   study to reduce them.
//! - [`move_car`]: 114 move-car requests, their 10-minute escalation and
//!   rating, and callers barred for malicious requests.

pub mod candidate;
pub mod driver;
pub mod events;
pub mod move_car;
pub mod policy;
pub mod session;
pub mod values;
pub mod violation;
