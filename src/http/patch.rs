//! JSON merge-patch helpers: telling "absent" from "null".

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields with `#[serde(default, deserialize_with = "nullable")]`:
/// absent → `None` (leave as is), `null` → `Some(None)` (clear), value → `Some(Some(v))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(default, deserialize_with = "nullable")]
        v: Option<Option<u8>>,
    }

    #[test]
    fn absent_null_and_value_differ() {
        assert_eq!(serde_json::from_str::<P>("{}").unwrap().v, None);
        assert_eq!(
            serde_json::from_str::<P>(r#"{"v":null}"#).unwrap().v,
            Some(None)
        );
        assert_eq!(
            serde_json::from_str::<P>(r#"{"v":3}"#).unwrap().v,
            Some(Some(3))
        );
    }
}
