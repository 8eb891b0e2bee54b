//! Money and who holds it: amounts in fen, receiving accounts, partner
//! institutions, and how a fraud victim was reached. Published in the
//! fraud programme's events (crates/contracts).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::InvalidField;

fn invalid<T>(field: &'static str, expected: &'static str) -> Result<T, InvalidField> {
    Err(InvalidField { field, expected })
}

/// Money in fen (1/100 yuan), never a float: more than 0 and at most
/// 100 million yuan, the largest single loss the centre plans for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Fen(
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 10_000_000_000_u64)))] u64,
);

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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Channel {
    PhoneCall,
    Sms,
    Online,
    Other,
}

/// A receiving account: a bank card or a payment platform account, 6 to 32
/// letters and digits. Shown masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Account(
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[A-Za-z0-9]{6,32}$")))] String,
);

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Account(..)")
    }
}

impl AsRef<str> for Account {
    fn as_ref(&self) -> &str {
        &self.0
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Institution(
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[a-z0-9-]{2,32}$")))] String,
);

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
}
