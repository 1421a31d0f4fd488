//! One file system's directory served as NFSv3 through `nfsserve`'s
//! [`NFSFileSystem`] trait: file ids are handed out as paths are first
//! seen (the root is 1) and kept in memory, so after a restart clients
//! look their paths up again (their old handles are stale, as after an
//! NFS server reboot with a new generation).

use async_trait::async_trait;
use nfsserve::fs_util::{metadata_to_fattr3, path_setattr};
use nfsserve::nfs::{fattr3, fileid3, filename3, nfspath3, nfsstat3, sattr3};
use nfsserve::vfs::{DirEntry, NFSFileSystem, ReadDirResult, VFSCapabilities};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The root directory's file id.
const ROOT: fileid3 = 1;

/// Paths by id and ids by path.
#[derive(Default)]
struct Ids {
    paths: HashMap<fileid3, PathBuf>,
    ids: HashMap<PathBuf, fileid3>,
    next: fileid3,
}

/// A directory served over NFS.
pub struct DirFs {
    root: PathBuf,
    ids: Mutex<Ids>,
}

fn io_status(e: &std::io::Error) -> nfsstat3 {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => nfsstat3::NFS3ERR_NOENT,
        PermissionDenied => nfsstat3::NFS3ERR_ACCES,
        AlreadyExists => nfsstat3::NFS3ERR_EXIST,
        DirectoryNotEmpty => nfsstat3::NFS3ERR_NOTEMPTY,
        NotADirectory => nfsstat3::NFS3ERR_NOTDIR,
        IsADirectory => nfsstat3::NFS3ERR_ISDIR,
        _ => nfsstat3::NFS3ERR_IO,
    }
}

/// A name from the wire, refused when it could leave its directory.
fn name(filename: &filename3) -> Result<&str, nfsstat3> {
    let n = std::str::from_utf8(&filename.0).map_err(|_| nfsstat3::NFS3ERR_INVAL)?;
    if n.is_empty() || n == "." || n == ".." || n.contains('/') || n.contains('\0') {
        return Err(nfsstat3::NFS3ERR_INVAL);
    }
    Ok(n)
}

impl DirFs {
    /// Serves `root` (made when missing).
    pub fn new(root: &Path) -> std::io::Result<DirFs> {
        std::fs::create_dir_all(root)?;
        let mut ids = Ids {
            next: ROOT + 1,
            ..Ids::default()
        };
        ids.paths.insert(ROOT, root.to_path_buf());
        ids.ids.insert(root.to_path_buf(), ROOT);
        Ok(DirFs {
            root: root.to_path_buf(),
            ids: Mutex::new(ids),
        })
    }

    fn path(&self, id: fileid3) -> Result<PathBuf, nfsstat3> {
        self.ids
            .lock()
            .paths
            .get(&id)
            .cloned()
            .ok_or(nfsstat3::NFS3ERR_STALE)
    }

    fn id(&self, path: &Path) -> fileid3 {
        let mut ids = self.ids.lock();
        if let Some(id) = ids.ids.get(path) {
            return *id;
        }
        let id = ids.next;
        ids.next += 1;
        ids.paths.insert(id, path.to_path_buf());
        ids.ids.insert(path.to_path_buf(), id);
        id
    }

    fn forget(&self, path: &Path) {
        let mut ids = self.ids.lock();
        if let Some(id) = ids.ids.remove(path) {
            ids.paths.remove(&id);
        }
    }

    fn child(&self, dirid: fileid3, filename: &filename3) -> Result<PathBuf, nfsstat3> {
        Ok(self.path(dirid)?.join(name(filename)?))
    }

    fn attr(&self, id: fileid3, path: &Path) -> Result<fattr3, nfsstat3> {
        let meta = std::fs::symlink_metadata(path).map_err(|e| io_status(&e))?;
        Ok(metadata_to_fattr3(id, &meta))
    }
}

#[async_trait]
impl NFSFileSystem for DirFs {
    fn capabilities(&self) -> VFSCapabilities {
        VFSCapabilities::ReadWrite
    }

    fn root_dir(&self) -> fileid3 {
        ROOT
    }

    async fn lookup(&self, dirid: fileid3, filename: &filename3) -> Result<fileid3, nfsstat3> {
        let dir = self.path(dirid)?;
        let path = match filename.0.as_slice() {
            b"." => dir,
            // The root's parent is itself: nothing above the export.
            b".." if dir == self.root => dir,
            b".." => dir
                .parent()
                .map(Path::to_path_buf)
                .ok_or(nfsstat3::NFS3ERR_NOENT)?,
            _ => dir.join(name(filename)?),
        };
        std::fs::symlink_metadata(&path).map_err(|e| io_status(&e))?;
        Ok(self.id(&path))
    }

    async fn getattr(&self, id: fileid3) -> Result<fattr3, nfsstat3> {
        self.attr(id, &self.path(id)?)
    }

