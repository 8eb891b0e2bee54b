//! The binary's command line.

use std::process::Command;

#[test]
fn minsheng_version_names_the_build_and_its_backends() {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("version")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("minsheng {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("sqlite, jetstream"), "{text}");
}

#[test]
fn an_unknown_subcommand_is_refused_with_a_usage_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .arg("launch-everything")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage"));
}
