//! Writing a file so that a crash at any moment leaves either the old version or the new one,
//! never a mix: Redis's recipe (rdb.c `rdbSave`, aof.c `writeAofManifestFile`), which every
//! file thredis persists follows:
//! 1. write a temporary file beside the target (`temp-<pid>.rdb`);
//! 2. `fsync` it (and, with `rdb-save-incremental-fsync`, every 4 MB on the way, so the kernel
//!    never holds gigabytes of dirty pages that one final fsync would have to flush at once);
//! 3. `rename` it over the target, which is atomic;
//! 4. `fsync` the directory, so the rename itself survives a power loss.
//!
//! A [`TempFile`] dropped before [`TempFile::commit`] removes itself: a failed or abandoned save
//! leaves nothing behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Redis's `REDIS_AUTOSYNC_BYTES`: how much may be written between two fsyncs of a save.
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

pub struct TempFile {
    path: PathBuf,
    file: Option<File>,
    written: u64,
    synced: u64,
    incremental_fsync: bool,
}

impl TempFile {
    /// Creates (or truncates) `path` for writing.
    pub fn create(path: impl Into<PathBuf>, incremental_fsync: bool) -> io::Result<TempFile> {
        let path = path.into();
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        Ok(TempFile {
            path,
            file: Some(file),
            written: 0,
            synced: 0,
            incremental_fsync,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.written
    }

    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self.file.as_mut().expect("open until committed");
        file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        if self.incremental_fsync && self.written - self.synced >= AUTOSYNC_BYTES {
            file.sync_data()?;
            self.synced = self.written;
        }
        Ok(())
    }

    /// Makes the file durable and puts it in place of `target`. Returns the number of bytes.
    pub fn commit(mut self, target: &Path) -> io::Result<u64> {
        let file = self.file.take().expect("open until committed");
        file.sync_all()?;
        drop(file);
        fs::rename(&self.path, target)?;
        fsync_parent(target)?;
        Ok(self.written)
    }

    /// Makes the file durable and closes it, keeping its temporary name (the caller renames it
    /// later, as an AOF rewrite does once the manifest is ready).
    pub fn finish(mut self) -> io::Result<(PathBuf, u64)> {
        let file = self.file.take().expect("open until committed");
        file.sync_all()?;
        Ok((std::mem::take(&mut self.path), self.written))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// `fsync`s the directory holding `path`, so a file created or renamed in it stays there after
/// a crash (Redis's `fsyncFileDir`).
pub fn fsync_parent(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Writes `contents` to `target` through a temporary file in the same directory.
pub fn write_atomically(target: &Path, temp: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = TempFile::create(temp, false)?;
    file.write(contents)?;
    file.commit(target).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("thredis-files-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_committed_file_replaces_the_target() {
        let dir = scratch("commit");
        let target = dir.join("dump.rdb");
        fs::write(&target, b"old").unwrap();
        let mut file = TempFile::create(dir.join("temp-1.rdb"), true).unwrap();
        file.write(b"new contents").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old", "untouched until commit");
        assert_eq!(file.commit(&target).unwrap(), 12);
        assert_eq!(fs::read(&target).unwrap(), b"new contents");
        assert!(!dir.join("temp-1.rdb").exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_abandoned_file_removes_itself() {
        let dir = scratch("abandon");
        let temp = dir.join("temp-2.rdb");
        let mut file = TempFile::create(&temp, false).unwrap();
        file.write(b"half").unwrap();
        assert!(temp.exists());
        drop(file);
        assert!(!temp.exists());
        fs::remove_dir_all(dir).unwrap();
    }
}
