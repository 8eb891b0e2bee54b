//! What the workspace's end-to-end tests share: starting the real binary,
//! and a small, known city to feed through the real services.
//!
//! Each test file is its own crate and uses only part of this.
#![allow(dead_code, clippy::unwrap_used)]

pub mod binary;
pub mod city;
pub mod rpcs;
pub mod sources;

/// The deployment's three key files in `dir` (as `minsheng keys init`
/// makes them: the JWT key, the person key, the master key of personal
/// data), for a `serve` that never creates one; returns the JWT key.
pub fn deployment_keys(dir: &std::path::Path) -> minsheng_runtime::auth::TokenKeys {
    let (keys, _) =
        minsheng_runtime::auth::TokenKeys::load_or_create(&dir.join("jwt.key")).unwrap();
    minsheng_runtime::person_keys::PersonKeys::load_or_create(&dir.join("person.key")).unwrap();
    minsheng_runtime::personal_data::load_or_create_master(&dir.join("master.key")).unwrap();
    keys
}
