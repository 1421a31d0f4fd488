//! What `CreateImage` keeps of a running instance: its writable layers
//! (everything it changed under `/etc`, `/usr`, `/var`, `/opt`, …) and
//! its home directories, copied beside the instances' directories. An
//! instance launched from that image starts from a copy of them, so
//! software installed before the image was made is there, as on AWS.
//! Host keys, the console and the user data's "done" mark are the
//! instance's own and are not kept.

use crate::Config;
use std::path::{Path, PathBuf};

/// What an image keeps, relative to an instance's directory.
const KEPT: [&str; 2] = ["layer", "home"];

/// Where the images' contents live: beside (not under) the instances'
/// directory, which a reset of EC2 removes whole.
fn images_root(config: &Config) -> PathBuf {
    config.root.with_file_name("instance-images")
}

fn copy_into(from: &Path, into: &Path) -> Result<(), String> {
    // `cp -a` keeps owners, modes, and the overlay's whiteouts (device
    // files) and opaque-directory attributes.
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg("--")
        .arg(from)
        .arg(into)
        .output()
        .map_err(|e| format!("cp: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Keeps `instance`'s layers and homes as `image`'s contents (complete or
/// not at all: copied aside, then renamed).
pub(crate) fn capture(config: &Config, instance: &str, image: &str) -> Result<(), String> {
    let src = config.root.join(instance);
    let dst = images_root(config).join(image);
    let partial = images_root(config).join(format!(".{image}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| e.to_string())?;
    for sub in KEPT {
        if src.join(sub).exists() {
            copy_into(&src.join(sub), &partial)?;
        }
    }
    // Overlay work directories belong to a mount, not to the contents.
    if let Ok(layers) = std::fs::read_dir(partial.join("layer")) {
        for layer in layers.flatten() {
            let _ = std::fs::remove_dir_all(layer.path().join("work"));
        }
    }
    std::fs::rename(&partial, &dst).map_err(|e| e.to_string())
}

/// Gives a new instance's directory `dir` the contents of `image`, when
/// that image was made from an instance here.
pub(crate) fn seed(config: &Config, image: &str, dir: &Path) -> Result<(), String> {
    let src = images_root(config).join(image);
    if image.is_empty() || !src.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for sub in KEPT {
        if src.join(sub).exists() {
            copy_into(&src.join(sub), dir)?;
        }
    }
    Ok(())
}

/// Drops `image`'s contents (`DeregisterImage`).
pub(crate) fn forget(config: &Config, image: &str) {
    if !image.is_empty() && !image.contains('/') {
        let _ = std::fs::remove_dir_all(images_root(config).join(image));
    }
}

/// Drops every image's contents (EC2's state was reset).
pub(crate) fn forget_all(config: &Config) {
    let _ = std::fs::remove_dir_all(images_root(config));
}
