//! A closure (or a reopening) moves a request's end ([`retention::request_ends`]): what the
//! request wrote before it, in its own partition or beside it (search keys, timeline entries,
//! proposals), gets the case's new expiry, so that nothing of a closed request outlives it.
//!
//! [`retention::request_ends`]: crate::domain::retention::request_ends

use super::attrs::{Item, n, sdk_err};
use super::items::case_expiry;
use super::schema::{TTL_ATTRIBUTE, key, proposal_pk, search_key};
use super::table::Table;
use crate::domain::lifecycle::Case;
use crate::store::Result;

impl Table {
    /// Stamps `case`'s expiry on its search keys, timeline entries and proposals. An item that
    /// is gone (erased, or never written) is left gone: the update is conditional on it.
    pub(super) async fn restamp(&self, case: &Case) -> Result<()> {
        let expires = case_expiry(case);
        let mut keys: Vec<Item> = self.timeline_keys(&case.reference).await?;
        keys.push(search_key(&case.reference));
        keys.extend(
            case.proposals
                .iter()
                .map(|id| key(proposal_pk(id), "PROPOSAL")),
        );
        for item_key in keys {
            match self
                .client
                .update_item()
                .table_name(&self.name)
                .set_key(Some(item_key))
                .update_expression("SET #expires = :expires")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_names("#expires", TTL_ATTRIBUTE)
                .expression_attribute_values(":expires", n(expires))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(sdk_err("restamp expiry")(e)),
            }
        }
        Ok(())
    }
}
