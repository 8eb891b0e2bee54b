//! Names: bounded contexts, streams and request ids, parsed once at the boundary.
//!
//! Names travel into NATS subjects, JetStream stream names and SQLite indexes,
//! so they are restricted to characters that are safe in all of them. Ids in
//! stream names are opaque tokens (a UUIDv7, a tag id, an HMAC), never
//! personal data: errors describe what is wrong without echoing the value.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

const MAX_CONTEXT_LEN: usize = 32;
const MAX_AGGREGATE_LEN: usize = 64;
const MAX_ID_LEN: usize = 128;
const MAX_REQUEST_ID_LEN: usize = 128;

/// A bounded context, such as `vehicle` or `gang-cases`: lower-case ASCII
/// letters, digits and inner hyphens, starting with a letter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Context(String);

impl Context {
    pub fn parse(name: &str) -> Result<Self, StoreError> {
        check_word("context", name, MAX_CONTEXT_LEN)?;
        Ok(Context(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Context {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Context::parse(&value)
    }
}

impl From<Context> for String {
    fn from(value: Context) -> Self {
        value.0
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One aggregate instance's stream: `<context>.<aggregate>.<id>`, e.g.
/// `vehicle.ebike.0193b8c0-...`. The id is 1-128 ASCII letters, digits, `-`
/// or `_` (no dots: it is one NATS subject token).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamName {
    full: String,
    context_len: usize,
    aggregate_end: usize,
}

impl StreamName {
    pub fn parse(name: &str) -> Result<Self, StoreError> {
        let mut parts = name.splitn(3, '.');
        let (Some(context), Some(aggregate), Some(id)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(StoreError::InvalidStreamName {
                reason: "expected <context>.<aggregate>.<id>".to_owned(),
            });
        };
        check_word("context", context, MAX_CONTEXT_LEN)?;
        check_word("aggregate", aggregate, MAX_AGGREGATE_LEN)?;
        check_id(id)?;
        Ok(StreamName {
            full: name.to_owned(),
            context_len: context.len(),
            aggregate_end: context.len() + 1 + aggregate.len(),
        })
    }

    /// Builds `<context>.<aggregate>.<id>`, checking each part.
    pub fn new(context: &Context, aggregate: &str, id: &str) -> Result<Self, StoreError> {
        Self::parse(&format!("{context}.{aggregate}.{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    pub fn context(&self) -> Context {
        Context(self.full[..self.context_len].to_owned())
    }

    pub fn context_str(&self) -> &str {
        &self.full[..self.context_len]
    }

    pub fn aggregate(&self) -> &str {
        &self.full[self.context_len + 1..self.aggregate_end]
    }

    pub fn id(&self) -> &str {
        &self.full[self.aggregate_end + 1..]
    }
}

impl TryFrom<String> for StreamName {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        StreamName::parse(&value)
    }
}

impl From<StreamName> for String {
    fn from(value: StreamName) -> Self {
        value.full
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

/// A client's idempotency key: 1-128 printable ASCII characters, no spaces.
/// An append repeated with the same request id writes nothing and returns the
/// first append's outcome, for as long as the store lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(id: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidInput {
            field: "request_id",
            reason: reason.to_owned(),
        };
        if id.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if id.len() > MAX_REQUEST_ID_LEN {
            return Err(invalid(&format!(
                "longer than {MAX_REQUEST_ID_LEN} characters"
            )));
        }
        if !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("only printable ASCII without spaces is allowed"));
        }
        Ok(RequestId(id.to_owned()))
    }

    /// A fresh random-ish id (UUIDv7) for callers that have none of their own.
    pub fn generate() -> Self {
        RequestId(uuid::Uuid::now_v7().to_string())
    }

    /// The request id of another write the same request causes (`purpose`
    /// names it): distinct from this one, and the same on every retry, so
    /// that the second write is idempotent too without taking over the
    /// first one's outcome. A UUIDv5 of both.
    pub fn derived(&self, purpose: &str) -> Self {
        let name = format!("{purpose}\u{0}{}", self.0);
        RequestId(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as lower-case hex: safe as a NATS subject token or KV key
    /// whatever characters the id itself holds.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        self.0
            .bytes()
            .fold(String::with_capacity(self.0.len() * 2), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }
}

impl TryFrom<String> for RequestId {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RequestId::parse(&value)
    }
}

impl From<RequestId> for String {
    fn from(value: RequestId) -> Self {
        value.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_word(part: &str, word: &str, max_len: usize) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::InvalidStreamName {
        reason: format!("{part} {reason}"),
    };
    if word.is_empty() {
        return Err(invalid("is empty".to_owned()));
    }
    if word.len() > max_len {
        return Err(invalid(format!("is longer than {max_len} characters")));
    }
    if !word.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(invalid("must start with a lower-case letter".to_owned()));
    }
    if word.ends_with('-') || word.contains("--") {
        return Err(invalid("has a misplaced hyphen".to_owned()));
    }
    if !word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            "may hold only lower-case letters, digits and hyphens".to_owned(),
        ));
    }
    Ok(())
}

