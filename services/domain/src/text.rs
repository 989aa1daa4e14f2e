//! Bounded free text: names, addresses and reasons.

use std::fmt;

use crate::error::ValidationError;

/// Text of 1 to `MAX` characters with no control characters, trimmed of surrounding spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    /// Parses required text: empty (after trimming) is an error.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ValidationError::value("must not be empty"));
        }
        let length = trimmed.chars().count();
        if length > MAX {
            return Err(ValidationError::value(format!(
                "must be at most {MAX} characters, got {length}"
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(ValidationError::value(
                "must not contain control characters (such as newlines or tabs)",
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    /// Parses optional text: empty (after trimming) is `None`.
    pub fn parse_optional(value: &str) -> Result<Option<Self>, ValidationError> {
        if value.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(value).map(Some)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's, clinic's or neighbourhood's name: 1 to 100 characters.
pub type DisplayName = BoundedText<100>;
/// A street address: 1 to 200 characters.
pub type Address = BoundedText<200>;
/// A reason for a booking or a cancellation: 1 to 500 characters.
pub type Reason = BoundedText<500>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_by_characters_not_bytes() {
        assert_eq!(
            DisplayName::parse("  Åsa Öberg ").unwrap().as_str(),
            "Åsa Öberg"
        );
        assert!(DisplayName::parse(&"å".repeat(100)).is_ok());
        let error = DisplayName::parse(&"å".repeat(101)).unwrap_err();
        assert_eq!(error.message(), "must be at most 100 characters, got 101");
    }

    #[test]
    fn rejects_empty_and_control_characters() {
        assert_eq!(
            DisplayName::parse("   ").unwrap_err().message(),
            "must not be empty"
        );
        assert!(Reason::parse("line\nbreak").is_err());
        assert_eq!(Reason::parse_optional(" ").unwrap(), None);
        assert!(Reason::parse_optional("toothache").unwrap().is_some());
    }
}
