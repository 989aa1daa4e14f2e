//! The one mapping from scheduling errors to gRPC statuses. (A function, not a `From` impl:
//! both types belong to other crates.)

use dentismile_domain::error::SchedulingError;
use dentismile_runtime::status;
use tonic::{Code, Status};

/// The status for a scheduling error; see each variant for its code.
pub fn to_status(error: SchedulingError) -> Status {
    let message = error.to_string();
    match error {
        SchedulingError::Invalid(invalid) => status::invalid_argument(&invalid),
        SchedulingError::NotFound { field, .. } => status::not_found(&field, message),
        SchedulingError::SlotNotFree { field, .. } => {
            status::failed_precondition("SLOT_NOT_FREE", &field, message)
        }
        SchedulingError::Overlap { field, .. } => {
            status::failed_precondition("SLOT_OVERLAP", &field, message)
        }
        SchedulingError::SlotBooked { field } => {
            status::failed_precondition("SLOT_BOOKED", &field, message)
        }
        SchedulingError::IdempotencyKeyReused { .. } => Status::new(Code::AlreadyExists, message),
        SchedulingError::CancellationClosed { .. } => {
            status::failed_precondition("CANCELLATION_CLOSED", "appointment_id", message)
        }
        SchedulingError::AppointmentStarted { .. } => {
            status::failed_precondition("APPOINTMENT_STARTED", "appointment_id", message)
        }
        SchedulingError::PermissionDenied(_) => Status::permission_denied(message),
        SchedulingError::Store(store) => status::from_store_error(&store),
    }
}
