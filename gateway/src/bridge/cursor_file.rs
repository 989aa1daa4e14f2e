//! The bridge's durable cursor, one file per broker: the event feed position up to which that
//! broker acknowledged everything. Written atomically (temporary file, fsync, rename), so a
//! crash leaves the old cursor or the new one, never a torn one.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

/// A cursor file.
#[derive(Debug, Clone)]
pub struct CursorFile {
    path: PathBuf,
}

impl CursorFile {
    /// The cursor file for `broker_key` in `state_dir`.
    pub fn new(state_dir: &Path, broker_key: &str) -> Self {
        Self {
            path: state_dir.join(format!("mqtt-bridge-{broker_key}.cursor")),
        }
    }

    /// The saved cursor, or `None` when none was ever saved. (An empty saved cursor is the
    /// beginning of the feed, which is not the same as never having started.)
    pub fn load(&self) -> io::Result<Option<String>> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text.trim().to_string())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Replaces the saved cursor.
    pub fn save(&self, cursor: &str) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        let temporary = self.path.with_extension("cursor.tmp");
        let mut file = fs::File::create(&temporary)?;
        file.write_all(cursor.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, &self.path)
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let file = CursorFile::new(dir.path(), "127.0.0.1_1883");
        assert_eq!(file.load().unwrap(), None);
        file.save("").unwrap();
        assert_eq!(
            file.load().unwrap().as_deref(),
            Some(""),
            "the beginning, saved"
        );
        file.save("abc.42").unwrap();
        file.save("abc.43").unwrap();
        assert_eq!(file.load().unwrap().as_deref(), Some("abc.43"));
    }
}