fn check_id(id: &str) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::InvalidStreamName {
        reason: format!("id {reason}"),
    };
    if id.is_empty() {
        return Err(invalid("is empty".to_owned()));
    }
    if id.len() > MAX_ID_LEN {
        return Err(invalid(format!("is longer than {MAX_ID_LEN} characters")));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid(
            "may hold only ASCII letters, digits, '-' and '_'".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_name_splits_into_its_parts() {
        let name = StreamName::parse("vehicle.ebike.0193b8c0-7a1e_X").expect("valid");
        assert_eq!(name.context_str(), "vehicle");
        assert_eq!(name.aggregate(), "ebike");
        assert_eq!(name.id(), "0193b8c0-7a1e_X");
        assert_eq!(name.context(), Context::parse("vehicle").expect("valid"));
    }

    #[test]
    fn malformed_stream_names_are_refused_with_the_part_named() {
        for (name, part) in [
            ("vehicle.ebike", "expected"),
            ("Vehicle.ebike.1", "context"),
            ("vehicle..1", "aggregate"),
            ("vehicle.ebike.a.b", "id"),
            ("vehicle.ebike.a b", "id"),
            ("vehicle.ebike.a*", "id"),
            ("vehicle.ebike.>", "id"),
            ("gang_cases.case.1", "context"),
            ("vehicle-.ebike.1", "context"),
            ("", "expected"),
        ] {
            match StreamName::parse(name) {
                Err(StoreError::InvalidStreamName { reason }) => {
                    assert!(reason.starts_with(part), "{name:?}: {reason}")
                }
                other => panic!("{name:?} gave {other:?}"),
            }
        }
        let long_id = format!("vehicle.ebike.{}", "a".repeat(129));
        assert!(StreamName::parse(&long_id).is_err());
    }

    #[test]
    fn request_ids_are_printable_and_bounded() {
        assert!(RequestId::parse("req-1:abc/ü").is_err());
        assert!(RequestId::parse("").is_err());
        assert!(RequestId::parse("a b").is_err());
        assert!(RequestId::parse(&"x".repeat(129)).is_err());
        let id = RequestId::parse("req-1:a/b").expect("valid");
        assert_eq!(id.to_hex(), "7265712d313a612f62");
    }

    #[test]
    fn a_derived_request_id_is_its_own_and_the_same_on_every_retry() {
        let longest = RequestId::parse(&"x".repeat(128)).expect("valid");
        let lead = longest.derived("lead");
        assert_eq!(lead, longest.derived("lead"));
        assert_ne!(lead, longest);
        assert_ne!(lead, longest.derived("other"));
        assert_ne!(
            lead,
            RequestId::parse(&"x".repeat(127))
                .expect("valid")
                .derived("lead")
        );
        assert!(RequestId::parse(lead.as_str()).is_ok(), "a valid id itself");
    }
}
