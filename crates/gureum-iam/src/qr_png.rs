//! The QR code PNG `CreateVirtualMFADevice` returns: the `otpauth://` URI
//! an authenticator app scans, as a black-and-white PNG.
//!
//! The `qrcode` crate lays out the modules; the PNG is written here (a
//! 1-bit grayscale image, its pixels in stored — uncompressed — deflate
//! blocks), since an image library would be a large dependency for one
//! small picture a client only displays.

use qrcode::{Color, QrCode};

/// Pixels per QR module.
const SCALE: usize = 4;
/// The blank margin QR readers need, in modules.
const QUIET_ZONE: usize = 4;

/// The `otpauth://` URI of a new virtual MFA device, as AWS documents it:
/// the device name, `@`, the account name (the account id, since a new
/// device has no user yet), and the base32 seed.
pub fn otpauth_uri(device_name: &str, account: &str, seed_base32: &str) -> String {
    format!("otpauth://totp/{device_name}@{account}?secret={seed_base32}")
}

/// A PNG of `text`'s QR code; `None` when the text is too long for a QR
/// code (IAM names are short, so it never is).
pub fn qr_png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let row_bytes = side.div_ceil(8);
    // One filter byte (0: none) per row, then the row's bits, 1 = white.
    let mut raw = Vec::with_capacity(side * (row_bytes + 1));
    for y in 0..side {
        raw.push(0);
        let my = (y / SCALE).checked_sub(QUIET_ZONE);
        let mut row = vec![0xffu8; row_bytes];
        for x in 0..side {
            let mx = (x / SCALE).checked_sub(QUIET_ZONE);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) if mx < modules && my < modules => {
                    colors[my * modules + mx] == Color::Dark
                }
                _ => false,
            };
            if dark {
                row[x / 8] &= !(0x80 >> (x % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    ihdr.extend_from_slice(&(side as u32).to_be_bytes());
    // Bit depth 1, grayscale, deflate, no filter method, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    Some(png)
}

/// Appends a PNG chunk: length, type, data, CRC of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of `data` in stored deflate blocks (at most 65,535 bytes
/// each), with the Adler-32 trailer.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(65_535).collect()
    };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32, zlib's checksum.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_reference_values() {
        // The check values both algorithms' specifications give.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn a_qr_png_has_the_signature_a_square_ihdr_and_an_iend() {
        let uri = otpauth_uri("dev", "000000000000", &"A".repeat(64));
        let png = qr_png(&uri).expect("png");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let w = u32::from_be_bytes(png[16..20].try_into().expect("w"));
        let h = u32::from_be_bytes(png[20..24].try_into().expect("h"));
        assert_eq!(w, h);
        // A URI of ~110 bytes needs more modules than a version 1 code
        // (21), and the image is whole modules.
        assert!(w as usize > (21 + 2 * QUIET_ZONE) * SCALE, "{w}");
        assert_eq!(w as usize % SCALE, 0);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }

    #[test]
    fn stored_zlib_blocks_split_at_65535_bytes() {
        let data = vec![7u8; 70_000];
        let z = zlib_stored(&data);
        assert_eq!(z[2], 0, "first block is not the last");
        assert_eq!(u16::from_le_bytes([z[3], z[4]]), 65_535);
        // Header, two block headers, data, Adler-32.
        assert_eq!(z.len(), 2 + 5 + 5 + 70_000 + 4);
    }
}
