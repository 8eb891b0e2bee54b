//! No service reads the wall clock: handlers and timers take the time
//! from the runtime's injected `Clock`, so that tests move it. Any
//! `Utc::now()`, `Local::now()` or `SystemTime::now()` in `services/*/src`
//! (outside its `#[cfg(test)]` module) fails here. Measuring an interval
//! with `Instant` is not reading the time of day, and stays allowed.

#![allow(clippy::unwrap_used)]

mod support;

use support::sources::{root, rust_files};

const WALL_CLOCK: [&str; 3] = ["Utc::now()", "Local::now()", "SystemTime::now()"];

#[test]
fn no_service_reads_the_wall_clock() {
    let mut found = Vec::new();
    for service in std::fs::read_dir(root().join("services")).unwrap() {
        for file in rust_files(&service.unwrap().path().join("src")) {
            let source = std::fs::read_to_string(&file).unwrap();
            // A file's test module comes last.
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (n, line) in code.lines().enumerate() {
                if WALL_CLOCK.iter().any(|call| line.contains(call)) {
                    let path = file.strip_prefix(root()).unwrap_or(&file);
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "read the context's clock instead:\n{}",
        found.join("\n")
    );
}
