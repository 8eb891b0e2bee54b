//! Values of the fraud context, beside the shared ones (re-exported).

pub use minsheng_values::*;

/// An ISO 3166 alpha-2 country code.
pub fn country(field: &'static str, text: &str) -> Result<String, InvalidField> {
    let ok = text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(InvalidField {
            field,
            expected: "an ISO 3166 country code such as CA",
        })
    }
}
