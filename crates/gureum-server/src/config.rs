//! How a Gureum server is set up.

use std::net::IpAddr;
use std::path::PathBuf;

/// Everything `gureum serve` can be told.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on (`127.0.0.1`).
    pub host: IpAddr,
    /// The port (`4566`; `0` picks a free one).
    pub port: u16,
    /// Where state lives; ignored when `ephemeral`.
    pub data_dir: PathBuf,
    /// Keep everything in memory.
    pub ephemeral: bool,
    /// Refuse access keys Gureum does not know.
    pub strict: bool,
    /// A TOML file declaring accounts and their keys.
    pub accounts_file: Option<PathBuf>,
    /// Fsync every write (survives a power cut), not only a checkpoint
    /// every second (survives a process crash).
    pub fsync_every_write: bool,
    /// The DNS server's port (UDP and TCP) on `host`: `None` picks a free
    /// one, `Some(53)` is the standard port.
    pub dns_port: Option<u16>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 4566,
            data_dir: PathBuf::from(".gureum"),
            ephemeral: false,
            strict: false,
            accounts_file: None,
            fsync_every_write: false,
            dns_port: None,
        }
    }
}
