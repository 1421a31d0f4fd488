//! A function's code as files, for reading (the web console's code view).

use crate::LambdaService;
use gureum_core::{AwsError, RequestContext};
use serde_json::json;
use std::path::Path;

/// One file of a function's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFile {
    /// The path inside the deployment package.
    pub path: String,
    /// The file's size in bytes.
    pub size: u64,
    /// Its first bytes (up to the limit asked for).
    pub head: Vec<u8>,
}

/// At most this many files are listed (packages with dependencies hold
/// thousands; the handler's own files come first by path depth).
const MAX_FILES: usize = 200;

impl LambdaService {
    /// The files of `function`'s `$LATEST` code (a name, ARN or
    /// qualified name, as `GetFunction` takes), shallowest first, each
    /// with its first `head_bytes` bytes; the code is extracted from the
    /// store first when it is not on disk.
    pub fn code_files(
        &self,
        ctx: &RequestContext,
        function: &str,
        head_bytes: usize,
    ) -> Result<Vec<CodeFile>, AwsError> {
        let (_, f) = self.resolve(ctx, &json!({ "FunctionName": function }))?;
        let root = self.task_roots().get(&ctx.account_id, &ctx.region, &f)?;
        let mut paths = Vec::new();
        walk(&root, &root, &mut paths);
        paths.sort_by(|a, b| (a.matches('/').count(), a).cmp(&(b.matches('/').count(), b)));
        paths.truncate(MAX_FILES);
        Ok(paths
            .into_iter()
            .map(|path| {
                let full = root.join(&path);
                let size = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
                let head = read_head(&full, head_bytes);
                CodeFile { path, size, head }
            })
            .collect())
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            walk(root, &p, out);
        } else if kind.is_file() {
            if let Ok(rel) = p.strip_prefix(root) {
                let rel = rel.to_string_lossy().into_owned();
                // The extractor's own completion marker is not code.
                if rel != ".complete" {
                    out.push(rel);
                }
            }
        }
    }
}

fn read_head(path: &Path, limit: usize) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(limit as u64).read_to_end(&mut out);
    }
    out
}
