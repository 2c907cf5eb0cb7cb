//! `false` | `true` | `{ options }`: how every helmet header option is written.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A header option that can be switched off, switched on with helmet's defaults, or tuned.
///
/// In TOML: `false` (off), `true` (on, defaults) or a table of the header's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toggle<T> {
    /// The header is not sent.
    Off,
    /// The header is sent, built from these options.
    On(T),
}

impl<T: Default> Toggle<T> {
    /// On, with the header's default options (what `true` means).
    pub fn on() -> Self {
        Toggle::On(T::default())
    }
}

impl<T> Toggle<T> {
    /// The options when on.
    pub fn as_on(&self) -> Option<&T> {
        match self {
            Toggle::Off => None,
            Toggle::On(options) => Some(options),
        }
    }
}

// Hand-written rather than `#[serde(untagged)]`: untagged buffers the value and replaces every
// inner error (an unknown field, an unknown variant) with "did not match any variant".
impl<'de, T> Deserialize<'de> for Toggle<T>
where
    T: Deserialize<'de> + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToggleVisitor<T>(PhantomData<T>);

        impl<'de, T> Visitor<'de> for ToggleVisitor<T>
        where
            T: Deserialize<'de> + Default,
        {
            type Value = Toggle<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`true`, `false` or a table of options")
            }

            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Self::Value, E> {
                Ok(if on { Toggle::on() } else { Toggle::Off })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Toggle::On)
            }
        }

        deserializer.deserialize_any(ToggleVisitor(PhantomData))
    }
}

impl<T: Serialize> Serialize for Toggle<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Toggle::Off => serializer.serialize_bool(false),
            Toggle::On(options) => options.serialize(serializer),
        }
    }
}
