//! Page sizes and page tokens of the list use cases.
//!
//! Tokens are opaque to clients but plain text inside: the key of the last item returned, so a
//! page resumes exactly after it without the server keeping any state.

use jiff::Timestamp;

use crate::{
    error::ValidationError,
    ids::{AppointmentId, ClinicId, DentistId},
    time::LocalDay,
};

/// Items per page when the client does not say.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Most items per page.
pub const MAX_PAGE_SIZE: usize = 500;

/// Parses a requested page size: 0 means the default.
pub fn page_size(requested: u32) -> Result<usize, ValidationError> {
    let requested = usize::try_from(requested).unwrap_or(usize::MAX);
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n <= MAX_PAGE_SIZE => Ok(n),
        n => Err(ValidationError::value(format!(
            "must be at most {MAX_PAGE_SIZE}, got {n}"
        ))),
    }
}

const SEPARATOR: char = '~';

fn invalid_token() -> ValidationError {
    ValidationError::value("is not a page token returned by this call")
}

fn parse_instant(seconds: &str) -> Result<Timestamp, ValidationError> {
    seconds
        .parse::<i64>()
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .ok_or_else(invalid_token)
}

/// Resumes a slot listing after the slot (day, dentist, start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPageToken {
    /// The last day read.
    pub day: LocalDay,
    /// The last slot's dentist.
    pub dentist_id: DentistId,
    /// The last slot's start.
    pub start: Timestamp,
}

impl SlotPageToken {
    /// Parses a token; empty means the first page.
    pub fn parse(value: &str) -> Result<Option<Self>, ValidationError> {
        if value.is_empty() {
            return Ok(None);
        }
        let mut parts = value.split(SEPARATOR);
        let (Some(day), Some(dentist), Some(start), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_token());
        };
        Ok(Some(Self {
            day: LocalDay::parse(day).map_err(|_| invalid_token())?,
            dentist_id: DentistId::parse(dentist).map_err(|_| invalid_token())?,
            start: parse_instant(start)?,
        }))
    }

    /// The token's text.
    pub fn encode(&self) -> String {
        format!(
            "{}{SEPARATOR}{}{SEPARATOR}{}",
            self.day,
            self.dentist_id,
            self.start.as_second()
        )
    }
}

/// Resumes an appointment listing after (slot start, appointment id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentPageToken {
    /// The last appointment's slot start.
    pub start: Timestamp,
    /// The last appointment's id.
    pub id: AppointmentId,
}

impl AppointmentPageToken {
    /// Parses a token; empty means the first page.
    pub fn parse(value: &str) -> Result<Option<Self>, ValidationError> {
        if value.is_empty() {
            return Ok(None);
        }
        let Some((start, id)) = value.split_once(SEPARATOR) else {
            return Err(invalid_token());
        };
        Ok(Some(Self {
            start: parse_instant(start)?,
            id: AppointmentId::parse(id).map_err(|_| invalid_token())?,
        }))
    }

    /// The token's text.
    pub fn encode(&self) -> String {
        format!("{}{SEPARATOR}{}", self.start.as_second(), self.id)
    }
}

/// Parses a clinic listing token: the last clinic id returned; empty means the first page.
pub fn parse_clinic_token(value: &str) -> Result<Option<ClinicId>, ValidationError> {
    if value.is_empty() {
        return Ok(None);
    }
    ClinicId::parse(value)
        .map(Some)
        .map_err(|_| invalid_token())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(500).unwrap(), 500);
        assert!(page_size(501).is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let token = SlotPageToken {
            day: LocalDay::parse("2026-11-24").unwrap(),
            dentist_id: DentistId::parse("dr-a").unwrap(),
            start: "2026-11-24T08:00:00Z".parse().unwrap(),
        };
        assert_eq!(SlotPageToken::parse(&token.encode()).unwrap(), Some(token));
        assert_eq!(SlotPageToken::parse("").unwrap(), None);
        for bad in [
            "x",
            "2026-11-24~dr-a",
            "2026-11-24~DR~1",
            "2026-11-24~dr-a~1~2",
        ] {
            assert!(SlotPageToken::parse(bad).is_err(), "{bad}");
        }
        let token = AppointmentPageToken {
            start: "2026-11-24T08:00:00Z".parse().unwrap(),
            id: AppointmentId::random(),
        };
        assert_eq!(
            AppointmentPageToken::parse(&token.encode()).unwrap(),
            Some(token)
        );
    }
}
