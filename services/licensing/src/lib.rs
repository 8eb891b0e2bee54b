//! # minsheng-licensing
//!
//! Driving-test reform: candidates book their exams online at sites near
//! them, results come from the exam system, the licence is issued on the
//! last pass (`../shared/domain.md`, section 2, "Rules to model").
//!
//! Built so far (issue 15, first steps): the [`domain`] of exams, of
//! violations and fines, of drivers' points and study, and of 114
//! move-car, pure and synchronous. Not yet: the use cases, the gRPC edge,
//! the target, the service hall's catalogue, the KPIs.

pub mod domain;
