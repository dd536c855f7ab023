//! Content negotiation: which format a request body is in, and which format the client
//! wants back.
//!
//! Pipeline position: before the core (request bodies) and after it (answers). JSON is the
//! default; MessagePack is used when asked for by `Content-Type` / `Accept`.

/// A body format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `application/json`.
    Json,
    /// `application/msgpack` (also `application/x-msgpack`, `application/vnd.msgpack`).
    MsgPack,
}

/// The media type of bundle bytes (`GET /v1/bundle` with `Accept: application/octet-stream`).
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The media type of cpm bundle bytes (`GET /v1/bundle` with
/// `Accept: application/vnd.cpm.bundle`).
pub const CPM_BUNDLE: &str = "application/vnd.cpm.bundle";

/// The media type to answer bundle bytes with: the one the client named in `Accept`.
pub fn bytes_media(accept: Option<&str>) -> &'static str {
    let named = accept
        .unwrap_or_default()
        .split(',')
        .any(|entry| media_type(entry) == CPM_BUNDLE && quality(entry) > 0);
    if named { CPM_BUNDLE } else { OCTET_STREAM }
}

/// The media type of the Prometheus text exposition (`GET /v1/metrics` with
/// `Accept: text/plain`).
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a client may ask for in `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    /// A JSON value (canonical JSON text or MessagePack).
    Value(Format),
    /// Raw bytes (only `GET /v1/bundle` offers them).
    Bytes,
    /// Text (only `GET /v1/metrics` offers it: the Prometheus exposition).
    Text,
}

/// What a route offers besides JSON and MessagePack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// Nothing else.
    Values,
    /// Raw bytes (`application/octet-stream`).
    Bytes,
    /// Text (`text/plain`).
    Text,
}

/// The media type of a `Content-Type` or `Accept` entry, lowercased, without parameters.
fn media_type(entry: &str) -> String {
    entry
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_msgpack(media: &str) -> bool {
    matches!(
        media,
        "application/msgpack" | "application/x-msgpack" | "application/vnd.msgpack"
    )
}

fn is_json(media: &str) -> bool {
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// The format of a request body from its `Content-Type` (absent means JSON).
///
/// # Errors
/// The media type, when it is neither JSON nor MessagePack.
pub fn body_format(content_type: Option<&str>) -> Result<Format, String> {
    let Some(ct) = content_type else {
        return Ok(Format::Json);
    };
    let media = media_type(ct);
    if media.is_empty() || is_json(&media) {
        Ok(Format::Json)
    } else if is_msgpack(&media) {
        Ok(Format::MsgPack)
    } else {
        Err(media)
    }
}

/// The quality (`q`, in thousandths) of one `Accept` entry; malformed values count as 1.
fn quality(entry: &str) -> u32 {
    for param in entry.split(';').skip(1) {
        let mut kv = param.splitn(2, '=');
        let key = kv.next().unwrap_or_default().trim();
        if key.eq_ignore_ascii_case("q") {
            let value = kv.next().unwrap_or_default().trim();
            return parse_q(value).unwrap_or(1000);
        }
    }
    1000
}

/// `0`, `0.5`, `1.000` → thousandths.
fn parse_q(text: &str) -> Option<u32> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole: u32 = int.parse().ok()?;
    if whole > 1 || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = frac.to_owned();
    while digits.len() < 3 {
        digits.push('0');
    }
    let part: u32 = digits.parse().ok()?;
    Some((whole * 1000 + part).min(1000))
}

/// What the client wants back, from `Accept`: the explicitly named format with the highest
/// quality (MessagePack, what `offer` adds, or JSON); wildcards and anything else give JSON.
/// Ties go to the entry listed first.
pub fn wanted(accept: Option<&str>, offer: Offer) -> Wanted {
    let Some(accept) = accept else {
        return Wanted::Value(Format::Json);
    };
    let mut best: Option<(u32, Wanted)> = None;
    for entry in accept.split(',') {
        let media = media_type(entry);
        let candidate = if is_msgpack(&media) {
            Wanted::Value(Format::MsgPack)
        } else if offer == Offer::Bytes && (media == OCTET_STREAM || media == CPM_BUNDLE) {
            Wanted::Bytes
        } else if offer == Offer::Text && media == "text/plain" {
            Wanted::Text
        } else if is_json(&media) {
            Wanted::Value(Format::Json)
        } else {
            continue;
        };
        let q = quality(entry);
        if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, candidate));
        }
    }
    best.map_or(Wanted::Value(Format::Json), |(_, w)| w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_picks_the_body_format() {
        assert_eq!(body_format(None), Ok(Format::Json));
        assert_eq!(
            body_format(Some("application/json; charset=utf-8")),
            Ok(Format::Json)
        );
        assert_eq!(
            body_format(Some("Application/MsgPack")),
            Ok(Format::MsgPack)
        );
        assert_eq!(
            body_format(Some("application/x-msgpack")),
            Ok(Format::MsgPack)
        );
        assert_eq!(
            body_format(Some("text/plain")),
            Err("text/plain".to_owned())
        );
    }

    #[test]
    fn accept_picks_the_answer_format() {
        use Wanted::*;
        assert_eq!(wanted(None, Offer::Values), Value(Format::Json));
        assert_eq!(wanted(Some("*/*"), Offer::Values), Value(Format::Json));
        assert_eq!(
            wanted(Some("application/msgpack"), Offer::Values),
            Value(Format::MsgPack)
        );
        assert_eq!(
            wanted(Some("application/msgpack, */*"), Offer::Values),
            Value(Format::MsgPack)
        );
        assert_eq!(
            wanted(Some("application/json, application/msgpack"), Offer::Values),
            Value(Format::Json)
        );
        assert_eq!(
            wanted(
                Some("application/json;q=0.5, application/msgpack"),
                Offer::Values
            ),
            Value(Format::MsgPack)
        );
        assert_eq!(
            wanted(Some("application/msgpack;q=0"), Offer::Values),
            Value(Format::Json)
        );
        assert_eq!(
            wanted(Some("application/octet-stream"), Offer::Bytes),
            Bytes
        );
        assert_eq!(
            wanted(Some("application/vnd.cpm.bundle"), Offer::Bytes),
            Bytes
        );
        assert_eq!(bytes_media(Some("application/vnd.cpm.bundle")), CPM_BUNDLE);
        assert_eq!(bytes_media(Some("application/octet-stream")), OCTET_STREAM);
        assert_eq!(
            wanted(Some("application/octet-stream"), Offer::Values),
            Value(Format::Json)
        );
        assert_eq!(
            wanted(Some("text/html"), Offer::Values),
            Value(Format::Json)
        );
        assert_eq!(wanted(Some("text/plain"), Offer::Text), Text);
        assert_eq!(
            wanted(Some("text/plain;q=0.5, application/json"), Offer::Text),
            Value(Format::Json)
        );
        assert_eq!(
            wanted(Some("text/plain"), Offer::Values),
            Value(Format::Json)
        );
    }

    #[test]
    fn quality_values_parse() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("2"), None);
        assert_eq!(parse_q("x"), None);
    }
}
