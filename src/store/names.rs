//! The stored names of the domain's enums as column types: a `state` column reads straight into
//! [`State`] or [`DeliveryState`], and a name Clearance does not know fails the read with the column and the name
//! (`error occurred while decoding column state: unknown request state "…"`). Writes bind `as_str()`.

use sqlx::{Database, Decode, Type, error::BoxDynError};

use crate::{model::DeliveryState, model::State};

/// Read a stored name as `$enum` (stored as text; parsed with its `TryFrom<String>`).
macro_rules! stored_name {
    ($enum:ty) => {
        impl<DB: Database> Type<DB> for $enum
        where
            String: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $enum
        where
            String: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let name = <String as Decode<'r, DB>>::decode(value)?;
                Ok(<$enum>::try_from(name)?)
            }
        }
    };
}

stored_name!(State);
stored_name!(DeliveryState);
