//! AWS's Lambda Runtime API (`2018-06-01`), served on a loopback port per
//! execution environment so that any standard runtime client works
//! unchanged: `GET /runtime/invocation/next` waits for the next event,
//! `POST /runtime/invocation/{id}/response` and `…/{id}/error` answer it,
//! `POST /runtime/init/error` reports a failed initialisation.
//!
//! A small HTTP/1.1 server on its own threads (one per connection, keep-
//! alive, `Content-Length` or chunked bodies): the runtime client is the
//! only caller, and it makes one request at a time.

use parking_lot::{Condvar, Mutex};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One event waiting for the runtime to take it.
#[derive(Clone, Debug)]
pub struct Event {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// The event's JSON.
    pub payload: Vec<u8>,
    /// `Lambda-Runtime-Deadline-Ms` (Unix milliseconds).
    pub deadline_ms: i64,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// `Lambda-Runtime-Client-Context`, when the caller sent one.
    pub client_context: Option<String>,
}

/// How the runtime answered an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `…/response`: the function's result.
    Response(Vec<u8>),
    /// `…/error`: the error document, with `Lambda-Runtime-Function-Error-Type`.
    Error(Vec<u8>),
    /// `/runtime/init/error`: initialisation failed.
    InitError(Vec<u8>),
}

