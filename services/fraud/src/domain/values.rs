//! Values of the fraud context, beside the shared ones (re-exported).

use std::fmt;

use serde::{Deserialize, Serialize};

pub use minsheng_values::*;

fn invalid<T>(field: &'static str, expected: &'static str) -> Result<T, InvalidField> {
    Err(InvalidField { field, expected })
}

/// Money in fen (1/100 yuan), never a float: more than 0 and at most
/// 100 million yuan, the largest single loss the centre plans for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Fen(u64);

impl Fen {
    pub const MAX: u64 = 100_000_000 * 100;

    pub fn parse(field: &'static str, fen: i64) -> Result<Self, InvalidField> {
        match u64::try_from(fen) {
            Ok(n) if n > 0 && n <= Self::MAX => Ok(Fen(n)),
            _ => invalid(
                field,
                "an amount in fen: more than 0, at most 10,000,000,000",
            ),
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

/// How the victim was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    PhoneCall,
    Sms,
    Online,
    Other,
}

/// A receiving account: a bank card or a payment platform account, 6 to 32
/// letters and digits. Shown masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Account(String);

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Account(..)")
    }
}

impl Account {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let ok = (6..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(Account(text.to_owned()))
        } else {
            invalid(field, "6 to 32 letters and digits")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A partner bank or payment platform, by its code in the centre's
/// agreements: 2 to 32 of a-z, 0-9, '-'. Partners' tokens carry it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Institution(String);

impl Institution {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let ok = (2..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Institution(text.to_owned()))
        } else {
            invalid(field, "2 to 32 of a-z, 0-9, '-'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as the firewall screens it: 5 to 18 digits, an optional
/// leading '+' dropped (mobiles, landlines with area code, international
/// and short service numbers). Held as one integer that keeps leading
/// zeros apart (`10^len + digits`): the key of the screening lookup.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
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

/// An ISO 3166 alpha-2 country code.
pub fn country(field: &'static str, text: &str) -> Result<String, InvalidField> {
    let ok = text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase());
    if ok {
        Ok(text.to_owned())
    } else {
        invalid(field, "an ISO 3166 country code such as CA")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_fen_within_the_cap() {
        assert_eq!(Fen::parse("amount", 1).unwrap().get(), 1);
        assert!(Fen::parse("amount", 0).is_err());
        assert!(Fen::parse("amount", -5).is_err());
        assert!(Fen::parse("amount", 10_000_000_001).is_err());
        assert_eq!(
            Fen::parse("amount_fen", -1).unwrap_err().field,
            "amount_fen"
        );
    }

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
