//! Clinics and dentists. The clinic directory is one small partition clustered by clinic id,
//! so listing clinics in id order is a paged read of one partition, not a table scan.

use std::ops::ControlFlow;

use dentismile_domain::{
    clinic::{Clinic, Dentist},
    ids::ClinicId,
    ports::{DentistOutcome, StoreError},
};
use scylla::value::CqlValue;

use super::{
    ScyllaStore,
    rows::{ClinicRow, DentistRow, encode_opening_hours},
    statements::Cql,
    values::{Values, text},
};

/// The partition key of the clinic directory.
const DIRECTORY: &str = "clinics";

pub(crate) fn clinic_upsert(clinic: &Clinic) -> (Cql, Values) {
    let values = Values::new()
        .value("directory", text(DIRECTORY))
        .value("clinic_id", text(clinic.id.as_str()))
        .value("name", text(clinic.name.as_str()))
        .value("neighbourhood", text(clinic.neighbourhood.as_str()))
        .value("address", text(clinic.address.as_str()))
        .value("latitude", CqlValue::Double(clinic.location.latitude()))
        .value("longitude", CqlValue::Double(clinic.location.longitude()))
        .value("opening_hours", encode_opening_hours(&clinic.opening_hours));
    (Cql::ClinicUpsert, values)
}

pub(crate) fn dentist_upsert(dentist: &Dentist) -> (Cql, Values) {
    let values = Values::new()
        .value("clinic_id", text(dentist.clinic_id.as_str()))
        .value("dentist_id", text(dentist.id.as_str()))
        .value("name", text(dentist.name.as_str()));
    (Cql::DentistUpsert, values)
}

impl ScyllaStore {
    pub(crate) async fn save_clinic(&self, clinic: &Clinic) -> Result<(), StoreError> {
        let (cql, values) = clinic_upsert(clinic);
        self.write(cql, values).await
    }

    pub(crate) async fn save_dentist(
        &self,
        dentist: &Dentist,
    ) -> Result<DentistOutcome, StoreError> {
        // Clinics are never deleted, so checking first and writing after cannot race with a
        // removal.
        if self.find_clinic(&dentist.clinic_id).await?.is_none() {
            return Ok(DentistOutcome::NoSuchClinic);
        }
        let (cql, values) = dentist_upsert(dentist);
        self.write(cql, values).await?;
        Ok(DentistOutcome::Saved)
    }

    pub(crate) async fn find_clinic(&self, id: &ClinicId) -> Result<Option<Clinic>, StoreError> {
        let values = Values::new()
            .key("directory", text(DIRECTORY))
            .key("clinic_id", text(id.as_str()));
        self.select_one::<ClinicRow>(&self.statements.clinic, values)
            .await?
            .map(ClinicRow::into_clinic)
            .transpose()
    }

    pub(crate) async fn list_clinics(
        &self,
        after: Option<&ClinicId>,
        limit: usize,
    ) -> Result<Vec<Clinic>, StoreError> {
        // Every clinic id sorts after the empty string.
        let values = Values::new()
            .key("directory", text(DIRECTORY))
            .key("clinic_id", text(after.map_or("", |id| id.as_str())));
        self.select::<ClinicRow>(&self.statements.clinics_after, values, limit)
            .await?
            .into_iter()
            .map(ClinicRow::into_clinic)
            .collect()
    }

    pub(crate) async fn list_dentists(
        &self,
        clinic: &ClinicId,
    ) -> Result<Vec<Dentist>, StoreError> {
        let mut dentists = Vec::new();
        let values = Values::new().key("clinic_id", text(clinic.as_str()));
        self.scan::<DentistRow>(&self.statements.dentists, values, |row| {
            dentists.push(row.into_dentist()?);
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        Ok(dentists)
    }
}

#[cfg(test)]
mod tests {
    use dentismile_domain::{
        clinic::{GeoPoint, OpeningHours},
        ids::DentistId,
        text::{Address, DisplayName},
    };

    use super::*;
    use crate::scylla::statements::bind_markers;

    #[test]
    fn directory_writes_bind_every_marker_in_order() {
        let clinic = Clinic {
            id: ClinicId::parse("haga").unwrap(),
            name: DisplayName::parse("Haga Tandvård").unwrap(),
            neighbourhood: DisplayName::parse("Haga").unwrap(),
            address: Address::parse("Haga Nygata 1").unwrap(),
            location: GeoPoint::new(57.69, 11.95).unwrap(),
            opening_hours: OpeningHours::closed(),
        };
        let (cql, values) = clinic_upsert(&clinic);
        assert_eq!(bind_markers(cql.text()), values.names());
        assert_eq!(values.into_cql()[0], Some(text(DIRECTORY)));
        let dentist = Dentist {
            clinic_id: clinic.id.clone(),
            id: DentistId::parse("dr-a").unwrap(),
            name: DisplayName::parse("Dr A").unwrap(),
        };
        let (cql, values) = dentist_upsert(&dentist);
        assert_eq!(bind_markers(cql.text()), values.names());
    }
}
