//! Where the embedded cluster and its socket live, and how their folders are made private.
//!
//! As root the server runs as `postgres`; when that user cannot reach the configured folder
//! (a checkout in root's home, mode 700), the cluster goes to a folder of its own under
//! [`RELOCATED_BASE`] instead of loosening the user's folders. A socket path too long for a
//! unix socket name gets a private mkdtemp(3) folder. Folders are made private through a
//! handle opened with `O_NOFOLLOW`, so a symbolic link where a folder is expected is refused.

use std::{
    ffi::{CString, OsString},
    fs, io,
    os::unix::{
        ffi::OsStringExt,
        fs::{OpenOptionsExt, PermissionsExt},
    },
    path::{Path, PathBuf},
};

use super::{EmbeddedError, failed};

/// Where clusters go when agrupa runs as root and the `postgres` user cannot reach the
/// configured data folder: `<base>/<the folder's path, flattened>-<hash>`.
pub const RELOCATED_BASE: &str = "/var/lib/agrupa";
/// The longest socket folder path that leaves room for `/.s.PGSQL.5432` in a unix socket
/// name (107 bytes), with a margin.
const MAX_SOCKET_DIR: usize = 100 - "/.s.PGSQL.5432".len();

/// The first folder above `dir` that the `postgres` user cannot enter (no search
/// permission for others), with its mode.
fn unreachable_ancestor(dir: &Path) -> Option<(PathBuf, u32)> {
    dir.ancestors().skip(1).find_map(|d| {
        let mode = fs::metadata(d).ok()?.permissions().mode();
        (mode & 0o001 == 0).then(|| (d.to_owned(), mode & 0o777))
    })
}

/// Every folder above the data folder must be enterable by the `postgres` user.
pub(super) fn check_reachable(dir: &Path) -> Result<(), EmbeddedError> {
    match unreachable_ancestor(dir) {
        Some((blocked, mode)) => Err(failed(format!(
            "the postgres user cannot enter {} (mode {mode:o}); choose another AGRUPA_DATA_DIR",
            blocked.display()
        ))),
        None => Ok(()),
    }
}

/// Where the cluster lives. As root, when the `postgres` user cannot reach `requested` (a
/// checkout in root's home, mode 700), a folder of its own under [`RELOCATED_BASE`], named
/// after `requested` so that each checkout keeps its own data across restarts.
pub(super) fn cluster_root(
    requested: &Path,
    owner: Option<(u32, u32)>,
) -> Result<PathBuf, EmbeddedError> {
    let Some((blocked, mode)) = owner.and_then(|_| unreachable_ancestor(requested)) else {
        return Ok(requested.to_owned());
    };
    let base = Path::new(RELOCATED_BASE);
    fs::create_dir_all(base)
        .map_err(|e| failed(format!("cannot create {}: {e}", base.display())))?;
    // Root's own folder: a real folder that only root may change (others may enter it).
    let handle = open_dir_nofollow(base)?;
    let meta = handle.metadata().map_err(|e| failed(e.to_string()))?;
    if std::os::unix::fs::MetadataExt::uid(&meta) != 0 || meta.permissions().mode() & 0o022 != 0 {
        return Err(failed(format!(
            "{} must belong to root and be writable by nobody else",
            base.display()
        )));
    }
    handle
        .set_permissions(fs::Permissions::from_mode(0o755))
        .map_err(|e| failed(format!("cannot open up {}: {e}", base.display())))?;
    let root = base.join(relocated_name(requested));
    check_reachable(&root)?;
    tracing::warn!(
        requested = %requested.display(),
        blocked = %blocked.display(),
        mode = format!("{mode:o}"),
        location = %root.display(),
        "the postgres user cannot enter a folder above the data folder; the embedded \
         PostgreSQL keeps its data in the location shown instead (the folder's permissions \
         are left as they are)"
    );
    Ok(root)
}

/// `root-agrupa-.agrupa-pg-1a2b3c4d` for `/root/agrupa/.agrupa/pg`: the path's last
/// components (as many as fit in 48 characters), readable, then a hash of the whole path,
/// unique; short enough for the socket folder inside it.
fn relocated_name(requested: &Path) -> String {
    let mut name = String::new();
    let parts = requested.components().filter_map(|c| match c {
        std::path::Component::Normal(part) => part.to_str(),
        _ => None,
    });
    for part in parts.rev() {
        let part: String = part
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
                _ => '_',
            })
            .collect();
        if name.len() + part.len() + 1 > 48 {
            break;
        }
        name = if name.is_empty() {
            part
        } else {
            format!("{part}-{name}")
        };
    }
    format!(
        "{}-{:08x}",
        name.trim_start_matches('.'),
        fnv(requested) as u32
    )
}

fn fnv(path: &Path) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_os_str().as_encoded_bytes() {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Creates `dir` if needed and makes it private to the server's user (mode 0700, owned by
/// `owner`), through a handle that refuses a symbolic link: a link planted where a folder
/// is expected would otherwise hand its target to `postgres`.
pub(super) fn private_dir(dir: &Path, owner: Option<(u32, u32)>) -> Result<(), EmbeddedError> {
    fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    let handle = open_dir_nofollow(dir)?;
    handle
        .set_permissions(fs::Permissions::from_mode(0o700))
        .map_err(|e| failed(format!("cannot restrict {}: {e}", dir.display())))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&handle, Some(uid), Some(gid))
            .map_err(|e| failed(format!("cannot hand {} to postgres: {e}", dir.display())))?;
    }
    Ok(())
}

