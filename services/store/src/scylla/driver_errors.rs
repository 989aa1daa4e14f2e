//! The one place where driver errors become [`StoreError`]s.
//!
//! What an error means depends on what was asked: a timeout of a read changed nothing (the store
//! is [`StoreError::Unavailable`]), but a timeout of a write, conditional or not, may or may not
//! have applied ([`StoreError::OutcomeUnknown`]). Conditional writes then resolve the outcome
//! with a serial read before answering (see `slots`); everything else reports it.

use std::sync::Arc;

use dentismile_domain::ports::{ErrorSource, StoreError};
use scylla::errors::{
    DbError, ExecutionError, IntoRowsResultError, NewSessionError, PrepareError,
    RequestAttemptError, RowsError,
};

/// What the failed request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// A SELECT: nothing can have changed.
    Read,
    /// An unconditional write (upsert, delete, unconditional batch).
    Write,
    /// A lightweight transaction.
    Conditional,
}

fn source(error: impl std::error::Error + Send + Sync + 'static) -> ErrorSource {
    Arc::new(error)
}

/// Classifies a failed request.
pub(crate) fn classify(error: ExecutionError, request: Request) -> StoreError {
    let writes = request != Request::Read;
    // A failure after the request may have reached a replica: for a write, unknown.
    let maybe_applied = |error: ExecutionError| {
        if writes {
            StoreError::OutcomeUnknown(source(error))
        } else {
            StoreError::Unavailable(source(error))
        }
    };
    match &error {
        ExecutionError::LastAttemptError(attempt) => match attempt {
            RequestAttemptError::DbError(db_error, _) => match db_error {
                // Refused by the coordinator before anything was written.
                DbError::Unavailable { .. } | DbError::IsBootstrapping => {
                    StoreError::Unavailable(source(error))
                }
                DbError::Overloaded | DbError::RateLimitReached { .. } => StoreError::Overloaded,
                // Timeouts and partial failures: for a write some replicas (or, for a CAS, the
                // Paxos round) may have taken it. `WriteType::Cas` is the classic "unknown
                // outcome" of a lightweight transaction; a read timeout during a CAS's read
                // phase is treated the same, since a proposal may already be in flight.
                DbError::WriteTimeout { .. }
                | DbError::WriteFailure { .. }
                | DbError::ReadTimeout { .. }
                | DbError::ReadFailure { .. } => maybe_applied(error),
                _ => StoreError::Internal(source(error)),
            },
            // The connection broke while the request was out: it may have been executed.
            RequestAttemptError::BrokenConnectionError(_) => maybe_applied(error),
            // No stream to send on: nothing was sent, and the connection is busy.
            RequestAttemptError::UnableToAllocStreamId => StoreError::Overloaded,
            _ => StoreError::Internal(source(error)),
        },
        // The client gave up waiting; the request may still be running on the cluster.
        ExecutionError::RequestTimeout(_) => maybe_applied(error),
        // No node could be asked: nothing was sent.
        ExecutionError::EmptyPlan | ExecutionError::ConnectionPoolError(_) => {
            StoreError::Unavailable(source(error))
        }
        ExecutionError::PrepareError(_) => StoreError::Unavailable(source(error)),
        _ => StoreError::Internal(source(error)),
    }
}

/// Whether a classified error leaves a write's outcome open, so it must be resolved by reading.
pub(crate) fn is_unknown_outcome(error: &StoreError) -> bool {
    matches!(error, StoreError::OutcomeUnknown(_))
}

/// A statement that could not be prepared: at connection, so the store is unusable.
pub(crate) fn prepare_error(cql: &str, error: PrepareError) -> StoreError {
    #[derive(Debug, thiserror::Error)]
    #[error("cannot prepare `{cql}`")]
    struct CannotPrepare {
        cql: String,
        #[source]
        error: PrepareError,
    }
    let unreachable = matches!(error, PrepareError::ConnectionPoolError(_));
    let error = source(CannotPrepare {
        cql: cql.to_string(),
        error,
    });
    if unreachable {
        StoreError::Unavailable(error)
    } else {
        // Usually a schema that is not what this build expects (a missing table or column).
        StoreError::Internal(error)
    }
}

/// No session could be opened.
pub(crate) fn session_error(error: NewSessionError) -> StoreError {
    StoreError::Unavailable(source(error))
}

/// A result that is not the rows it should be.
pub(crate) fn rows_error(error: IntoRowsResultError) -> StoreError {
    StoreError::Internal(source(error))
}

