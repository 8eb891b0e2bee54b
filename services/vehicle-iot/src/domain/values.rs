//! Values of the vehicle context (tags, plates, serial numbers, readers),
//! beside the ones every context shares (`minsheng_values`, re-exported).
//! Each `parse` names the field it was given in its error.

use std::fmt;

use serde::{Deserialize, Serialize};

pub use minsheng_values::*;

fn invalid<T>(field: &'static str, expected: &'static str) -> Result<T, InvalidField> {
    Err(InvalidField { field, expected })
}

/// An RFID tag: an EPC-96, 24 hex digits. Held as a number: it is the key
/// of the hottest lookup in the mesh.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TagId(u128);

impl TagId {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidField> {
        if text.len() != 24 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return invalid(field, "24 hex digits (an EPC-96 tag)");
        }
        u128::from_str_radix(text, 16)
            .map(TagId)
            .or_else(|_| invalid(field, "24 hex digits (an EPC-96 tag)"))
    }

    pub fn from_u128(n: u128) -> Self {
        TagId(n & ((1u128 << 96) - 1))
    }
}

impl fmt::Display for TagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:024X}", self.0)
    }
}

impl fmt::Debug for TagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TagId({self})")
    }
}

impl From<TagId> for String {
    fn from(tag: TagId) -> String {
        tag.to_string()
    }
}

impl TryFrom<String> for TagId {
    type Error = InvalidField;
    fn try_from(text: String) -> Result<Self, InvalidField> {
        TagId::parse("tag_id", &text)
    }
}

/// An uppercase code of letters and digits within a length range, or a
/// free-text field without control characters: the shapes most fields take.
fn code(
    field: &'static str,
    text: &str,
    len: std::ops::RangeInclusive<usize>,
    expected: &'static str,
) -> Result<String, InvalidField> {
    let ok = len.contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        invalid(field, expected)
    }
}

/// A bike's frame number, motor number: 6 to 20 uppercase letters and digits.
pub fn serial_number(field: &'static str, text: &str) -> Result<String, InvalidField> {
    code(field, text, 6..=20, "6 to 20 uppercase letters and digits")
}

/// The provinces' one-character plate prefixes.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A plate: an optional province character, a city letter, then 5 or 6
/// uppercase letters and digits (浙C12345, C12345, 浙CD12345).
pub fn plate(field: &'static str, text: &str) -> Result<String, InvalidField> {
    let mut chars = text.chars().peekable();
    if chars.peek().is_some_and(|c| PROVINCES.contains(*c)) {
        chars.next();
    }
    let rest: String = chars.collect();
    let b = rest.as_bytes();
    let ok = (6..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(text.to_owned())
    } else {
        invalid(field, "a plate such as 浙C12345")
    }
}

/// A reader (RFID base station) id: 1 to 32 of A-Z, a-z, 0-9, '-'.
pub fn reader_id(field: &'static str, text: &str) -> Result<String, InvalidField> {
    let ok = (1..=32).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(text.to_owned())
    } else {
        invalid(field, "1 to 32 letters, digits or '-'")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phones_plates_tags_and_districts_have_their_shapes() {
        assert!(Phone::parse("phone", "13812345678").is_ok());
        assert!(Phone::parse("phone", "12812345678").is_err());
        assert!(Phone::parse("phone", "1381234567").is_err());
        assert!(plate("plate", "浙C12345").is_ok());
        assert!(plate("plate", "C12345").is_ok());
        assert!(plate("plate", "浙CD12345").is_ok());
        assert!(plate("plate", "浙c12345").is_err());
        assert!(plate("plate", "X浙12345").is_err());
        let tag = TagId::parse("tag_id", "e20000172211010218905bd1").unwrap();
        assert_eq!(tag.to_string(), "E20000172211010218905BD1");
        assert!(TagId::parse("tag_id", "e20000172211010218905bd").is_err());
        assert!(TagId::parse("tag_id", "+20000172211010218905bd1").is_err());
        assert_eq!(
            District::parse("district", "ruian").map(District::as_str),
            Ok("ruian")
        );
        assert!(District::parse("district", "hangzhou").is_err());
        assert!(Location::parse(28.0, 120.7).is_ok());
        assert_eq!(Location::parse(30.0, 120.7).unwrap_err().field, "latitude");
        assert_eq!(
            Location::parse(28.0, f64::NAN).unwrap_err().field,
            "longitude"
        );
    }
}
