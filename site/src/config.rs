//! `site.toml`: the site's name, addresses and the shared phone number.

use std::path::Path;

use serde::{Deserialize, Serialize};
use territory::{Diagnostic, SourceFile, diagnostic::toml_diagnostic};

pub const CONFIG_FILE: &str = "site.toml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Public address of the site, without trailing slash; canonical URLs start with it.
    pub base_url: String,
    /// Where the form handler answers, absolute or relative to the site.
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// A demonstration site: every page says its doctors are fictional.
    #[serde(default)]
    pub demo: bool,
    pub phone: Option<Phone>,
    /// `[map]`: the availability map's settings (basemap).
    #[serde(default)]
    pub map: crate::map::MapConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    /// As written for people, e.g. "03 53 01 20 08".
    pub number: String,
    pub hours: String,
    pub cost: String,
    /// For `tel:` links, e.g. "+33353012008"; derived from `number`.
    #[serde(skip_deserializing)]
    pub international: String,
}

fn default_api_url() -> String {
    "/api".to_string()
}

pub fn load(content_dir: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<SiteConfig> {
    let source = match SourceFile::read(&content_dir.join(CONFIG_FILE)) {
        Ok(s) => s,
        Err(d) => {
            diagnostics.push(d);
            return None;
        }
    };
    let mut config: SiteConfig = match toml::from_str(&source.text) {
        Ok(c) => c,
        Err(e) => {
            diagnostics.push(toml_diagnostic(&source, 0, &e));
            return None;
        }
    };
    config.base_url = config.base_url.trim_end_matches('/').to_string();
    if !(config.base_url.starts_with("https://") || config.base_url.starts_with("http://")) {
        diagnostics.push(source.error(
            source.find_nth("base_url", 0).unwrap_or(0),
            format!("adresse du site « {} » invalide", config.base_url),
            "écrivez l'adresse complète du site, par exemple « https://medecin-traitant-ardennes.fr »",
        ));
    }
    if let Some(phone) = &mut config.phone {
        match functions::domain::phone::dial(&phone.number) {
            Some(international) => phone.international = international,
            None => diagnostics.push(source.error(
                source.find_nth(&phone.number, 0).unwrap_or(0),
                format!("numéro de téléphone « {} » invalide", phone.number),
                "écrivez un numéro français à 10 chiffres, par exemple « 03 53 01 20 08 »",
            )),
        }
    }
    Some(config)
}
