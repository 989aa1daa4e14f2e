//! Who is asking, as far as the booking rules care.

use crate::{
    ids::{ClinicId, DentistId, UserId},
    text::DisplayName,
};

/// The caller of a use case, established from a verified access token by the service layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// No token: may read public data only.
    Anonymous,
    /// A patient: books and cancels their own appointments.
    Patient {
        /// The patient's user id.
        id: UserId,
        /// The name staff see on the schedule.
        name: DisplayName,
    },
    /// A dentist or clinic admin: manages one clinic.
    Staff {
        /// The staff member's user id.
        id: UserId,
        /// The clinic they work for.
        clinic_id: ClinicId,
        /// The dentist record of a dentist; `None` for a clinic admin.
        dentist_id: Option<DentistId>,
    },
    /// A system admin: may act for any clinic.
    Admin {
        /// The admin's user id.
        id: UserId,
    },
}

impl Actor {
    /// Whether the caller may manage `clinic`'s availability and appointments.
    pub fn manages(&self, clinic: &ClinicId) -> bool {
        match self {
            Self::Staff { clinic_id, .. } => clinic_id == clinic,
            Self::Admin { .. } => true,
            Self::Anonymous | Self::Patient { .. } => false,
        }
    }

    /// Whether the caller may change `clinic`'s directory entry and staff: its clinic admins
    /// and system admins (dentists manage slots, not colleagues).
    pub fn administers(&self, clinic: &ClinicId) -> bool {
        match self {
            Self::Staff {
                clinic_id,
                dentist_id: None,
                ..
            } => clinic_id == clinic,
            Self::Admin { .. } => true,
            Self::Anonymous | Self::Patient { .. } | Self::Staff { .. } => false,
        }
    }

    /// A short description for messages and logs (no names).
    pub fn describe(&self) -> String {
        match self {
            Self::Anonymous => "an anonymous caller".to_string(),
            Self::Patient { .. } => "a patient".to_string(),
            Self::Staff { clinic_id, .. } => format!("staff of clinic '{clinic_id}'"),
            Self::Admin { .. } => "an admin".to_string(),
        }
    }
}
