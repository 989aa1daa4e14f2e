//! Wire conversions every service needs: timestamps, bearer tokens, required fields.

use dentismile_domain::{error::ValidationError, jiff::Timestamp};
use tonic::metadata::MetadataMap;

/// A domain instant as a protobuf timestamp.
pub fn timestamp(instant: Timestamp) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.as_second(),
        nanos: instant.subsec_nanosecond(),
    }
}

/// A required protobuf timestamp as a domain instant; the error has no field, for the caller.
pub fn instant(value: Option<&prost_types::Timestamp>) -> Result<Timestamp, ValidationError> {
    let value = value.ok_or_else(|| ValidationError::value("is required"))?;
    Timestamp::new(value.seconds, value.nanos)
        .map_err(|_| ValidationError::value("is not a valid timestamp"))
}

/// An optional protobuf timestamp.
pub fn optional_instant(
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<Timestamp>, ValidationError> {
    value.map(|v| instant(Some(v))).transpose()
}

/// A required message field.
pub fn required<'a, T>(value: Option<&'a T>, field: &str) -> Result<&'a T, ValidationError> {
    value.ok_or_else(|| ValidationError::new(field, "is required"))
}

/// The metadata key of the access token.
pub const AUTHORIZATION: &str = "authorization";

/// The bearer token of a request, if any: `authorization: Bearer <token>`.
pub fn bearer_token(metadata: &MetadataMap) -> Option<&str> {
    let value = metadata.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let now: Timestamp = "2026-11-24T10:11:12.5Z".parse().unwrap();
        assert_eq!(instant(Some(&timestamp(now))).unwrap(), now);
        assert_eq!(instant(None).unwrap_err().message(), "is required");
    }

    #[test]
    fn bearer_tokens_are_found_case_insensitively() {
        let mut metadata = MetadataMap::new();
        assert_eq!(bearer_token(&metadata), None);
        metadata.insert(AUTHORIZATION, "bearer abc.def.ghi".parse().unwrap());
        assert_eq!(bearer_token(&metadata), Some("abc.def.ghi"));
        metadata.insert(AUTHORIZATION, "Basic xyz".parse().unwrap());
        assert_eq!(bearer_token(&metadata), None);
    }
}
