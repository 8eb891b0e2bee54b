//! # minsheng-licensing
//!
//! Driving-test reform: candidates book their exams online at sites near
//! them, results come from the exam system, the licence is issued on the
//! last pass (`../shared/domain.md`, section 2, "Rules to model").
//!
//! Built so far (issue 15, first step): the [`domain`] of exams, pure and
//! synchronous. Not yet: the gRPC edge, the target, violations and points,
//! study, the service hall, 114 move-car, the KPIs.

pub mod domain;
