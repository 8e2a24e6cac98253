//! Query-string parameters of the API: parsing, `limit`/`offset` of the list endpoints, and one
//! 422 `validation_error` that names every bad parameter at once.

use super::error::ApiError;
use crate::error::FieldError;
use actix_web::web;

/// Default and largest page sizes of the list endpoints (webhook deliveries have their own).
pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

/// `limit` and `offset` of a list endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u64,
}

/// A request's query parameters, in order, with the problems found while reading them.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    /// Every parameter name as given, to report problems in the client's order.
    names: Vec<String>,
    problems: Vec<FieldError>,
}

impl QueryParams {
    /// Splits a query string; one that does not decode is a 422 on `query`.
    pub fn parse(query_string: &str) -> Result<QueryParams, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(query_string)
            .map_err(|e| ApiError::validation(vec![FieldError::new("query", e.to_string())]))?
            .into_inner();
        Ok(QueryParams {
            names: pairs.iter().map(|(key, _)| key.clone()).collect(),
            pairs,
            problems: Vec::new(),
        })
    }

    /// Takes `limit` (1..=`max_limit`, default `default_limit`) and `offset` (default 0) out of
    /// the parameters; a bad value is recorded and the default kept.
    pub fn page(&mut self, default_limit: u32, max_limit: u32) -> Page {
        let mut page = Page {
            limit: default_limit,
            offset: 0,
        };
        for (key, value) in std::mem::take(&mut self.pairs) {
            match key.as_str() {
                "limit" => match value.parse::<u32>() {
                    Ok(n) if (1..=max_limit).contains(&n) => page.limit = n,
                    _ => self.reject("limit", format!("must be an integer between 1 and {max_limit}")),
                },
                "offset" => match value.parse::<u64>() {
                    // SQLite offsets are signed 64-bit.
                    Ok(n) if n <= i64::MAX as u64 => page.offset = n,
                    _ => self.reject("offset", "must be a non-negative integer"),
                },
                _ => self.pairs.push((key, value)),
            }
        }
        page
    }

    /// [`QueryParams::page`] with the usual sizes, for lists that take no other parameter.
    pub fn list_page(query_string: &str) -> Result<Page, ApiError> {
        let mut params = QueryParams::parse(query_string)?;
        let page = params.page(DEFAULT_LIMIT, MAX_LIMIT);
        params.finish()?;
        Ok(page)
    }

    /// The value of `name` (the last one when it is repeated), taken out of the parameters.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let mut found = None;
        self.pairs.retain(|(key, value)| {
            if key == name {
                found = Some(value.clone());
                false
            } else {
                true
            }
        });
        found
    }

    /// `name` as a boolean (`true`/`false`/`1`/`0`), `default` when it is absent.
    pub fn flag(&mut self, name: &str, default: bool) -> bool {
        match self.take(name).as_deref() {
            None => default,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(_) => {
                self.reject(name, "must be true or false");
                default
            }
        }
    }

    /// The parameters not taken yet, in order.
    pub fn take_rest(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.pairs)
    }

    /// Records a bad parameter.
    pub fn reject(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldError::new(field, message));
    }

    /// Ok when every parameter read was valid, else the 422 naming each bad one in the order
    /// of the query string. Parameters nobody asked for are ignored, as most APIs do.
    pub fn finish(mut self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        let names = &self.names;
        self.problems
            .sort_by_key(|problem| names.iter().position(|name| *name == problem.field));
        Err(ApiError::validation(self.problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(error: ApiError) -> Vec<String> {
        error.details()["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn pages_default_and_are_bounded() {
        let mut params = QueryParams::parse("").unwrap();
        assert_eq!(params.page(100, 1000), Page { limit: 100, offset: 0 });
        params.finish().unwrap();

        let mut params = QueryParams::parse("limit=5&offset=10&status=x").unwrap();
        assert_eq!(params.page(100, 1000), Page { limit: 5, offset: 10 });
        assert_eq!(params.take_rest(), vec![("status".to_string(), "x".to_string())]);
        params.finish().unwrap();

        let mut params = QueryParams::parse("limit=1001&offset=-1").unwrap();
        assert_eq!(params.page(100, 1000), Page { limit: 100, offset: 0 });
        assert_eq!(fields(params.finish().unwrap_err()), ["limit", "offset"]);

        let mut params = QueryParams::parse("status=x&offset=9223372036854775808&limit=0").unwrap();
        params.page(100, 1000);
        params.take("status");
        params.reject("status", "unknown");
        assert_eq!(fields(params.finish().unwrap_err()), ["status", "offset", "limit"]);
    }

    #[test]
    fn values_and_flags_are_taken_once_and_checked() {
        let mut params = QueryParams::parse("format=md&format=json&delete_outputs=1&x=y").unwrap();
        assert_eq!(params.take("format").as_deref(), Some("json"));
        assert_eq!(params.take("format"), None);
        assert!(params.flag("delete_outputs", false));
        assert!(!params.flag("missing", false));
        assert_eq!(params.take_rest().len(), 1);
        params.finish().unwrap();

        let mut params = QueryParams::parse("delete_outputs=maybe").unwrap();
        assert!(!params.flag("delete_outputs", false));
        assert_eq!(fields(params.finish().unwrap_err()), ["delete_outputs"]);
    }

    #[test]
    fn values_are_percent_decoded() {
        let mut params = QueryParams::parse("filename=caf%C3%A9%20notes.csv&x").unwrap();
        assert_eq!(params.take("filename").as_deref(), Some("café notes.csv"));
        assert_eq!(params.take("x").as_deref(), Some(""));
    }
}
