//! Which roles may call which RPC: the gateway's coarse authorization, checked before a request
//! leaves the edge. Finer rules that need data (a patient's own booking, a dentist's own clinic)
//! are the domain's, enforced by the service with the same verified token.

use dentismile_auth::AccessClaims;
use dentismile_domain::accounts::Role;
use tonic::Status;

/// Who may call an RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Signed in with one of these roles.
    Roles(&'static [Role]),
}

/// Patients only.
pub const PATIENTS: Policy = Policy::Roles(&[Role::Patient]);
/// Dentists, clinic admins and admins.
pub const STAFF: Policy = Policy::Roles(&[Role::Dentist, Role::ClinicAdmin, Role::Admin]);
/// Clinic admins and admins.
pub const ADMINISTRATORS: Policy = Policy::Roles(&[Role::ClinicAdmin, Role::Admin]);
/// System admins.
pub const ADMINS: Policy = Policy::Roles(&[Role::Admin]);

impl Policy {
    /// Admits or refuses a caller (`None`: no token).
    pub fn admit(self, method: &str, claims: Option<&AccessClaims>) -> Result<(), Status> {
        match (self, claims) {
            (Policy::Public, _) => Ok(()),
            (_, None) => Err(Status::unauthenticated(format!(
                "{method} needs you to sign in: send `authorization: Bearer <access token>`"
            ))),
            (Policy::SignedIn, Some(_)) => Ok(()),
            (Policy::Roles(roles), Some(claims)) if roles.contains(&claims.role) => Ok(()),
            (Policy::Roles(roles), Some(claims)) => Err(Status::permission_denied(format!(
                "{method} is for {}; you are signed in as a {}",
                roles
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(" or "),
                claims.role
            ))),
        }
    }
}
