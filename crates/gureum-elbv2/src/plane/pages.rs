//! The bodies an application load balancer answers itself with: its
//! 502/503/504 pages (as `awselb/2.0` serves them) and the rest.

/// AWS's HTML page for `status` (`502 Bad Gateway`, …).
pub fn error_page(status: u16) -> String {
    let title = match status {
        400 => "400 Bad Request",
        413 => "413 Request Entity Too Large",
        460 => "460",
        500 => "500 Internal Server Error",
        502 => "502 Bad Gateway",
        503 => "503 Service Temporarily Unavailable",
        504 => "504 Gateway Time-out",
        other => return format!("<html>\r\n<head><title>{other}</title></head>\r\n<body>\r\n<center><h1>{other}</h1></center>\r\n</body>\r\n</html>\r\n"),
    };
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_pages_carry_the_status_line_text() {
        let page = super::error_page(503);
        assert!(page.contains("<title>503 Service Temporarily Unavailable</title>"));
        assert!(super::error_page(502).contains("<h1>502 Bad Gateway</h1>"));
    }
}
