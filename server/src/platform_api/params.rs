//! A method's parameters, gathered from the query string and the body (urlencoded or
//! multipart), with typed accessors whose errors name the parameter (spec: "Transport").

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use std::collections::BTreeMap;

use shared::validation::NAME_MAX_CHARS;

use super::error::ApiError;

/// Largest accepted body. A secret value is at most 8192 characters (32 KiB of UTF-8), so this
/// leaves room for every other parameter and multipart framing.
pub const BODY_LIMIT: usize = 256 * 1024;

pub const COUNT_DEFAULT: i64 = 20;
pub const COUNT_MAX: i64 = 1000;

/// Items a `;` list may hold (`DelSecret`, `DelApplication`); longer lists are refused (101)
/// before anything is looked up. A bulk delete holds the write lock while it runs, so its size
/// is bounded; `all` remains for "everything".
pub const LIST_MAX_ITEMS: usize = 100;

#[derive(Debug, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
}

/// A `;`-separated list parameter; `all` only where the method allows it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IdList {
    pub all: bool,
    pub ids: Vec<i64>,
}

impl Params {
    /// Reads every parameter of a request (its head and body). A name given twice with
    /// different values, from the query and the body or within one of them, is an error (101).
    pub async fn read(parts: &Parts, body: Body) -> Result<Params, ApiError> {
        // Read the whole body before judging anything: answering while the client is still
        // sending would make the connection unusable for its next request.
        let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
            ApiError::invalid(format!(
                "The request body is too large or unreadable (the limit is {} KiB).",
                BODY_LIMIT / 1024
            ))
            .closing_connection()
        })?;
        let mut params = Params::default();
        if let Some(query) = parts.uri.query() {
            for (name, value) in parse_urlencoded(query.as_bytes(), "query string")? {
                params.insert(name, value)?;
            }
        }
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        if essence == "multipart/form-data" {
            // The multipart reader needs only the Content-Type (its boundary) and the body.
            let mut request = Request::new(Body::from(body));
            if let Some(content_type) = parts.headers.get(CONTENT_TYPE) {
                request
                    .headers_mut()
                    .insert(CONTENT_TYPE, content_type.clone());
            }
            // Boxed: the multipart reader's state is large and rarely needed.
            for (name, value) in Box::pin(read_multipart(request)).await? {
                params.insert(name, value)?;
            }
            return Ok(params);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        match essence.as_str() {
            "application/x-www-form-urlencoded" | "" => {
                for (name, value) in parse_urlencoded(&body, "body")? {
                    params.insert(name, value)?;
                }
            }
            // The reference's curl examples send `{}`; nothing else is a parameter source.
            "application/json" => {
                let parsed: Result<serde_json::Map<String, serde_json::Value>, _> =
                    serde_json::from_slice(&body);
                if !parsed.is_ok_and(|object| object.is_empty()) {
                    return Err(ApiError::invalid(
                        "JSON bodies are not supported (only `{}` is accepted): send parameters \
                         in the query string or as form fields.",
                    ));
                }
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "Unsupported Content-Type '{}': send parameters in the query string, \
                     application/x-www-form-urlencoded or multipart/form-data.",
                    shorten(other)
                )));
            }
        }
        Ok(params)
    }

    fn insert(&mut self, name: String, value: String) -> Result<(), ApiError> {
        match self.values.get(&name) {
            Some(existing) if *existing != value => Err(ApiError::invalid(format!(
                "The parameter '{name}' is given twice with different values."
            ))),
            Some(_) => Ok(()),
            None => {
                self.values.insert(name, value);
                Ok(())
            }
        }
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Params, ApiError> {
        let mut params = Params::default();
        for (k, v) in pairs {
            params.insert((*k).to_owned(), (*v).to_owned())?;
        }
        Ok(params)
    }

    /// The value as sent, even if empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value, treating an empty one as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// A substring filter on names: longer than a name can be, it could match nothing, and is
    /// refused rather than sent to the database.
    pub fn name_filter(&self, name: &str) -> Result<Option<&str>, ApiError> {
        self.text(name)
            .map(|part| check_name_filter(name, part).map(|()| part))
            .transpose()
    }

    /// A value that must be present and not empty (134 otherwise).
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.text(name).ok_or_else(|| ApiError::missing(name))
    }

    /// A positive integer id, if given.
    pub fn id(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.text(name).map(|raw| parse_id(name, raw)).transpose()
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int_in(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        let Some(raw) = self.text(name) else {
            return Ok(default);
        };
        raw.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "'{name}' must be a whole number from {min} to {max}, got \"{}\".",
                    shorten(raw)
                ))
            })
    }

    /// `count` (0 to 1000, default 20) and `offset` (default 0).
    pub fn page(&self) -> Result<(i64, i64), ApiError> {
        Ok((
            self.int_in("count", 0, COUNT_MAX, COUNT_DEFAULT)?,
            self.int_in("offset", 0, i64::MAX, 0)?,
        ))
    }

    /// A `;` list of names (at most `LIST_MAX_ITEMS`), if given.
    pub fn name_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(raw) = self.text(name) else {
            return Ok(None);
        };
        let items = raw.split(';').count();
        if items > LIST_MAX_ITEMS {
            return Err(ApiError::invalid(format!(
                "'{name}' lists {items} items; at most {LIST_MAX_ITEMS} are allowed in one call: \
                 split the list over several calls."
            )));
        }
        raw.split(';')
            .map(|item| {
                if item.is_empty() {
                    Err(ApiError::invalid(format!(
                        "'{name}' has an empty item: separate items with a single ';'."
                    )))
                } else {
                    Ok(item.to_owned())
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A `;` list of ids (at most `LIST_MAX_ITEMS`), or `all`, if given.
    pub fn id_list(&self, name: &str) -> Result<Option<IdList>, ApiError> {
        let Some(raw) = self.text(name) else {
            return Ok(None);
        };
        if raw == "all" {
            return Ok(Some(IdList {
                all: true,
                ids: Vec::new(),
            }));
        }
        let ids = self
            .name_list(name)?
            .unwrap_or_default()
            .iter()
            .map(|item| parse_id(name, item))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(IdList { all: false, ids }))
    }
}

/// Refuses a name filter longer than any name (see `Params::name_filter`).
pub fn check_name_filter(name: &str, part: &str) -> Result<(), ApiError> {
    if part.chars().count() > NAME_MAX_CHARS {
        return Err(ApiError::invalid(format!(
            "'{name}' is longer than {NAME_MAX_CHARS} characters, the longest a name can be."
        )));
    }
    Ok(())
}

/// The fields of a multipart body (already read into memory), as text.
async fn read_multipart(request: Request) -> Result<Vec<(String, String)>, ApiError> {
    let malformed = |e: &dyn std::fmt::Display| {
        ApiError::invalid(format!("The multipart body is malformed: {e}"))
    };
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| malformed(&e))?;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
        let name = field
            .name()
            .ok_or_else(|| ApiError::invalid("A multipart part has no field name."))?
            .to_owned();
        let bytes = field.bytes().await.map_err(|e| malformed(&e))?;
        let value = String::from_utf8(bytes.to_vec()).map_err(|_| {
            ApiError::invalid(format!(
                "The parameter '{}' is not valid UTF-8.",
                shorten(&name)
            ))
        })?;
        fields.push((name, value));
    }
    Ok(fields)
}