/// What a streaming runtime sends, in order: its `Content-Type` once, then
/// the body's chunks as they arrive.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// The response's content type (`application/octet-stream` unless the
    /// runtime said otherwise).
    Start(&'a str),
    /// A chunk of the body.
    Data(&'a [u8]),
}

/// Where a streamed response goes as the runtime sends it.
pub type StreamSink = Arc<dyn Fn(Piece<'_>) + Send + Sync>;

#[derive(Default)]
struct Slot {
    next: Option<Event>,
    /// The sink of the offered invocation, when its caller streams.
    sink: Option<StreamSink>,
    /// Whether the runtime streamed its response (took the sink).
    streamed: bool,
    current: Option<String>,
    answer: Option<Answer>,
    waiting_for_next: bool,
    first_next: Option<Instant>,
    closed: bool,
}

/// The hand-over between the invoker and the runtime client of one
/// execution environment.
pub struct Channel {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl Channel {
    fn new() -> Arc<Self> {
        Arc::new(Channel {
            slot: Mutex::new(Slot::default()),
            changed: Condvar::new(),
        })
    }

    /// Offers `event` to the runtime's next `GET …/next`; a response the
    /// runtime streams goes to `sink` chunk by chunk as it arrives.
    pub fn offer(&self, event: Event, sink: Option<StreamSink>) {
        let mut slot = self.slot.lock();
        slot.answer = None;
        slot.next = Some(event);
        slot.sink = sink;
        slot.streamed = false;
        self.changed.notify_all();
    }

    /// Whether the runtime streamed its answer to the sink.
    pub fn streamed(&self) -> bool {
        self.slot.lock().streamed
    }

    /// The sink for the current invocation `request_id`, once.
    fn take_sink(&self, request_id: &str) -> Option<StreamSink> {
        let mut slot = self.slot.lock();
        if slot.current.as_deref() != Some(request_id) {
            return None;
        }
        let sink = slot.sink.take();
        slot.streamed |= sink.is_some();
        sink
    }

    /// Waits up to `limit` for the answer to the offered event (or an
    /// init error); `None` when none came in time.
    pub fn wait_answer(&self, limit: Duration) -> Option<Answer> {
        let until = Instant::now() + limit;
        let mut slot = self.slot.lock();
        loop {
            if let Some(a) = slot.answer.take() {
                return Some(a);
            }
            if self.changed.wait_until(&mut slot, until).timed_out() {
                return slot.answer.take();
            }
        }
    }

    /// Waits up to `limit` for the runtime to ask for its next event (its
    /// first ask ends initialisation); true when it is waiting.
    pub fn wait_ready(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        let mut slot = self.slot.lock();
        loop {
            if slot.waiting_for_next {
                return true;
            }
            if matches!(slot.answer, Some(Answer::InitError(_))) {
                return false;
            }
            if self.changed.wait_until(&mut slot, until).timed_out() {
                return slot.waiting_for_next;
            }
        }
    }

    /// Whether the runtime reported an init error not yet taken.
    pub fn has_init_error(&self) -> bool {
        matches!(self.slot.lock().answer, Some(Answer::InitError(_)))
    }

    /// When the runtime first asked for an event.
    pub fn first_next(&self) -> Option<Instant> {
        self.slot.lock().first_next
    }

    /// Ends every waiting request (the environment is going away).
    pub fn close(&self) {
        let mut slot = self.slot.lock();
        slot.closed = true;
        self.changed.notify_all();
    }

    fn next(&self) -> Option<Event> {
        let mut slot = self.slot.lock();
        slot.waiting_for_next = true;
        slot.first_next.get_or_insert_with(Instant::now);
        self.changed.notify_all();
        loop {
            if slot.closed {
                return None;
            }
            if let Some(e) = slot.next.take() {
                slot.waiting_for_next = false;
                slot.current = Some(e.request_id.clone());
                return Some(e);
            }
            self.changed.wait(&mut slot);
        }
    }

    fn answer(&self, request_id: Option<&str>, answer: Answer) -> bool {
        let mut slot = self.slot.lock();
        if let Some(id) = request_id {
            if slot.current.as_deref() != Some(id) {
                return false;
            }
            slot.current = None;
        }
        slot.answer = Some(answer);
        slot.sink = None;
        self.changed.notify_all();
        true
    }
}

/// A Runtime API listener for one environment.
pub struct RuntimeApi {
    /// `127.0.0.1:PORT`, what `AWS_LAMBDA_RUNTIME_API` says.
    pub address: String,
    /// The hand-over with the invoker.
    pub channel: Arc<Channel>,
}

impl RuntimeApi {
    /// Binds a free loopback port and serves it on a thread until the
    /// channel closes.
    pub fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?.to_string();
        let channel = Channel::new();
        let ch = channel.clone();
        std::thread::Builder::new()
            .name("lambda-runtime-api".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if ch.slot.lock().closed {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = stream.set_nodelay(true);
                    let ch = ch.clone();
                    let _ = std::thread::Builder::new()
                        .name("lambda-runtime-conn".into())
                        .spawn(move || serve_connection(stream, &ch));
                }
            })?;
        Ok(RuntimeApi { address, channel })
    }

    /// Stops the listener and ends waiting requests.
    pub fn stop(&self) {
        self.channel.close();
        // Wake the accept loop so that it sees the channel closed.
        let _ = TcpStream::connect(&self.address);
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The largest body a runtime may post (AWS's 6 MB response limit, with
/// room for the error document).
const MAX_BODY: usize = 7 * 1024 * 1024;

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut req = read_head(reader)?;
    if req.is_streamed_response() {
        // Its body is read as it arrives (see `streamed_response`).
        return Some(req);
    }
    if req.is_chunked() {
        let mut body = Vec::new();
        let trailers = read_chunks(reader, |chunk| {
            body.extend_from_slice(chunk);
            body.len() <= MAX_BODY
        })?;
        req.body = body;
        req.headers.extend(trailers);
    } else if let Some(n) = req
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        if n > MAX_BODY {
            return None;
        }
        req.body = vec![0; n];
        reader.read_exact(&mut req.body).ok()?;
    }
    Some(req)
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let headers = read_fields(reader)?;
    Some(Request {
        method,
        path,
        headers,
        body: Vec::new(),
    })
}

/// Header (or trailer) lines up to the empty line.
fn read_fields(reader: &mut BufReader<TcpStream>) -> Option<Vec<(String, String)>> {
    let mut fields = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Some(fields);
        }
        if let Some((k, v)) = h.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
}

/// Reads a chunked body, handing each chunk to `on_chunk` (which returns
/// false to give up), and returns its trailers.
fn read_chunks(
    reader: &mut BufReader<TcpStream>,
    mut on_chunk: impl FnMut(&[u8]) -> bool,
) -> Option<Vec<(String, String)>> {
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).ok()?;
        let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if n == 0 {
            return read_fields(reader);
        }
        let mut chunk = vec![0; n + 2];
        reader.read_exact(&mut chunk).ok()?;
        if !on_chunk(&chunk[..n]) {
            return None;
        }
    }
}

