//! What the panel and the admin page receive about age public keys.

use serde::Serialize;

use crate::store::AgeKeyRow;

/// `GET`/`PUT /api/panel/me/age-key`: the caller's key, `null` if none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgeKey<'a> {
    pub age_key: Option<&'a AgeKeyRow>,
}

/// `GET /api/admin/age-keys`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgeKeys {
    pub age_keys: Vec<AgeKeyRow>,
}

/// `DELETE` of a key: whether there was one to remove.
#[derive(Serialize)]
pub struct Removed {
    pub deleted: bool,
}
