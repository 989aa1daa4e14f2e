//! Clinics and their dentists.

use std::fmt;

use jiff::civil::Weekday;

use crate::{
    error::ValidationError,
    ids::{ClinicId, DentistId},
    text::{Address, DisplayName},
    time::LocalTimeRange,
};

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    latitude: f64,
    longitude: f64,
}

impl GeoPoint {
    /// A point; errors name `latitude` or `longitude`.
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, ValidationError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(ValidationError::new(
                "latitude",
                format!("must be between -90 and 90 degrees, got {latitude}"),
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(ValidationError::new(
                "longitude",
                format!("must be between -180 and 180 degrees, got {longitude}"),
            ));
        }
        Ok(Self {
            latitude,
            longitude,
        })
    }

    /// Degrees north.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Degrees east.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }
}

/// Regular weekly opening hours: at most one period per weekday; a day without one is closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpeningHours([Option<LocalTimeRange>; 7]);

impl OpeningHours {
    /// Closed every day.
    pub fn closed() -> Self {
        Self::default()
    }

    /// Builds from (weekday, hours) pairs; a weekday given twice is an error naming its index
    /// (`[3].weekday`).
    pub fn from_days(
        days: impl IntoIterator<Item = (Weekday, LocalTimeRange)>,
    ) -> Result<Self, ValidationError> {
        let mut hours = Self::closed();
        for (index, (weekday, range)) in days.into_iter().enumerate() {
            let slot = &mut hours.0[weekday_index(weekday)];
            if slot.is_some() {
                return Err(ValidationError::new(
                    format!("[{index}].weekday"),
                    format!("{weekday:?} is listed twice"),
                ));
            }
            *slot = Some(range);
        }
        Ok(hours)
    }

    /// The hours of `weekday`, if open.
    pub fn on(&self, weekday: Weekday) -> Option<LocalTimeRange> {
        self.0[weekday_index(weekday)]
    }

    /// The open days, Monday first.
    pub fn open_days(&self) -> impl Iterator<Item = (Weekday, LocalTimeRange)> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(index, hours)| hours.map(|hours| (weekday_from_index(index), hours)))
    }
}

/// 0 for Monday through 6 for Sunday.
pub(crate) fn weekday_index(weekday: Weekday) -> usize {
    usize::try_from(weekday.to_monday_zero_offset()).expect("offsets are 0..=6")
}

fn weekday_from_index(index: usize) -> Weekday {
    let offset = i8::try_from(index).expect("index is 0..=6");
    Weekday::from_monday_zero_offset(offset).expect("index is 0..=6")
}

/// A dental clinic.
#[derive(Debug, Clone, PartialEq)]
pub struct Clinic {
    /// Its id.
    pub id: ClinicId,
    /// Display name.
    pub name: DisplayName,
    /// The neighbourhood (stadsdel) of Gothenburg it is in.
    pub neighbourhood: DisplayName,
    /// Street address.
    pub address: Address,
    /// Where it is.
    pub location: GeoPoint,
    /// When it is open.
    pub opening_hours: OpeningHours,
}

/// A dentist working at one clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dentist {
    /// The clinic.
    pub clinic_id: ClinicId,
    /// The dentist's id within the clinic.
    pub id: DentistId,
    /// Display name.
    pub name: DisplayName,
}

impl fmt::Display for Dentist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}/{})", self.name, self.clinic_id, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_bounded() {
        assert!(GeoPoint::new(57.7089, 11.9746).is_ok());
        assert_eq!(GeoPoint::new(91.0, 0.0).unwrap_err().field(), "latitude");
        assert_eq!(
            GeoPoint::new(0.0, f64::NAN).unwrap_err().field(),
            "longitude"
        );
    }

    #[test]
    fn opening_hours_hold_one_period_per_weekday() {
        let nine_to_five = LocalTimeRange::parse("09:00", "17:00").unwrap();
        let hours = OpeningHours::from_days([
            (Weekday::Monday, nine_to_five),
            (Weekday::Friday, nine_to_five),
        ])
        .unwrap();
        assert_eq!(hours.on(Weekday::Friday), Some(nine_to_five));
        assert_eq!(hours.on(Weekday::Sunday), None);
        assert_eq!(hours.open_days().count(), 2);

        let error = OpeningHours::from_days([
            (Weekday::Monday, nine_to_five),
            (Weekday::Monday, nine_to_five),
        ])
        .unwrap_err();
        assert_eq!(error.field(), "[1].weekday");
    }
}
