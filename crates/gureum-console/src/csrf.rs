//! Cross-site request forgery protection: a random token in a
//! `SameSite=Strict` cookie that every form repeats in a hidden field
//! (the double-submit pattern; there is no login session to bind it to).

/// The cookie holding the token.
pub const COOKIE: &str = "gureum_console_csrf";

/// The form field repeating it.
pub const FIELD: &str = "csrf";

/// A fresh token.
pub fn fresh() -> String {
    gureum_core::id::hex(32)
}

/// Whether a form's token matches the cookie's (both present, a valid
/// token's shape, equal).
pub fn matches(cookie: Option<&str>, field: &str) -> bool {
    match cookie {
        Some(c) => c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()) && c == field,
        None => false,
    }
}

/// The hidden input carrying `token`.
pub fn input(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{FIELD}\" value=\"{}\">",
        crate::html::esc(token)
    )
}
