//! The fraud domain: pure, synchronous, no I/O. Read this first.
//!
//! - [`values`]: amounts in fen, accounts, institutions, phone numbers.
//! - [`events`]: everything the context records, including the exit
//!   restrictions it publishes to other contexts.
//! - [`alert`], [`stop_payment`], [`number`], [`fugitive`]: the aggregates
//!   and their rules.
//! - [`firewall`]: the blocklist partners screen against; [`totals`]: the
//!   centre's running figures.

pub mod alert;
pub mod events;
pub mod firewall;
pub mod fugitive;
pub mod number;
pub mod stop_payment;
pub mod totals;
pub mod values;
