//! [`Store::search`](crate::store::Store::search) and
//! [`Store::possible_duplicates`](crate::store::Store::possible_duplicates) on DynamoDB: the
//! search keys of the scope's list (`gsi1` for the territory, `gsi2` for one CPTS), read newest
//! first and filtered by the domain's rules; then the name and state of what was found.

use futures_util::future::try_join_all;

use super::attrs::s;
use super::items::search_keys;
use super::schema::{GSI1, GSI2, SEARCH_ALL, search_list};
use super::table::{Table, each_item};
use crate::domain::lifecycle::CaseState;
use crate::domain::search::{self, Found, Hit, Identity, Query, SearchKeys};
use crate::domain::staff::Scope;
use crate::store::{Result, StoreError};

impl Table {
    /// The search keys of `scope`, newest first, page by page, while `keep` (given each) says to go on.
    async fn scan_keys(
        &self,
        scope: &Scope,
        mut keep: impl FnMut(SearchKeys) -> bool,
    ) -> Result<()> {
        let (index, pk_name, list) = match scope {
            Scope::Territory => (GSI1, "gsi1pk", SEARCH_ALL.to_string()),
            Scope::Cpts(id) => (GSI2, "gsi2pk", search_list(Some(id))),
        };
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(list))
            .scan_index_forward(false);
        each_item(query, "search", |item| Ok(keep(search_keys(item)?))).await
    }

    pub(super) async fn search(&self, query: &Query, scope: &Scope) -> Result<Found> {
        let mut matched: Vec<SearchKeys> = Vec::new();
        self.scan_keys(scope, |keys| {
            if query.matches(&keys) {
                matched.push(keys);
            }
            matched.len() <= search::LIMIT
        })
        .await?;
        let more = matched.len() > search::LIMIT;
        matched.truncate(search::LIMIT);
        let hits = try_join_all(matched.iter().map(|keys| self.hit(keys))).await?;
        Ok(Found {
            hits: hits.into_iter().flatten().collect(),
            more,
        })
    }

    /// What the list shows of a request found (none if it was erased meanwhile).
    async fn hit(&self, keys: &SearchKeys) -> Result<Option<Hit>> {
        let (request, case) = futures_util::future::try_join(
            self.request(&keys.reference),
            self.case(&keys.reference),
        )
        .await?;
        Ok(match (request, case) {
            (Some(request), Some(case)) => Some(Hit {
                reference: keys.reference.clone(),
                name: search::display_name(&request),
                commune: keys.commune.clone(),
                cpts: keys.cpts.clone(),
                state: case.state,
                created_at: keys.created_at,
            }),
            _ => None,
        })
    }

    pub(super) async fn possible_duplicates(
        &self,
        who: &Identity,
        except: Option<&str>,
        scope: &Scope,
    ) -> Result<Vec<String>> {
        let mut candidates = Vec::new();
        self.scan_keys(scope, |keys| {
            if keys.identity.may_be(who) && except != Some(keys.reference.as_str()) {
                candidates.push(keys.reference);
            }
            true
        })
        .await?;
        let cases = try_join_all(candidates.iter().map(|r| self.case(r))).await?;
        let mut open = Vec::new();
        for (reference, case) in candidates.into_iter().zip(cases) {
            match case {
                Some(case) if case.state != CaseState::Closed => open.push(reference),
                Some(_) => {}
                None => {
                    return Err(StoreError::Corrupt {
                        what: format!("dossier {reference}"),
                        detail: "clés de recherche sans dossier".into(),
                    });
                }
            }
        }
        Ok(open)
    }
}
