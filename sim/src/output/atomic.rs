//! Atomic files: write to `<name>.tmp` in the same folder, rename to `<name>` on commit; a file
//! dropped without commit is removed, so no half-written file ever carries the final name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file that appears under its final name only when committed.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    w: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `dest` (through a temporary file beside it).
    pub fn create(dest: &Path) -> std::io::Result<AtomicFile> {
        let mut name = dest.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        let tmp = dest.with_file_name(name);
        let w = BufWriter::new(File::create(&tmp)?);
        Ok(AtomicFile {
            tmp,
            dest: dest.to_path_buf(),
            w: Some(w),
        })
    }

    /// Flushes, syncs and renames to the final name.
    pub fn commit(mut self) -> std::io::Result<()> {
        let w = self.w.take().expect("not yet committed");
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&self.tmp, &self.dest)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.w.as_mut().expect("not yet committed").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.as_mut().expect("not yet committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes a whole file atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes)?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_appears_only_on_commit_and_vanishes_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.csv");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"x,y\n").unwrap();
        assert!(!dest.exists(), "no final file before commit");
        f.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"x,y\n");
        let other = dir.path().join("b.csv");
        {
            let mut g = AtomicFile::create(&other).unwrap();
            g.write_all(b"partial").unwrap();
        }
        assert!(!other.exists());
        assert!(
            !dir.path().join("b.csv.tmp").exists(),
            "temporary removed on drop"
        );
        // Overwriting keeps the old file intact until the new one commits.
        let mut h = AtomicFile::create(&dest).unwrap();
        h.write_all(b"new").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"x,y\n");
        h.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }
}
