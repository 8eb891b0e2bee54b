//! # minsheng-values: values every context shares
//!
//! Checked once, where they enter, and then trusted: each `parse` names the
//! field it was given in its error and never echoes the value (it may be
//! personal data). Resident IDs, person keys, phones, the city's districts
//! and bounds, case ids, free text, and times that must not be in the future;
//! money, accounts and institutions; screened phone numbers; the calendar
//! of working days that deadlines in calendar days roll over to; and a
//! personal value as events hold it, sealed for its person ([`Personal`]).

pub mod calendar;
mod number;
mod payments;
mod personal;

pub use number::Number;
pub use payments::{Account, Channel, Fen, Institution};
pub use personal::{Opened, Personal, Sealed};

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Bad input: which field, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {expected}")]
pub struct InvalidField {
    pub field: &'static str,
    pub expected: &'static str,
}

fn invalid<T>(field: &'static str, expected: &'static str) -> Result<T, InvalidField> {
    Err(InvalidField { field, expected })
}

/// The first day a record of the bureau can be about: the founding of the
/// People's Republic, 1949-10-01 (no earlier record is the bureau's).
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1949, 10, 1) {
    Some(day) => day,
    None => panic!("a valid date"),
};

/// The last day a record or a figure can be about: 2099-12-31.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(day) => day,
    None => panic!("a valid date"),
};

/// A day as `YYYY-MM-DD`, from [`FIRST_DAY`] to [`LAST_DAY`]: a year 0
/// or 9999 is a client's bug, never a date of the bureau's.
pub fn day(field: &'static str, text: &str) -> Result<NaiveDate, InvalidField> {
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) if text.len() == 10 && (FIRST_DAY..=LAST_DAY).contains(&day) => Ok(day),
        _ => invalid(field, "a date as YYYY-MM-DD, from 1949-10-01 to 2099-12-31"),
    }
}

/// Whether figures can be about `year`: 1949 to 2099, as [`day`].
pub fn year_in_bounds(year: i32) -> bool {
    (FIRST_DAY.year()..=LAST_DAY.year()).contains(&year)
}

/// An 18-character resident ID number (GB 11643): 17 digits, then a check
/// digit (ISO 7064 MOD 11-2, `X` for 10); digits 7 to 14 are a birth date.
/// Kept only long enough to be turned into a person key.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId(String);

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResidentId(..)")
    }
}

impl ResidentId {
    const EXPECTED: &'static str =
        "18 characters: 17 digits with a valid birth date, then the GB 11643 check digit";

    /// The check digit (ISO 7064 MOD 11-2) of the first 17 digits, or
    /// `None` if they are not 17 digits. Tests and the simulator make
    /// resident IDs with it.
    pub fn check_digit(first17: &str) -> Option<char> {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let bytes = first17.as_bytes();
        if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = bytes
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        Some(char::from(b"10X98765432"[(sum % 11) as usize]))
    }

