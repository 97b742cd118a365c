//! What the admin page receives about the site's settings and recipes.

use serde::Serialize;

use crate::{requests::settings::SiteSettings, store::RecipeRow};

/// `GET /api/admin/settings`.
#[derive(Serialize)]
pub struct Settings {
    pub settings: SiteSettings,
}

/// `PUT /api/admin/settings`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsSaved {
    pub settings: SiteSettings,
    pub audit_seq: i64,
}

/// `GET /api/admin/recipes`.
#[derive(Serialize)]
pub struct Recipes {
    pub recipes: Vec<RecipeRow>,
}

/// `PUT /api/admin/recipes/{name}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipeSaved {
    pub recipe: RecipeRow,
    pub created: bool,
    pub audit_seq: i64,
}