/// Rows that do not match the type they are read into: the schema is not what this build
/// expects, or the data is damaged.
pub(crate) fn typed_rows_error(error: RowsError) -> StoreError {
    StoreError::Corrupt(format!("rows do not match their expected columns: {error}"))
}

/// A row that fails to deserialize.
pub(crate) fn row_error(error: scylla::errors::DeserializationError) -> StoreError {
    StoreError::Corrupt(format!("a stored row cannot be read: {error}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use scylla::errors::{BadQuery, ConnectionPoolError, WriteType};
    use scylla::frame::types::Consistency;

    use super::*;

    fn db(error: DbError) -> ExecutionError {
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(
            error,
            "from the test".into(),
        ))
    }

    fn write_timeout(write_type: WriteType) -> ExecutionError {
        db(DbError::WriteTimeout {
            consistency: Consistency::LocalSerial,
            received: 1,
            required: 2,
            write_type,
        })
    }

    fn read_timeout() -> ExecutionError {
        db(DbError::ReadTimeout {
            consistency: Consistency::LocalQuorum,
            received: 1,
            required: 2,
            data_present: false,
        })
    }

    fn kind(error: &StoreError) -> &'static str {
        match error {
            StoreError::Unavailable(_) => "unavailable",
            StoreError::Overloaded => "overloaded",
            StoreError::OutcomeUnknown(_) => "unknown",
            StoreError::Internal(_) => "internal",
            StoreError::Corrupt(_) => "corrupt",
            StoreError::InvalidCursor(_) => "cursor",
            StoreError::SchemaMismatch { .. } => "schema",
        }
    }

    #[test]
    fn a_cas_write_timeout_leaves_the_outcome_unknown() {
        let error = classify(write_timeout(WriteType::Cas), Request::Conditional);
        assert_eq!(kind(&error), "unknown");
        assert!(is_unknown_outcome(&error));
        assert!(error.is_retryable());
        // Plain writes that time out may have reached some replicas too.
        for write_type in [
            WriteType::Simple,
            WriteType::Batch,
            WriteType::UnloggedBatch,
        ] {
            assert_eq!(
                kind(&classify(write_timeout(write_type), Request::Write)),
                "unknown"
            );
        }
        // A timeout in a CAS's read (Paxos prepare) phase is no more certain.
        assert_eq!(
            kind(&classify(read_timeout(), Request::Conditional)),
            "unknown"
        );
    }

    #[test]
    fn read_timeouts_change_nothing() {
        assert_eq!(
            kind(&classify(read_timeout(), Request::Read)),
            "unavailable"
        );
        assert_eq!(
            kind(&classify(
                ExecutionError::RequestTimeout(Duration::from_secs(10)),
                Request::Read
            )),
            "unavailable"
        );
        // The same client-side timeout on a write: the write may still be running.
        assert_eq!(
            kind(&classify(
                ExecutionError::RequestTimeout(Duration::from_secs(10)),
                Request::Conditional
            )),
            "unknown"
        );
    }

    #[test]
    fn refusals_before_any_write_are_definite() {
        let unavailable = db(DbError::Unavailable {
            consistency: Consistency::LocalQuorum,
            required: 2,
            alive: 1,
        });
        for request in [Request::Read, Request::Write, Request::Conditional] {
            assert_eq!(kind(&classify(unavailable.clone(), request)), "unavailable");
            assert_eq!(
                kind(&classify(db(DbError::Overloaded), request)),
                "overloaded"
            );
            assert_eq!(
                kind(&classify(
                    ExecutionError::ConnectionPoolError(ConnectionPoolError::Initializing),
                    request
                )),
                "unavailable"
            );
            assert_eq!(
                kind(&classify(ExecutionError::EmptyPlan, request)),
                "unavailable"
            );
            assert_eq!(
                kind(&classify(
                    ExecutionError::LastAttemptError(RequestAttemptError::UnableToAllocStreamId),
                    request
                )),
                "overloaded"
            );
        }
        assert!(
            !classify(unavailable, Request::Conditional)
                .to_string()
                .is_empty()
        );
    }

    #[test]
    fn bugs_are_internal_and_not_retryable() {
        for error in [
            db(DbError::SyntaxError),
            db(DbError::Invalid),
            db(DbError::ServerError),
            ExecutionError::BadQuery(BadQuery::PartitionKeyExtraction),
        ] {
            let classified = classify(error, Request::Conditional);
            assert_eq!(kind(&classified), "internal");
            assert!(!classified.is_retryable());
        }
    }
}
