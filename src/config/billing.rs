//! `[billing]`: what the Billing page shows. Subscriptions and license keys come from
//! the operator's configuration (the billing system of record lives elsewhere).
//!
//! ```toml
//! [billing]
//! invoices_url = "https://billing.example.com/invoices"   # links on every Billing page;
//! manage_url = "https://billing.example.com/portal"       # empty hides them
//!
//! [billing.orgs."Acme"]                  # an organization's name (any case) or id
//! plan = "Ultimate"
//! manage_url = "https://billing.example.com/portal/acme" # optional, overrides the default
//!
//! [billing.orgs."Acme".products.Deploy]
//! license_key_file = "/run/secrets/acme-deploy"        # or license_key = "..."
//! renews_on = "2027-01-31"
//! download_url = "https://downloads.example.com/deploy"
//! ```

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BillingConfig {
    #[serde(default)]
    pub invoices_url: String,
    #[serde(default)]
    pub manage_url: String,
    /// Keyed by organization name or id.
    #[serde(default)]
    pub orgs: BTreeMap<String, OrgBilling>,
}

/// One organization's subscription.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgBilling {
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub invoices_url: Option<String>,
    #[serde(default)]
    pub manage_url: Option<String>,
    /// Keyed by product name.
    #[serde(default)]
    pub products: BTreeMap<String, Product>,
}

/// One subscribed product and its license key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Product {
    #[serde(default)]
    pub license_key: Secret<String>,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub renews_on: String,
    #[serde(default)]
    pub download_url: String,
}

impl BillingConfig {
    /// The subscription of the organization with this id and name: an entry under its
    /// id wins over one under its name (names compare without case).
    pub fn for_org(&self, id: &uuid::Uuid, name: &str) -> Option<&OrgBilling> {
        let id = id.to_string();
        let name = crate::domain::org::name_key(name);
        self.orgs
            .iter()
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(&id))
            .or_else(|| {
                self.orgs
                    .iter()
                    .find(|(k, _)| crate::domain::org::name_key(k) == name)
            })
            .map(|(_, v)| v)
    }

    /// Checks dates and links; the message names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let url = |key: String, value: &str| -> Result<(), (String, String)> {
            if value.is_empty() || value.starts_with("https://") || value.starts_with("http://") {
                Ok(())
            } else {
                Err((key, "must start with https:// or http://".into()))
            }
        };
        url("billing.invoices_url".into(), &self.invoices_url)?;
        url("billing.manage_url".into(), &self.manage_url)?;
        let date = time::macros::format_description!("[year]-[month]-[day]");
        for (org, billing) in &self.orgs {
            let at = format!("billing.orgs.{org}");
            url(
                format!("{at}.invoices_url"),
                billing.invoices_url.as_deref().unwrap_or(""),
            )?;
            url(
                format!("{at}.manage_url"),
                billing.manage_url.as_deref().unwrap_or(""),
            )?;
            for (name, product) in &billing.products {
                let at = format!("{at}.products.{name}");
                url(format!("{at}.download_url"), &product.download_url)?;
                if !product.renews_on.is_empty()
                    && time::Date::parse(&product.renews_on, date).is_err()
                {
                    return Err((
                        format!("{at}.renews_on"),
                        format!(
                            "\"{}\" is not a date like \"2027-01-31\"",
                            product.renews_on
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_is_found_by_id_before_name() {
        let id = uuid::Uuid::now_v7();
        let mut c = BillingConfig::default();
        c.orgs.insert(
            "ACME".into(),
            OrgBilling {
                plan: "by name".into(),
                ..Default::default()
            },
        );
        assert_eq!(c.for_org(&id, "acme").unwrap().plan, "by name");
        c.orgs.insert(
            id.to_string(),
            OrgBilling {
                plan: "by id".into(),
                ..Default::default()
            },
        );
        assert_eq!(c.for_org(&id, "acme").unwrap().plan, "by id");
        assert!(c.for_org(&uuid::Uuid::now_v7(), "Other").is_none());
    }

    #[test]
    fn bad_dates_and_links_name_their_key() {
        let mut c = BillingConfig::default();
        let mut org = OrgBilling::default();
        org.products.insert(
            "Deploy".into(),
            Product {
                renews_on: "soon".into(),
                ..Default::default()
            },
        );
        c.orgs.insert("Acme".into(), org);
        assert_eq!(
            c.validate().unwrap_err().0,
            "billing.orgs.Acme.products.Deploy.renews_on"
        );
        c.orgs.clear();
        c.manage_url = "javascript:alert(1)".into();
        assert_eq!(c.validate().unwrap_err().0, "billing.manage_url");
    }
}