/// Booleans as the spec lists them; the official clients send `True`/`False`.
#[allow(dead_code)]
pub fn parse_bool(name: &str, raw: &str) -> Result<bool, ApiError> {
    match raw {
        "true" | "True" | "1" => Ok(true),
        "false" | "False" | "0" => Ok(false),
        _ => Err(ApiError::invalid(format!(
            "'{name}' must be true or false, got \"{}\".",
            shorten(raw)
        ))),
    }
}

fn parse_id(name: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::invalid(format!(
            "'{name}' must be a positive whole number, got \"{}\".",
            shorten(raw)
        ))
    })
}

/// Echoes at most a little of a bad value: enough to recognise, never a whole pasted secret.
fn shorten(raw: &str) -> String {
    const MAX: usize = 24;
    if raw.chars().count() <= MAX {
        raw.to_owned()
    } else {
        format!("{}…", raw.chars().take(MAX).collect::<String>())
    }
}

/// `application/x-www-form-urlencoded` pairs, refusing bytes that are not UTF-8 after decoding
/// (a lossy decode would silently change a secret value).
fn parse_urlencoded(input: &[u8], source: &str) -> Result<Vec<(String, String)>, ApiError> {
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let name = decode_component(parts.next().unwrap_or_default());
            let value = decode_component(parts.next().unwrap_or_default());
            match (name, value) {
                (Some(name), Some(value)) => Ok((name, value)),
                (Some(name), None) => Err(ApiError::invalid(format!(
                    "The parameter '{name}' in the {source} is not valid UTF-8."
                ))),
                (None, _) => Err(ApiError::invalid(format!(
                    "A parameter name in the {source} is not valid UTF-8."
                ))),
            }
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> Option<String> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_pairs_decode_plus_and_percent() {
        let pairs = parse_urlencoded(b"a=1+2&b=%C3%A9%3B&c&=x", "body").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1 2".into()),
                ("b".into(), "é;".into()),
                ("c".into(), "".into()),
                ("".into(), "x".into())
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_refused_by_name() {
        let err = parse_urlencoded(b"secret_value=%FF", "body").unwrap_err();
        assert_eq!(err.code, 101);
        assert!(err.msg.contains("secret_value"), "{}", err.msg);
    }

    #[test]
    fn conflicting_repeats_are_refused_and_equal_ones_accepted() {
        assert!(Params::from_pairs(&[("a", "1"), ("a", "1")]).is_ok());
        let err = Params::from_pairs(&[("a", "1"), ("a", "2")]).unwrap_err();
        assert_eq!(err.code, 101);
        assert!(err.msg.contains("'a'"));
    }

    #[test]
    fn ids_and_pages_check_their_range() {
        let p = Params::from_pairs(&[
            ("application_id", "0"),
            ("count", "1001"),
            ("offset", "-1"),
            ("secret_id", "9223372036854775808"),
        ])
        .unwrap();
        assert_eq!(p.id("application_id").unwrap_err().code, 101);
        assert_eq!(p.id("secret_id").unwrap_err().code, 101);
        assert!(p.page().unwrap_err().msg.contains("'count'"));
        let p = Params::from_pairs(&[("count", "1000"), ("offset", "5")]).unwrap();
        assert_eq!(p.page().unwrap(), (1000, 5));
        assert_eq!(Params::default().page().unwrap(), (20, 0));
    }

    #[test]
    fn lists_split_on_semicolons_and_know_all() {
        let p = Params::from_pairs(&[
            ("secret_id", "3;4"),
            ("x", "all"),
            ("bad", "1;;2"),
            ("n", "a;b"),
        ])
        .unwrap();
        assert_eq!(
            p.id_list("secret_id").unwrap(),
            Some(IdList {
                all: false,
                ids: vec![3, 4]
            })
        );
        assert!(p.id_list("x").unwrap().unwrap().all);
        assert_eq!(p.id_list("bad").unwrap_err().code, 101);
        assert_eq!(
            p.name_list("n").unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(p.id_list("n").unwrap_err().code, 101);
    }

    #[test]
    fn lists_hold_at_most_the_cap() {
        let list = |n: usize| vec!["7"; n].join(";");
        let (at_cap, over) = (list(LIST_MAX_ITEMS), list(LIST_MAX_ITEMS + 1));
        let p = Params::from_pairs(&[("a", &at_cap), ("b", &over), ("c", "all")]).unwrap();
        assert_eq!(p.id_list("a").unwrap().unwrap().ids.len(), LIST_MAX_ITEMS);
        assert_eq!(p.name_list("a").unwrap().unwrap().len(), LIST_MAX_ITEMS);
        for err in [p.id_list("b").unwrap_err(), p.name_list("b").unwrap_err()] {
            assert_eq!(err.code, 101);
            assert!(
                err.msg.contains("'b'") && err.msg.contains("at most 100"),
                "{}",
                err.msg
            );
        }
        assert!(p.id_list("c").unwrap().unwrap().all);
    }

    #[test]
    fn booleans_accept_the_listed_spellings_only() {
        for t in ["true", "True", "1"] {
            assert!(parse_bool("b", t).unwrap());
        }
        for f in ["false", "False", "0"] {
            assert!(!parse_bool("b", f).unwrap());
        }
        assert_eq!(parse_bool("b", "yes").unwrap_err().code, 101);
    }

    #[test]
    fn long_bad_values_are_not_echoed_whole() {
        let long = "x".repeat(500);
        let p = Params::from_pairs(&[("count", long.as_str())]).unwrap();
        let err = p.page().unwrap_err();
        assert!(err.msg.len() < 120, "{}", err.msg);
    }
}