/// Opens a folder, refusing a symbolic link (`O_NOFOLLOW`).
fn open_dir_nofollow(dir: &Path) -> Result<fs::File, EmbeddedError> {
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(dir)
        .map_err(|e| match refuse_symlink(dir) {
            Err(symlink) => symlink,
            Ok(()) => failed(format!("cannot open the folder {}: {e}", dir.display())),
        })
}

/// An error when `path` exists as a symbolic link.
pub(super) fn refuse_symlink(path: &Path) -> Result<(), EmbeddedError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_refused(path)),
        _ => Ok(()),
    }
}

fn symlink_refused(path: &Path) -> EmbeddedError {
    failed(format!(
        "{} is a symbolic link, where agrupa expects a folder; point AGRUPA_DATA_DIR at the real folder",
        path.display()
    ))
}

/// The socket folder: `<root>/run`, or, when that path would be too long for a unix socket
/// name, a private folder made by mkdtemp(3) in the temporary folder (mode 0700, then handed
/// to the server's user), removed when the server stops. `true` says it is the latter.
pub(super) fn socket_dir_for(
    root: &Path,
    owner: Option<(u32, u32)>,
) -> Result<(PathBuf, bool), EmbeddedError> {
    let preferred = root.join("run");
    if preferred.as_os_str().len() <= MAX_SOCKET_DIR {
        private_dir(&preferred, owner)?;
        return Ok((preferred, false));
    }
    let dir = make_temp_dir("agrupa-pg-")?;
    let made = (|| {
        if dir.as_os_str().len() > MAX_SOCKET_DIR {
            return Err(failed(format!(
                "the temporary folder {} has too long a path for a socket; set TMPDIR to a shorter one",
                dir.display()
            )));
        }
        private_dir(&dir, owner)?;
        if owner.is_some() {
            check_reachable(&dir)?;
        }
        Ok(())
    })();
    match made {
        Ok(()) => Ok((dir, true)),
        Err(e) => {
            let _ = fs::remove_dir(&dir);
            Err(e)
        }
    }
}

/// mkdtemp(3) in the temporary folder: a new folder of mode 0700 with an unpredictable name.
#[expect(unsafe_code, reason = "mkdtemp(3) has no safe wrapper in std")]
fn make_temp_dir(prefix: &str) -> Result<PathBuf, EmbeddedError> {
    let template = std::env::temp_dir().join(format!("{prefix}XXXXXX"));
    let mut bytes = CString::new(template.into_os_string().into_vec())
        .map_err(|e| failed(format!("bad temporary folder: {e}")))?
        .into_bytes_with_nul();
    // SAFETY: `bytes` is a writable, NUL-terminated template ending in XXXXXX, which
    // mkdtemp(3) rewrites in place; the pointer is not kept.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(failed(format!(
            "cannot create a socket folder in {}: {}",
            std::env::temp_dir().display(),
            io::Error::last_os_error()
        )));
    }
    bytes.pop();
    Ok(PathBuf::from(OsString::from_vec(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relocated_cluster_is_named_after_its_folder() {
        let name = relocated_name(Path::new("/root/agrupa/.agrupa/pg"));
        assert!(name.starts_with("root-agrupa-.agrupa-pg-"), "{name}");
        let other = relocated_name(Path::new("/root/otro/.agrupa/pg"));
        assert_ne!(name, other);
        let long = relocated_name(Path::new(&format!("/root/{}/.agrupa/pg", "x".repeat(200))));
        assert!(long.len() <= 57, "{long}");
        let root = Path::new(RELOCATED_BASE).join(&long).join("run");
        assert!(
            root.as_os_str().len() <= MAX_SOCKET_DIR,
            "{}",
            root.display()
        );
    }

    #[test]
    fn a_long_data_path_gets_a_private_unpredictable_socket_folder() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("x".repeat(120));
        let (first, temporary) = socket_dir_for(&root, None).unwrap();
        let (second, _) = socket_dir_for(&root, None).unwrap();
        assert!(temporary);
        assert_ne!(first, second, "a new name each time");
        for dir in [&first, &second] {
            assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
            let meta = fs::symlink_metadata(dir).unwrap();
            assert!(meta.is_dir());
            assert_eq!(meta.permissions().mode() & 0o777, 0o700);
            fs::remove_dir(dir).unwrap();
        }
        let (short, temporary) = socket_dir_for(base.path(), None).unwrap();
        assert_eq!((short, temporary), (base.path().join("run"), false));
    }

    #[test]
    fn a_symlink_where_a_folder_is_expected_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("elsewhere");
        fs::create_dir(&target).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
        let root = base.path().join("pg");
        std::os::unix::fs::symlink(&target, &root).unwrap();
        let err = private_dir(&root, None).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        let real = base.path().join("real");
        fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&target, real.join("run")).unwrap();
        let err = socket_dir_for(&real, None).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::os::unix::fs::symlink(&target, target.join("data")).unwrap();
        assert!(refuse_symlink(&target.join("data")).is_err());
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "the link's target is untouched");
    }
}
