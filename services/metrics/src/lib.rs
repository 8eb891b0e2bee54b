//! # minsheng-metrics
//!
//! Citywide performance figures projected from every context's events.
//!
//! Built so far (issue 6 is in progress): [`domain`], the KPI book and what
//! vehicle-iot's and fraud's events add to it, pure and tested; and
//! [`projection`], which follows the contexts and keeps the book and its
//! positions in one snapshot. The target, the query surfaces, the dashboard
//! and the rebuild command are still to come.

pub mod domain;
pub mod projection;