impl Request {
    fn is_chunked(&self) -> bool {
        self.header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    }

    /// A response in AWS's streaming mode
    /// (`Lambda-Runtime-Function-Response-Mode: streaming`, chunked).
    fn is_streamed_response(&self) -> bool {
        self.method == "POST"
            && self.path.ends_with("/response")
            && self.is_chunked()
            && self
                .header("Lambda-Runtime-Function-Response-Mode")
                .is_some_and(|m| m.eq_ignore_ascii_case("streaming"))
    }
}

/// Reads a streamed response to its end, passing chunks to the
/// invocation's sink as they come (and keeping them for a caller that does
/// not stream); an error the runtime reports mid-stream arrives in the
/// trailers `Lambda-Runtime-Function-Error-Type` and `…-Error-Body`
/// (base64 JSON), as AWS's Runtime API documents.
fn streamed_response(
    reader: &mut BufReader<TcpStream>,
    channel: &Channel,
    request_id: &str,
    content_type: &str,
) -> Option<Answer> {
    let sink = channel.take_sink(request_id);
    if let Some(sink) = &sink {
        sink(Piece::Start(content_type));
    }
    let mut body = Vec::new();
    let trailers = read_chunks(reader, |chunk| {
        if let Some(sink) = &sink {
            sink(Piece::Data(chunk));
        }
        if body.len() + chunk.len() <= MAX_STREAMED {
            body.extend_from_slice(chunk);
        }
        true
    })?;
    let trailer = |name: &str| {
        trailers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    use base64::Engine;
    Some(match trailer("Lambda-Runtime-Function-Error-Type") {
        Some(kind) => {
            let doc = trailer("Lambda-Runtime-Function-Error-Body")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .filter(|d| {
                    serde_json::from_slice::<serde_json::Value>(d).is_ok_and(|v| v.is_object())
                })
                .unwrap_or_else(|| {
                    serde_json::json!({"errorType": kind, "errorMessage": ""})
                        .to_string()
                        .into_bytes()
                });
            Answer::Error(doc)
        }
        None => Answer::Response(body),
    })
}

/// The most of a streamed response kept for a caller that does not stream
/// (AWS's streamed responses may reach 20 MB).
const MAX_STREAMED: usize = 20 * 1024 * 1024;

fn write_response(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> bool {
    use std::fmt::Write as _;
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    head.push_str("\r\n");
    // One write: a second small segment would wait for the client's
    // delayed ACK on a keep-alive connection.
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out).is_ok()
}

const PREFIX: &str = "/2018-06-01/runtime/";

fn serve_connection(stream: TcpStream, channel: &Channel) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut stream = stream;
    while let Some(req) = read_request(&mut reader) {
        let path = req.path.split('?').next().unwrap_or_default();
        let rest = path.strip_prefix(PREFIX).unwrap_or("");
        let accepted = br#"{"status":"OK"}"#;
        let ok = match (req.method.as_str(), rest) {
            ("GET", "invocation/next") => match channel.next() {
                Some(e) => {
                    let mut headers = vec![
                        ("Lambda-Runtime-Aws-Request-Id", e.request_id.clone()),
                        ("Lambda-Runtime-Deadline-Ms", e.deadline_ms.to_string()),
                        (
                            "Lambda-Runtime-Invoked-Function-Arn",
                            e.function_arn.clone(),
                        ),
                        (
                            "Lambda-Runtime-Trace-Id",
                            format!(
                                "Root=1-{:08x}-{};Parent={};Sampled=0",
                                e.deadline_ms / 1000,
                                &e.request_id.replace('-', "")[..24],
                                &e.request_id.replace('-', "")[16..32]
                            ),
                        ),
                    ];
                    if let Some(c) = &e.client_context {
                        headers.push(("Lambda-Runtime-Client-Context", c.clone()));
                    }
                    write_response(&mut stream, "200 OK", &headers, &e.payload)
                }
                None => false,
            },
            ("POST", "init/error") => {
                channel.answer(None, Answer::InitError(req.body.clone()));
                write_response(&mut stream, "202 Accepted", &[], accepted)
            }
            ("POST", r) if r.starts_with("invocation/") => {
                let tail = &r["invocation/".len()..];
                let (id, what) = tail.rsplit_once('/').unwrap_or((tail, ""));
                let answer = match what {
                    "response" if req.is_streamed_response() => {
                        let content_type = req
                            .header("content-type")
                            .unwrap_or("application/octet-stream");
                        let Some(answer) =
                            streamed_response(&mut reader, channel, id, content_type)
                        else {
                            break;
                        };
                        Some(answer)
                    }
                    "response" => Some(Answer::Response(req.body.clone())),
                    "error" => Some(Answer::Error(error_document(&req))),
                    _ => None,
                };
                match answer.map(|a| channel.answer(Some(id), a)) {
                    Some(true) => write_response(&mut stream, "202 Accepted", &[], accepted),
                    Some(false) => write_response(
                        &mut stream,
                        "400 Bad Request",
                        &[],
                        br#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
                    ),
                    None => not_found(&mut stream),
                }
            }
            _ => not_found(&mut stream),
        };
        if !ok {
            break;
        }
    }
}