    async fn setattr(&self, id: fileid3, setattr: sattr3) -> Result<fattr3, nfsstat3> {
        let path = self.path(id)?;
        path_setattr(&path, &setattr).await?;
        self.attr(id, &path)
    }

    async fn read(
        &self,
        id: fileid3,
        offset: u64,
        count: u32,
    ) -> Result<(Vec<u8>, bool), nfsstat3> {
        let path = self.path(id)?;
        let mut file = std::fs::File::open(&path).map_err(|e| io_status(&e))?;
        let len = file.metadata().map_err(|e| io_status(&e))?.len();
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_status(&e))?;
        let mut buf = Vec::with_capacity(count.min(1 << 20) as usize);
        file.take(count as u64)
            .read_to_end(&mut buf)
            .map_err(|e| io_status(&e))?;
        let eof = offset + buf.len() as u64 >= len;
        Ok((buf, eof))
    }

    async fn write(&self, id: fileid3, offset: u64, data: &[u8]) -> Result<fattr3, nfsstat3> {
        let path = self.path(id)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| io_status(&e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_status(&e))?;
        file.write_all(data).map_err(|e| io_status(&e))?;
        file.sync_data().map_err(|e| io_status(&e))?;
        self.attr(id, &path)
    }

    async fn create(
        &self,
        dirid: fileid3,
        filename: &filename3,
        attr: sattr3,
    ) -> Result<(fileid3, fattr3), nfsstat3> {
        let path = self.child(dirid, filename)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| io_status(&e))?;
        path_setattr(&path, &attr).await?;
        let id = self.id(&path);
        Ok((id, self.attr(id, &path)?))
    }

    async fn create_exclusive(
        &self,
        dirid: fileid3,
        filename: &filename3,
    ) -> Result<fileid3, nfsstat3> {
        let path = self.child(dirid, filename)?;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| io_status(&e))?;
        Ok(self.id(&path))
    }

    async fn mkdir(
        &self,
        dirid: fileid3,
        dirname: &filename3,
    ) -> Result<(fileid3, fattr3), nfsstat3> {
        let path = self.child(dirid, dirname)?;
        std::fs::create_dir(&path).map_err(|e| io_status(&e))?;
        let id = self.id(&path);
        Ok((id, self.attr(id, &path)?))
    }

    async fn remove(&self, dirid: fileid3, filename: &filename3) -> Result<(), nfsstat3> {
        let path = self.child(dirid, filename)?;
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io_status(&e))?;
        if meta.is_dir() {
            std::fs::remove_dir(&path).map_err(|e| io_status(&e))?;
        } else {
            std::fs::remove_file(&path).map_err(|e| io_status(&e))?;
        }
        self.forget(&path);
        Ok(())
    }

    async fn rename(
        &self,
        from_dirid: fileid3,
        from_filename: &filename3,
        to_dirid: fileid3,
        to_filename: &filename3,
    ) -> Result<(), nfsstat3> {
        let from = self.child(from_dirid, from_filename)?;
        let to = self.child(to_dirid, to_filename)?;
        std::fs::rename(&from, &to).map_err(|e| io_status(&e))?;
        // The moved entry keeps its id under its new path (a directory's
        // children are looked up again).
        let mut ids = self.ids.lock();
        if let Some(old) = ids.ids.remove(&to) {
            ids.paths.remove(&old);
        }
        if let Some(id) = ids.ids.remove(&from) {
            ids.paths.insert(id, to.clone());
            ids.ids.insert(to, id);
        }
        Ok(())
    }

    async fn readdir(
        &self,
        dirid: fileid3,
        start_after: fileid3,
        max_entries: usize,
    ) -> Result<ReadDirResult, nfsstat3> {
        let dir = self.path(dirid)?;
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| io_status(&e))?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        names.sort();
        let mut entries = Vec::new();
        let mut started = start_after == 0;
        let mut end = true;
        for n in names {
            let path = dir.join(&n);
            let id = self.id(&path);
            if !started {
                started = id == start_after;
                continue;
            }
            if entries.len() >= max_entries {
                end = false;
                break;
            }
            let Ok(attr) = self.attr(id, &path) else {
                continue;
            };
            entries.push(DirEntry {
                fileid: id,
                name: n.as_encoded_bytes().into(),
                attr,
            });
        }
        Ok(ReadDirResult { entries, end })
    }

    /// Symbolic links are refused: a link made by a client could point
    /// outside the export, which the host would then follow.
    async fn symlink(
        &self,
        _dirid: fileid3,
        _linkname: &filename3,
        _symlink: &nfspath3,
        _attr: &sattr3,
    ) -> Result<(fileid3, fattr3), nfsstat3> {
        Err(nfsstat3::NFS3ERR_NOTSUPP)
    }

    async fn readlink(&self, id: fileid3) -> Result<nfspath3, nfsstat3> {
        let target = std::fs::read_link(self.path(id)?).map_err(|e| io_status(&e))?;
        Ok(target.as_os_str().as_encoded_bytes().into())
    }
}
