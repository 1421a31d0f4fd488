//! A service's own master key: 32 random bytes made on the first use of a
//! store and kept in it, under which the service seals what it keeps
//! secret (KMS its keys' material, S3 its SSE-S3 data keys).

use base64::Engine as _;
use gureum_core::AwsError;
use gureum_store::{Store, Table};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The master key at `row` of `table`, made there once. A stored key is
/// read without a write (so this is safe inside another service's write
/// transaction once the key exists); a missing one is read again and made
/// in one transaction, so two first callers agree. `owner` names the key
/// in the error a malformed row gives.
pub fn load_or_create(
    store: &Store,
    table: &Table<String>,
    row: &str,
    owner: &str,
) -> Result<[u8; 32], AwsError> {
    let encoded = match table.get(row)? {
        Some(k) => k,
        None => store.write(|txn| -> Result<String, AwsError> {
            if let Some(k) = txn.get(table, row)? {
                return Ok(k);
            }
            let k = B64.encode(rand::random::<[u8; 32]>());
            txn.put(table, row, &k)?;
            Ok(k)
        })?,
    };
    B64.decode(encoded)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| AwsError::internal(format!("the stored {owner} master key is malformed")))
}
