//! Reading what a browser sends: query strings, urlencoded forms and
//! `multipart/form-data` (uploads).

use bytes::Bytes;

/// Fields of a form or query string, in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses `a=1&b=x+y` (percent-decoded, `+` as space).
    pub fn urlencoded(s: &str) -> Fields {
        Fields(
            s.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Adds a field.
    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push((name.to_string(), value.to_string()));
    }
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// One uploaded file of a multipart form.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The form field's name.
    pub field: String,
    /// The file name the browser sent.
    pub filename: String,
    /// The part's `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Bytes,
}

/// Parses a `multipart/form-data` body: its text fields and its files.
/// `None` when the content type has no boundary or the body is malformed.
pub fn multipart(content_type: &str, body: &Bytes) -> Option<(Fields, Vec<Upload>)> {
    let boundary = content_type.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("boundary=")
            .map(|b| b.trim_matches('"').to_string())
    })?;
    let delim = format!("--{boundary}");
    let mut fields = Fields::default();
    let mut files = Vec::new();
    let mut rest = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(rest..rest + 2) == Some(b"--") {
            return Some((fields, files));
        }
        let start = rest + 2; // the CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", start)?;
        let head = std::str::from_utf8(body.get(start..head_end)?).ok()?;
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)?;
        let data = body.slice(data_start..next);
        let (mut name, mut filename, mut ctype) = (None, None, None);
        for line in head.split("\r\n") {
            let (k, v) = line.split_once(':')?;
            if k.eq_ignore_ascii_case("content-disposition") {
                name = param(v, "name");
                filename = param(v, "filename");
            } else if k.eq_ignore_ascii_case("content-type") {
                ctype = Some(v.trim().to_string());
            }
        }
        let name = name?;
        match filename {
            Some(filename) => files.push(Upload {
                field: name,
                filename,
                content_type: ctype,
                data,
            }),
            None => fields.push(&name, &String::from_utf8_lossy(&data)),
        }
        rest = next + 2 + delim.len();
    }
}

fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k == name).then(|| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}
