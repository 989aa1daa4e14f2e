//! Errors as a client shows them: the gRPC code, the server's message (which names the field of
//! invalid input), and the field itself when the server sent a `BadRequest` detail.

use std::fmt;

use tonic::{Code, Status};

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    /// The gRPC code.
    pub code: Code,
    /// The server's message, or what went wrong locally.
    pub message: String,
}

impl ClientError {
    /// A local failure (no server answer).
    pub fn local(message: impl Into<String>) -> Self {
        Self {
            code: Code::Unavailable,
            message: message.into(),
        }
    }

    /// Not signed in.
    pub fn signed_out() -> Self {
        Self {
            code: Code::Unauthenticated,
            message: "sign in first".to_string(),
        }
    }

    /// The slot was taken (or withdrawn) by someone else.
    pub fn is_taken(&self) -> bool {
        self.code == Code::FailedPrecondition && self.message.contains("no longer free")
    }

    /// The session is over: sign in again.
    pub fn is_unauthenticated(&self) -> bool {
        self.code == Code::Unauthenticated
    }

    /// The error in words a person understands: the server's own message (it names the field
    /// and the rule), or, when the gateway could not be reached at all, that.
    pub fn in_words(&self) -> String {
        if self.code == Code::Unavailable && self.message.contains("connect") {
            format!("cannot reach DentiSmile ({self}); is the server running?")
        } else {
            self.to_string()
        }
    }

    /// Worth retrying unchanged later (server busy or unreachable).
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code,
            Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded
        )
    }
}

impl From<Status> for ClientError {
    fn from(status: Status) -> Self {
        let message = if status.message().is_empty() {
            format!("{:?}", status.code())
        } else {
            status.message().to_string()
        };
        Self {
            code: status.code(),
            message,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_readable_errors() {
        let taken: ClientError =
            Status::failed_precondition("slot: the slot is booked (it is no longer free)").into();
        assert!(taken.is_taken());
        assert_eq!(
            taken.to_string(),
            "slot: the slot is booked (it is no longer free)"
        );
        let busy: ClientError = Status::unavailable("").into();
        assert!(busy.is_transient());
        assert_eq!(busy.to_string(), "Unavailable");
    }

    #[test]
    fn an_unreachable_gateway_is_named_in_words() {
        let refused: ClientError = Status::unavailable("tcp connect error").into();
        assert_eq!(
            refused.in_words(),
            "cannot reach DentiSmile (tcp connect error); is the server running?"
        );
        let busy: ClientError = Status::unavailable("the store is busy").into();
        assert_eq!(busy.in_words(), "the store is busy");
    }
}
