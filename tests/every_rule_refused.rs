//! Every rule a service can refuse a command with has a test that expects
//! that refusal: each variant of each `*Rule` enum in `services/*/src`
//! must be named (`EbikeRule::NotReturned`) in that service's domain rule
//! tests, or, for the few the application raises rather than the pure
//! domain, in the test named below. A new variant without a test fails
//! here.

#![allow(clippy::unwrap_used)]

mod support;

use support::sources::rust_files;

/// Refusals raised outside `decide` (they need the live view), and the
/// test file that expects each.
const TESTED_ELSEWHERE: &[(&str, &str)] = &[(
    "EbikeRule::NumbersOfAStolenBike",
    "services/vehicle-iot/tests/grpc_embedded/hits.rs",
)];

/// `(EnumName, [Variant, ...])` for every `pub enum *Rule` in `source`.
fn rule_enums(source: &str) -> Vec<(String, Vec<String>)> {
    let mut enums = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("pub enum ") {
        rest = &rest[at + "pub enum ".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(body_end) = rest.find("\n}") else {
            break;
        };
        if !name.ends_with("Rule") {
            continue;
        }
        let variants = rest[..body_end]
            .lines()
            .skip(1)
            .map(str::trim)
            .filter(|line| line.starts_with(|c: char| c.is_ascii_uppercase()))
            .map(|line| {
                line.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect();
        enums.push((name, variants));
    }
    enums
}

#[test]
fn every_rule_variant_is_expected_by_a_test() {
    let root = support::sources::root();
    let mut untested = Vec::new();
    let mut counted = 0;
    for service in std::fs::read_dir(root.join("services")).unwrap().flatten() {
        let service = service.path();
        let domain_tests: String = rust_files(&service.join("tests/domain_rules"))
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        for file in rust_files(&service.join("src")) {
            for (rule, variants) in rule_enums(&std::fs::read_to_string(&file).unwrap()) {
                for variant in variants {
                    counted += 1;
                    let named = format!("{rule}::{variant}");
                    let elsewhere = TESTED_ELSEWHERE.iter().find(|(n, _)| *n == named);
                    let tested = match elsewhere {
                        Some((_, test)) => std::fs::read_to_string(root.join(test))
                            .unwrap_or_default()
                            .contains(&named),
                        None => domain_tests.contains(&named),
                    };
                    if !tested {
                        untested.push(format!("{named} ({})", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        counted >= 43,
        "only {counted} rule variants found: is the scan still reading the enums?"
    );
    assert!(
        untested.is_empty(),
        "no test expects these refusals:\n{}",
        untested.join("\n")
    );
}
