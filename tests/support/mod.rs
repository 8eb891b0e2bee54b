//! What the workspace's end-to-end tests share: starting the real binary,
//! and a small, known city to feed through the real services.
//!
//! Each test file is its own crate and uses only part of this.
#![allow(dead_code, clippy::unwrap_used)]

pub mod binary;
pub mod city;
pub mod rpcs;
pub mod sources;
