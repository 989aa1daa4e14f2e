//! Identifiers, parsed once at the boundary so the rest of the code never re-checks them.

use std::fmt;

use crate::error::ValidationError;

/// Longest slug id, in bytes (all ASCII).
pub const MAX_SLUG_LEN: usize = 64;

fn check_slug(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::value("must not be empty"));
    }
    if value.len() > MAX_SLUG_LEN {
        return Err(ValidationError::value(format!(
            "must be at most {MAX_SLUG_LEN} characters, got {}",
            value.chars().count()
        )));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ValidationError::value("may contain only a-z, 0-9 and '-'"));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(ValidationError::value("must not start or end with '-'"));
    }
    Ok(())
}

/// A slug id: `a-z`, `0-9` and `-`, 1 to 64 characters. Slugs appear in MQTT topic names, so
/// they can hold no `/`, `+` or `#`.
macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses a slug; the error says what is wrong, without the field.
            pub fn parse(value: &str) -> Result<Self, ValidationError> {
                check_slug(value)?;
                Ok(Self(value.to_string()))
            }

            /// The slug.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A clinic, e.g. `majorna-tandvard`.
    ClinicId
);
slug_id!(
    /// A dentist, unique within their clinic, e.g. `dr-lindqvist`.
    DentistId
);

/// A UUID id in canonical form.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $new:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(::uuid::Uuid);

        impl $name {
            /// A new, unique id.
            pub fn random() -> Self {
                Self(::uuid::Uuid::$new())
            }

            /// Parses the hyphenated UUID form.
            pub fn parse(value: &str) -> Result<Self, $crate::error::ValidationError> {
                if value.is_empty() {
                    return Err($crate::error::ValidationError::value("must not be empty"));
                }
                ::uuid::Uuid::try_parse(value)
                    .map(Self)
                    .map_err(|_| $crate::error::ValidationError::value(format!("'{value}' is not a UUID")))
            }

            /// The UUID.
            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }

        impl From<::uuid::Uuid> for $name {
            fn from(uuid: ::uuid::Uuid) -> Self {
                Self(uuid)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

pub(crate) use uuid_id;

uuid_id!(
    /// An account; for a patient also the patient id on appointments.
    UserId,
    new_v4
);
uuid_id!(
    /// An appointment. Version 7, so ids sort roughly by creation time.
    AppointmentId,
    now_v7
);
uuid_id!(
    /// A slot event. Version 7, so ids sort roughly by creation time.
    EventId,
    now_v7
);

/// The client's name for one booking attempt, reused when retrying it: 8 to 128 characters of
/// `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Shortest key; shorter keys collide too easily between retries of different bookings.
    pub const MIN_LEN: usize = 8;
    /// Longest key.
    pub const MAX_LEN: usize = 128;

    /// Parses a key.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        if value.is_empty() {
            return Err(ValidationError::value("must not be empty"));
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&value.len()) {
            return Err(ValidationError::value(format!(
                "must be {} to {} characters, got {}",
                Self::MIN_LEN,
                Self::MAX_LEN,
                value.chars().count()
            )));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ValidationError::value(
                "may contain only A-Z, a-z, 0-9, '-' and '_'",
            ));
        }
        Ok(Self(value.to_string()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_digits_and_inner_dashes() {
        assert_eq!(
            ClinicId::parse("majorna-tandvard").unwrap().as_str(),
            "majorna-tandvard"
        );
        assert!(DentistId::parse("dr-2").is_ok());
        assert!(ClinicId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn slugs_reject_what_would_break_a_topic_or_a_key() {
        for (raw, problem) in [
            ("", "must not be empty"),
            ("Majorna", "may contain only"),
            ("a/b", "may contain only"),
            ("a+b", "may contain only"),
            ("a#", "may contain only"),
            ("-a", "must not start or end"),
            ("a-", "must not start or end"),
        ] {
            let error = ClinicId::parse(raw).unwrap_err();
            assert!(error.message().contains(problem), "{raw:?}: {error}");
        }
        let error = ClinicId::parse(&"a".repeat(65)).unwrap_err();
        assert!(error.message().contains("at most 64"), "{error}");
    }

    #[test]
    fn uuid_ids_round_trip_and_reject_garbage() {
        let id = AppointmentId::random();
        assert_eq!(AppointmentId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(
            UserId::parse("").unwrap_err().message(),
            "must not be empty"
        );
        assert!(UserId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn idempotency_keys_have_bounds() {
        assert!(IdempotencyKey::parse("0d3c5a1e-8d7b-4c52-a1f0-0a9c2b7e4f11").is_ok());
        assert!(IdempotencyKey::parse("short").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
        assert!(IdempotencyKey::parse("has space ok?").is_err());
    }
}
