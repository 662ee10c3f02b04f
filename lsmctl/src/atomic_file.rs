//! Replacing a file so that a crash or a concurrent reader sees the old content or the new,
//! never a mix or nothing, and so that no link planted in the directory is followed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Writes `bytes` to `dest` through a new file in the same directory (created exclusively,
/// without following links, with `mode` and, if given, owner), synced, then renamed over
/// `dest`; the directory is synced after, so the rename is on disk too.
pub(crate) fn replace(
    dest: &Path,
    bytes: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<(), String> {
    let dir = dest.parent().unwrap_or(Path::new("/"));
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.lsmctl-{}", std::process::id()));
    let fail = |e: std::io::Error| format!("{}: {e}", tmp.display());
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&tmp)
        .map_err(fail)?;
    let written = f
        .write_all(bytes)
        .and_then(|()| match owner {
            Some((uid, gid)) => std::os::unix::fs::fchown(&f, Some(uid), Some(gid)),
            None => Ok(()),
        })
        .and_then(|()| f.set_permissions(fs::Permissions::from_mode(mode)))
        .and_then(|()| f.sync_all())
        .and_then(|()| fs::rename(&tmp, dest));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
