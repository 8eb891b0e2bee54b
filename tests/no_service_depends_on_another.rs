//! Services depend on `crates/*` only: what one context publishes for
//! others is in `crates/contracts`, never in the producer's crate. Reads
//! the workspace's manifests through `cargo metadata` and fails when a
//! crate under `services/` depends (of any kind: normal, dev, build) on
//! another crate under `services/`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn no_service_depends_on_another() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let services_dir = std::path::Path::new(root).join("services");
    let packages = metadata["packages"].as_array().unwrap();
    let is_service = |package: &serde_json::Value| {
        std::path::Path::new(package["manifest_path"].as_str().unwrap()).starts_with(&services_dir)
    };
    let services: BTreeSet<&str> = packages
        .iter()
        .filter(|p| is_service(p))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(services.len() >= 3, "{services:?}");
    let mut wrong = Vec::new();
    for service in packages.iter().filter(|p| is_service(p)) {
        for dependency in service["dependencies"].as_array().unwrap() {
            let name = dependency["name"].as_str().unwrap();
            if services.contains(name) {
                wrong.push(format!(
                    "{} depends on {name} ({})",
                    service["name"].as_str().unwrap(),
                    dependency["kind"].as_str().unwrap_or("normal")
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "move what they share into crates/contracts or another crate:\n{}",
        wrong.join("\n")
    );
}