    pub fn parse(field: &'static str, text: &str, today: NaiveDate) -> Result<Self, InvalidField> {
        let bytes = text.as_bytes();
        if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
            return invalid(field, Self::EXPECTED);
        }
        if Some(char::from(bytes[17].to_ascii_uppercase())) != Self::check_digit(&text[..17]) {
            return invalid(field, Self::EXPECTED);
        }
        let digits = |range: std::ops::Range<usize>| -> u32 {
            bytes[range]
                .iter()
                .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
        };
        let birth = NaiveDate::from_ymd_opt(digits(6..10) as i32, digits(10..12), digits(12..14));
        match birth {
            Some(date) if date.year() >= 1900 && date <= today => {}
            _ => return invalid(field, Self::EXPECTED),
        }
        Ok(ResidentId(text.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person as the mesh knows them: a keyed hash of the resident ID (see
/// `minsheng_runtime::person_keys`), 32 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PersonKey(
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[0-9a-f]{32}$")))] String,
);

impl PersonKey {
    /// Wraps a key computed by the deployment's person keys.
    pub fn from_hash(hex: String) -> Self {
        PersonKey(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland mobile number: 11 digits, `1[3-9]` first.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Phone(String);

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Phone(..)")
    }
}

impl Phone {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let b = text.as_bytes();
        if b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit)
        {
            Ok(Phone(text.to_owned()))
        } else {
            invalid(field, "a mainland mobile number: 11 digits starting 13-19")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Words a person wrote (a place, an address, a reason): 1 to 200
/// characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Text(String);

impl Text {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        let chars = text.chars().count();
        if (1..=200).contains(&chars)
            && !text.chars().any(char::is_control)
            && !text.trim().is_empty()
        {
            Ok(Text(text.to_owned()))
        } else {
            invalid(field, "1 to 200 characters, no control characters")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A case id from the case system: 4 to 40 uppercase letters, digits and '-'.
pub fn case_id(field: &'static str, text: &str) -> Result<String, InvalidField> {
    let ok = (4..=40).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(text.to_owned())
    } else {
        invalid(field, "4 to 40 uppercase letters, digits and '-'")
    }
}

/// The city's 11 counties and districts (2015): the codes every service
/// uses, so that figures line up across contexts.
pub const DISTRICTS: [&str; 11] = [
    "lucheng", "longwan", "ouhai", "dongtou", "ruian", "yueqing", "yongjia", "pingyang", "cangnan",
    "wencheng", "taishun",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(with = "String")
)]
pub struct District(u8);

impl District {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        DISTRICTS
            .iter()
            .position(|d| *d == text)
            .map(|i| District(i as u8))
            .map_or_else(
                || {
                    invalid(
                        field,
                        "one of the city's 11 district codes (lucheng, longwan, ...)",
                    )
                },
                Ok,
            )
    }

    pub fn as_str(self) -> &'static str {
        DISTRICTS[usize::from(self.0)]
    }

    pub fn all() -> impl Iterator<Item = District> {
        (0..DISTRICTS.len() as u8).map(District)
    }
}

impl From<District> for String {
    fn from(d: District) -> String {
        d.as_str().to_owned()
    }
}

impl TryFrom<String> for District {
    type Error = InvalidField;
    fn try_from(text: String) -> Result<Self, InvalidField> {
        District::parse("district", &text)
    }
}

/// A point in the city: about 27.0-28.6 N, 119.6-121.3 E.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

impl Location {
    pub fn parse(latitude: f64, longitude: f64) -> Result<Self, InvalidField> {
        if !(27.0..=28.6).contains(&latitude) {
            return invalid("latitude", "within the city: 27.0 to 28.6");
        }
        if !(119.6..=121.3).contains(&longitude) {
            return invalid("longitude", "within the city: 119.6 to 121.3");
        }
        Ok(Location {
            latitude,
            longitude,
        })
    }
}

/// How far ahead of our clock a reported time may be.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A time something happened: not in the future beyond [`CLOCK_SKEW`].
pub fn past_time(
    field: &'static str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, InvalidField> {
    if at > now + CLOCK_SKEW {
        invalid(field, "not in the future")
    } else {
        Ok(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    #[test]
    fn a_date_is_one_the_bureau_can_mean_from_1949_10_01_to_2099_12_31() {
        for good in ["1949-10-01", "2015-03-11", "2099-12-31"] {
            assert!(day("d", good).is_ok(), "{good}");
        }
        for bad in [
            "0000-01-01",
            "1949-09-30",
            "2100-01-01",
            "9999-12-31",
            "+2015-03-11",
            "2015-3-11",
        ] {
            assert_eq!(day("d", bad).unwrap_err().field, "d", "{bad}");
        }
        assert!(year_in_bounds(2015) && !year_in_bounds(0) && !year_in_bounds(2100));
    }

    #[test]
    fn a_resident_id_needs_its_check_digit_and_a_real_birth_date() {
        assert!(ResidentId::parse("owner", "11010519491231002X", today()).is_ok());
        assert!(ResidentId::parse("owner", "11010519491231002x", today()).is_ok());
        let refused = ResidentId::parse("owner", "110105194912310021", today());
        assert_eq!(refused.map(|_| ()).unwrap_err().field, "owner");
        // 31 February does not exist; 2030 is not born yet.
        assert!(ResidentId::parse("owner", &with_check("11010519490231002"), today()).is_err());
        assert!(ResidentId::parse("owner", &with_check("11010520300101002"), today()).is_err());
        assert!(ResidentId::parse("owner", "1101051949123100", today()).is_err());
        assert!(
            format!(
                "{:?}",
                ResidentId::parse("o", "11010519491231002X", today())
            )
            .contains("..")
        );
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", ResidentId::check_digit(first17).unwrap())
    }
}
