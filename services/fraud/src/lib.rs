//! # minsheng-fraud
//!
//! The anti-fraud centre (alerts, emergency stop-payments, the phone
//! firewall), Fox Hunt fugitives and the exit restrictions they impose.
//!
//! Built so far (issue 5 is in progress): [`domain`], the rules, pure and
//! synchronous, with their tests. The gRPC API, the target, the deadline
//! timer and the benchmarks are still to come.

pub mod domain;
