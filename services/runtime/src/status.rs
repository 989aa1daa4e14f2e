//! Errors to gRPC statuses, in one place for every service.
//!
//! Invalid input carries a `google.rpc.BadRequest` detail naming the field, so clients can
//! point at it. Store failures say whether retrying may help; their causes are logged here with
//! the whole chain and never sent to the client.

use std::error::Error as _;

use dentismile_domain::{error::ValidationError, ports::StoreError};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// INVALID_ARGUMENT naming the field, with a `BadRequest` detail.
pub fn invalid_argument(error: &ValidationError) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        error.to_string(),
        ErrorDetails::with_bad_request_violation(error.field(), error.message()),
    )
}

/// NOT_FOUND naming the field.
pub fn not_found(field: &str, message: impl Into<String>) -> Status {
    let message = message.into();
    Status::with_error_details(
        Code::NotFound,
        message.clone(),
        ErrorDetails::with_resource_info("", field, "", message),
    )
}

/// FAILED_PRECONDITION with a `PreconditionFailure` detail (`kind`, e.g. `SLOT_TAKEN`).
pub fn failed_precondition(kind: &str, subject: &str, message: impl Into<String>) -> Status {
    let message = message.into();
    Status::with_error_details(
        Code::FailedPrecondition,
        message.clone(),
        ErrorDetails::with_precondition_failure_violation(kind, subject, message),
    )
}

/// A store failure: UNAVAILABLE (retry later, with the same idempotency key for bookings) or
/// INTERNAL. The cause chain is logged, not returned.
pub fn from_store_error(error: &StoreError) -> Status {
    let mut chain = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    match error {
        StoreError::Unavailable(_) | StoreError::OutcomeUnknown(_) => {
            tracing::warn!(error = %error, cause = %chain, "store unavailable");
            Status::with_error_details(
                Code::Unavailable,
                format!("{error}; retry in a moment (bookings with the same idempotency key)"),
                ErrorDetails::with_retry_info(Some(std::time::Duration::from_secs(1))),
            )
        }
        StoreError::Overloaded => Status::with_error_details(
            Code::ResourceExhausted,
            error.to_string(),
            ErrorDetails::with_retry_info(Some(std::time::Duration::from_millis(200))),
        ),
        StoreError::InvalidCursor(_) => {
            invalid_argument(&ValidationError::new("after_cursor", error.to_string()))
        }
        StoreError::SchemaMismatch { .. } | StoreError::Corrupt(_) | StoreError::Internal(_) => {
            tracing::error!(error = %error, cause = %chain, "store failure");
            Status::internal("internal error; it has been logged")
        }
    }
}

/// RESOURCE_EXHAUSTED telling the client when to come back.
pub fn rate_limited(what: &str, retry_after: std::time::Duration) -> Status {
    let seconds = retry_after.as_secs().max(1);
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("too many {what}; retry in {seconds} s"),
        ErrorDetails::with_retry_info(Some(std::time::Duration::from_secs(seconds))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_the_field_in_message_and_detail() {
        let status = invalid_argument(&ValidationError::new("slot.start", "is in the past"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "slot.start: is in the past");
        let details = status.get_details_bad_request().unwrap();
        assert_eq!(details.field_violations[0].field, "slot.start");
    }

    #[test]
    fn internal_failures_do_not_leak_their_cause() {
        let error = StoreError::Internal(std::sync::Arc::new(std::io::Error::other(
            "SELECT secret FROM table",
        )));
        let status = from_store_error(&error);
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("SELECT"));
    }
}
