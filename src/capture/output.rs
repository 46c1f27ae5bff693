//! Writing output files without ever leaving half of one behind: write to a temporary file in
//! the destination's folder, then rename over the destination (atomic on one filesystem).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The temporary sibling a file is written to before it is renamed into place.
pub fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temporary = temporary_sibling(path);
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::fs::File::create(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        file.sync_all().ok();
        std::fs::rename(&temporary, path)
            .with_context(|| format!("cannot move the finished file to {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/out.png");
        assert!(write_atomically(&missing, b"x").is_err());
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        let ok = dir.path().join("out.png");
        write_atomically(&ok, b"png").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"png");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
