//! Attribute values in and out of DynamoDB items: the item type, text and number attributes,
//! JSON records, numbers written to sort as text, and the store error of a failed request.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::store::{Result, StoreError};

pub(super) type Item = HashMap<String, AttributeValue>;

/// A request that could not be built (a required field left out: a bug of this code).
pub(super) fn build_err(e: BuildError) -> StoreError {
    StoreError::dynamo("build request", e.to_string())
}

/// The error of the failed request `operation` (e.g. "read request"), with its causes.
pub(super) fn sdk_err<E: std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
) -> impl FnOnce(SdkError<E, R>) -> StoreError {
    move |e| StoreError::dynamo(operation, DisplayErrorContext(&e).to_string())
}

/// The attribute `name` of an item is missing or unreadable.
fn corrupt(name: &str, detail: &str) -> StoreError {
    StoreError::Corrupt {
        what: format!("attribut {name}"),
        detail: detail.to_string(),
    }
}

/// `value` as 20 digits that sort as the numbers do, negative ones first.
pub(super) fn ordered(value: i64) -> String {
    format!("{:020}", (value as u64) ^ (1 << 63))
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(corrupt(name, "absent ou pas un texte")),
    }
}

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| corrupt(name, "nombre hors des limites attendues")),
        _ => Err(corrupt(name, "absent ou pas un nombre")),
    }
}

/// A number attribute that may be absent.
pub(super) fn get_optional_n(item: &Item, name: &str) -> Result<Option<i64>> {
    match item.get(name) {
        None => Ok(None),
        Some(_) => get_n(item, name).map(Some),
    }
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(StoreError::Encode)
}

/// A JSON record decoded; one that does not decode is [`StoreError::Corrupt`], named by its type.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let what = std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("record");
        StoreError::undecodable(what, &e)
    })
}

/// The JSON record of an item (its `record` attribute).
pub(super) fn record<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T> {
    from_json(get_s(item, "record")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_numbers_sort_as_text() {
        let values = [i64::MIN, -5, -1, 0, 1, 9, 10, 1_700_000_000, i64::MAX];
        let texts: Vec<String> = values.iter().map(|v| ordered(*v)).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted);
        assert!(texts.iter().all(|t| t.len() == 20));
    }
}
