//! Phone numbers as the anti-fraud firewall screens and publishes them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::InvalidField;

fn invalid<T>(field: &'static str, expected: &'static str) -> Result<T, InvalidField> {
    Err(InvalidField { field, expected })
}

/// A phone number as the firewall screens it: 5 to 18 digits, an optional
/// leading '+' dropped (mobiles, landlines with area code, international
/// and short service numbers). Held as one integer that keeps leading
/// zeros apart (`10^len + digits`): the key of the screening lookup.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct Number(u64);

impl Number {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let digits = text.strip_prefix('+').unwrap_or(text);
        let b = digits.as_bytes();
        if !(5..=18).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
            return invalid(
                field,
                "a phone number: 5 to 18 digits, optionally after '+'",
            );
        }
        let value = b.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        Ok(Number(10u64.pow(b.len() as u32) + value))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.to_string();
        // The leading '1' marks the length; the rest are the digits.
        f.write_str(&text[1..])
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Number(..)")
    }
}

impl From<Number> for String {
    fn from(n: Number) -> String {
        n.to_string()
    }
}

impl TryFrom<String> for Number {
    type Error = InvalidField;
    fn try_from(text: String) -> Result<Self, InvalidField> {
        Number::parse("number", &text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_leading_zeros_apart() {
        let a = Number::parse("n", "05778888888").unwrap();
        let b = Number::parse("n", "5778888888").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_string(), "05778888888");
        assert_eq!(
            Number::parse("n", "+8613800138000").unwrap().to_string(),
            "8613800138000"
        );
        assert!(Number::parse("n", "1234").is_err());
        assert!(Number::parse("n", "1234567890123456789").is_err());
        assert!(Number::parse("n", "138-0013-8000").is_err());
    }
}
