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

#[test]
fn a_minted_token_verifies_with_the_key_it_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_minsheng"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args([
            "token",
            "--sub",
            "officer-7",
            "--role",
            "officer",
            "--role",
            "iot-reader",
            "--ttl",
            "2h",
        ])
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("created a new JWT key"));
    let token = String::from_utf8(out.stdout).expect("utf-8");
    let keys =
        minsheng_runtime::auth::TokenKeys::load(&dir.path().join("jwt.key")).expect("key file");
    let caller = keys
        .verify(Some(&format!("Bearer {}", token.trim())))
        .expect("verifies");
    assert_eq!(caller.subject, "officer-7");
    assert_eq!(caller.roles, vec!["officer", "iot-reader"]);
}

#[test]
fn a_token_with_a_bad_role_or_ttl_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mint = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("token")
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let bad_role = mint(&["--sub", "a", "--role", "Chief Officer"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("invalid role"));
    let bad_ttl = mint(&["--sub", "a", "--role", "officer", "--ttl", "forever"]);
    assert!(!bad_ttl.status.success());
    assert!(String::from_utf8_lossy(&bad_ttl.stderr).contains("--ttl"));
    let too_long = mint(&["--sub", "a", "--role", "officer", "--ttl", "90d"]);
    assert!(String::from_utf8_lossy(&too_long.stderr).contains("invalid ttl"));
}
