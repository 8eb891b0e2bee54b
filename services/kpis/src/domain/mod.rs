//! The metrics domain: pure. Read this first.
//!
//! - [`period`]: days, months and years of the city's calendar (UTC+8).
//! - [`book`]: the KPI book, every figure per period and district.
//! - [`vehicle`], [`fraud`]: what each context's events add to the book;
//!   a new context's KPIs are one more module like these.
//! - [`fold`]: one recorded event of any context into the book.

pub mod book;
pub mod fold;
pub mod fraud;
pub mod period;
pub mod vehicle;
