//! Display names of clinics and dentists, for appointments. Names change rarely and are only
//! shown, so they are cached for a minute instead of read on every booking; a failed lookup
//! shows no name rather than failing the request.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use dentismile_domain::{ids::ClinicId, ports::Store, slot::SlotKey};

use crate::wire::Names;

const TIME_TO_LIVE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct ClinicNames {
    loaded: Instant,
    clinic: String,
    dentists: HashMap<String, String>,
}

/// The cache.
#[derive(Debug)]
pub struct NameCache {
    store: Arc<dyn Store>,
    clinics: RwLock<HashMap<ClinicId, ClinicNames>>,
}

impl NameCache {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            clinics: RwLock::new(HashMap::new()),
        }
    }

    /// The names for a slot's clinic and dentist.
    pub async fn for_slot(&self, slot: &SlotKey) -> Names {
        let cached = self
            .clinics
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&slot.clinic_id)
            .filter(|entry| entry.loaded.elapsed() < TIME_TO_LIVE)
            .cloned();
        let entry = match cached {
            Some(entry) => entry,
            None => match self.load(&slot.clinic_id).await {
                Some(entry) => entry,
                None => return Names::default(),
            },
        };
        Names {
            clinic: entry.clinic.clone(),
            dentist: entry
                .dentists
                .get(slot.dentist_id.as_str())
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// Forgets a clinic after it changed here.
    pub fn invalidate(&self, clinic: &ClinicId) {
        self.clinics
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(clinic);
    }

    async fn load(&self, clinic_id: &ClinicId) -> Option<ClinicNames> {
        let clinic = self.store.clinic(clinic_id).await.ok().flatten()?;
        let dentists = self.store.dentists(clinic_id).await.ok()?;
        let entry = ClinicNames {
            loaded: Instant::now(),
            clinic: clinic.name.to_string(),
            dentists: dentists
                .into_iter()
                .map(|d| (d.id.to_string(), d.name.to_string()))
                .collect(),
        };
        self.clinics
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(clinic_id.clone(), entry.clone());
        Some(entry)
    }
}
