//! Request bodies and content negotiation, as DRF parses them: the
//! parsers a content type selects, the charsets a body may come in, and
//! what a parsed body (JSON or a form) holds.

use serde_json::Value;

/// A parsed body: JSON (any value) or a form (every pair, in order).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Json(Value),
    Form(Vec<(String, String)>),
}

/// One field of a body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Missing,
    Json(&'a Value),
    /// A form value (the last one, when the field repeats, as Django's QueryDict).
    Text(&'a str),
}

impl Data {
    /// JSON objects and forms are mappings; other JSON values are not.
    pub fn is_mapping(&self) -> bool {
        matches!(self, Data::Json(Value::Object(_)) | Data::Form(_))
    }

    pub fn field(&self, name: &str) -> Field<'_> {
        match self {
            Data::Json(Value::Object(map)) => map.get(name).map_or(Field::Missing, Field::Json),
            Data::Json(_) => Field::Missing,
            Data::Form(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map_or(Field::Missing, |(_, v)| Field::Text(v)),
        }
    }

    /// Python's name for the type of a non-mapping JSON body.
    pub fn python_type(&self) -> &'static str {
        match self {
            Data::Json(Value::Array(_)) => "list",
            Data::Json(Value::String(_)) => "str",
            Data::Json(Value::Bool(_)) => "bool",
            Data::Json(Value::Number(n)) if n.is_f64() => "float",
            Data::Json(Value::Number(_)) => "int",
            Data::Json(Value::Null) => "NoneType",
            _ => "dict",
        }
    }
}

/// The media types DRF's parsers accept, in DRF's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    Json,
    Form,
    Multipart,
}

/// DRF's `media_type_matches`: whether the media range `range` (a content
/// type or one range of `Accept`) covers `main/sub`. Lowercased, `*`
/// matching anything, parameters ignored.
fn media_matches(range: &str, main: &str, sub: &str) -> bool {
    let full = range
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (m, s) = full.split_once('/').unwrap_or((full.as_str(), ""));
    (m == "*" || m == main) && (s == "*" || s == sub)
}

/// The first of DRF's parsers whose media type the request's type matches.
pub(crate) fn select_parser(content_type: &str) -> Option<Parser> {
    [
        (Parser::Json, "application", "json"),
        (Parser::Form, "application", "x-www-form-urlencoded"),
        (Parser::Multipart, "multipart", "form-data"),
    ]
    .into_iter()
    .find(|(_, m, s)| media_matches(content_type, m, s))
    .map(|(p, _, _)| p)
}

/// DRF's `DefaultContentNegotiation` with its two renderers (JSON and the
/// browsable API's HTML): does any media range of `accept` match one?
pub(crate) fn acceptable(accept: &str) -> bool {
    accept.split(',').any(|range| {
        [("application", "json"), ("text", "html")]
            .iter()
            .any(|(m, s)| media_matches(range, m, s))
    })
}

/// The body as text in the `charset` its content type names, as DRF's JSON
/// parser reads it; `None` for UTF-8 (the default), left to the JSON parser.
///
/// Decoded here: UTF-16 (with Python's byte-order-mark rule), Latin-1 and
/// ASCII, under Python's codec names and aliases. Any other charset is
/// ignored, as Django ignores one it does not know: the body is read as
/// UTF-8, so ASCII-only JSON parses and other bytes get the 400 for
/// malformed JSON. (The full WHATWG set via `encoding_rs` cost 160 KB per
/// binary for charsets no JSON client sends.)
pub(crate) fn decode_charset(body: &[u8], content_type: &str) -> Result<Option<String>, String> {
    let charset = content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_owned())
    });
    let Some(label) = charset else {
        return Ok(None);
    };
    // Python's codec lookup: case-insensitive, `-` and ` ` read as `_`.
    let name = label.to_ascii_lowercase().replace(['-', ' '], "_");
    match name.as_str() {
        "utf_16" | "utf16" | "u16" => {
            // Python: a byte-order mark decides (and is dropped), else little-endian.
            match body {
                [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes),
                [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes),
                _ => utf16(body, u16::from_le_bytes),
            }
        }
        "utf_16_le" | "utf_16le" => utf16(body, u16::from_le_bytes),
        "utf_16_be" | "utf_16be" => utf16(body, u16::from_be_bytes),
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859" | "cp819"
        | "iso_ir_100" => Ok(Some(body.iter().map(|&b| char::from(b)).collect())),
        "ascii" | "us_ascii" | "646" => match body.is_ascii() {
            true => Ok(None),
            false => Err("the body is not valid ASCII".to_owned()),
        },
        _ => Ok(None),
    }
}

/// UTF-16 code units in the byte order `unit` reads, strictly decoded.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Option<String>, String> {
    let invalid = || "the body is not valid UTF-16".to_owned();
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(invalid());
    }
    char::decode_utf16(pairs.map(|p| unit([p[0], p[1]])))
        .collect::<Result<String, _>>()
        .map(Some)
        .map_err(|_| invalid())
}

/// Whether `content_type` is a urlencoded form (Django's `request.POST` test).
pub(crate) fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}