/// The error body as posted; an empty or non-JSON body becomes AWS's
/// document built from the `Lambda-Runtime-Function-Error-Type` header.
fn error_document(req: &Request) -> Vec<u8> {
    if serde_json::from_slice::<serde_json::Value>(&req.body).is_ok_and(|v| v.is_object()) {
        return req.body.clone();
    }
    let error_type = req
        .header("Lambda-Runtime-Function-Error-Type")
        .unwrap_or("Unhandled");
    serde_json::json!({
        "errorType": error_type,
        "errorMessage": String::from_utf8_lossy(&req.body),
    })
    .to_string()
    .into_bytes()
}

fn not_found(stream: &mut TcpStream) -> bool {
    write_response(
        stream,
        "404 Not Found",
        &[],
        br#"{"errorMessage":"Not found","errorType":"NotFound"}"#,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(address: &str, request: &str) -> String {
        let mut s = TcpStream::connect(address).expect("connect");
        s.write_all(request.as_bytes()).expect("write");
        let mut reader = BufReader::new(s);
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("line");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        head + &String::from_utf8_lossy(&body)
    }

    fn event(id: &str) -> Event {
        Event {
            request_id: id.into(),
            payload: br#"{"k":1}"#.to_vec(),
            deadline_ms: 1,
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            client_context: None,
        }
    }

    #[test]
    fn next_hands_over_the_event_and_a_chunked_response_answers_it() {
        let api = RuntimeApi::start().expect("start");
        api.channel
            .offer(event("11111111-2222-3333-4444-555555555555"), None);
        let got = exchange(
            &api.address,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
        );
        assert!(got.contains("Lambda-Runtime-Aws-Request-Id: 11111111-2222-3333-4444-555555555555"));
        assert!(got.ends_with(r#"{"k":1}"#));
        let answered = exchange(
            &api.address,
            "POST /2018-06-01/runtime/invocation/11111111-2222-3333-4444-555555555555/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\"ok\r\n1\r\n\"\r\n0\r\n\r\n",
        );
        assert!(answered.starts_with("HTTP/1.1 202"));
        assert_eq!(
            api.channel.wait_answer(Duration::from_secs(1)),
            Some(Answer::Response(b"\"ok\"".to_vec()))
        );
        api.stop();
    }

    #[test]
    fn a_streamed_response_reaches_the_sink_chunk_by_chunk() {
        let api = RuntimeApi::start().expect("start");
        let got: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let seen = got.clone();
        let sink: StreamSink = Arc::new(move |p: Piece<'_>| match p {
            Piece::Start(t) => seen.lock().push(t.as_bytes().to_vec()),
            Piece::Data(c) => seen.lock().push(c.to_vec()),
        });
        api.channel
            .offer(event("bbbbbbbb-2222-3333-4444-555555555555"), Some(sink));
        exchange(
            &api.address,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n",
        );
        let answered = exchange(
            &api.address,
            "POST /2018-06-01/runtime/invocation/bbbbbbbb-2222-3333-4444-555555555555/response HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        );
        assert!(answered.starts_with("HTTP/1.1 202"), "{answered}");
        let want: Vec<Vec<u8>> = vec![
            b"application/octet-stream".to_vec(),
            b"abc".to_vec(),
            b"de".to_vec(),
        ];
        assert_eq!(*got.lock(), want);
        assert_eq!(
            api.channel.wait_answer(Duration::from_secs(1)),
            Some(Answer::Response(b"abcde".to_vec()))
        );
        assert!(api.channel.streamed());
        api.stop();
    }

    #[test]
    fn a_streamed_response_reports_a_mid_stream_error_in_its_trailers() {
        use base64::Engine;
        let api = RuntimeApi::start().expect("start");
        api.channel
            .offer(event("cccccccc-2222-3333-4444-555555555555"), None);
        exchange(
            &api.address,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n",
        );
        let doc = base64::engine::general_purpose::STANDARD
            .encode(br#"{"errorType":"Boom","errorMessage":"midway"}"#);
        exchange(
            &api.address,
            &format!("POST /2018-06-01/runtime/invocation/cccccccc-2222-3333-4444-555555555555/response HTTP/1.1\r\nLambda-Runtime-Function-Response-Mode: streaming\r\nTransfer-Encoding: chunked\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n2\r\nhi\r\n0\r\nLambda-Runtime-Function-Error-Type: Boom\r\nLambda-Runtime-Function-Error-Body: {doc}\r\n\r\n"),
        );
        let Some(Answer::Error(doc)) = api.channel.wait_answer(Duration::from_secs(1)) else {
            panic!("no error answer");
        };
        let doc: serde_json::Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(doc["errorMessage"], "midway");
        api.stop();
    }

    #[test]
    fn an_answer_for_another_request_is_refused() {
        let api = RuntimeApi::start().expect("start");
        let got = exchange(
            &api.address,
            "POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        );
        assert!(got.starts_with("HTTP/1.1 400"), "{got}");
        assert!(got.contains("InvalidRequestID"));
        api.stop();
    }

    #[test]
    fn an_error_without_a_document_gets_one_from_its_header() {
        let api = RuntimeApi::start().expect("start");
        api.channel
            .offer(event("aaaaaaaa-2222-3333-4444-555555555555"), None);
        exchange(
            &api.address,
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n",
        );
        exchange(
            &api.address,
            "POST /2018-06-01/runtime/invocation/aaaaaaaa-2222-3333-4444-555555555555/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Custom.Bad\r\nContent-Length: 4\r\n\r\noops",
        );
        let Some(Answer::Error(doc)) = api.channel.wait_answer(Duration::from_secs(1)) else {
            panic!("no error answer");
        };
        let doc: serde_json::Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(doc["errorType"], "Custom.Bad");
        assert_eq!(doc["errorMessage"], "oops");
        api.stop();
    }
}
