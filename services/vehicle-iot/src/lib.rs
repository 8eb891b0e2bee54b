//! # minsheng-vehicle-iot
//!
//! "Manage people, homes and vehicles by card": e-bike anti-theft
//! registration on RFID tags, the readers across the city and what they
//! see, stolen-bike hits, floating residents' cards and rental rooms.
//!
//! Read in this order:
//! - [`domain`]: the rules, pure.

pub mod domain;
