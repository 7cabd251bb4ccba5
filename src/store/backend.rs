//! The `impl Store` both backends share, as a macro: every call handed to
//! the child module of the backend that runs its SQL, so the backends
//! differ only in their SQL. Uses only `crate::store` and `crate::model`
//! types, by path.

/// A backend's `impl Store`: each call handed to the child module of the
/// backend that runs its SQL (`state`, `fetches`, `items`, `archive`,
/// `websub`), whose functions take the backend and the call's arguments.
/// Written once here, so the two backends differ only in their SQL.
macro_rules! backend_store {
    ($backend:ty) => {
        #[::async_trait::async_trait]
        impl $crate::store::Store for $backend {
            async fn source_state(
                &self,
                source: &str,
            ) -> Result<Option<$crate::store::SourceState>, $crate::store::StoreError> {
                state::source_state(self, source).await
            }

            async fn source_states(
                &self,
            ) -> Result<Vec<$crate::store::SourceState>, $crate::store::StoreError> {
                state::source_states(self).await
            }

            async fn claim(
                &self,
                source: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                lease_until: ::chrono::DateTime<::chrono::Utc>,
                instance: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                state::claim(self, source, now, lease_until, instance).await
            }

            async fn release(
                &self,
                source: &str,
                instance: &str,
            ) -> Result<(), $crate::store::StoreError> {
                state::release(self, source, instance).await
            }

            async fn record_fetch(
                &self,
                record: $crate::store::FetchRecord,
            ) -> Result<$crate::store::SaveSummary, $crate::store::StoreError> {
                fetches::record_fetch(self, record).await
            }

            async fn items(
                &self,
                sources: &[String],
                limit: usize,
            ) -> Result<Vec<$crate::model::Item>, $crate::store::StoreError> {
                items::items(self, sources, limit).await
            }

            async fn page_validators(
                &self,
                source: &str,
            ) -> Result<
                ::std::collections::HashMap<String, $crate::store::PageValidators>,
                $crate::store::StoreError,
            > {
                items::page_validators(self, source).await
            }

            async fn known_ids(
                &self,
                source: &str,
                ids: &[String],
            ) -> Result<::std::collections::HashSet<String>, $crate::store::StoreError> {
                items::known_ids(self, source, ids).await
            }

            async fn prune(
                &self,
                before: ::chrono::DateTime<::chrono::Utc>,
                keep_min: u32,
                max_items: u32,
            ) -> Result<u64, $crate::store::StoreError> {
                fetches::prune(self, before, keep_min, max_items).await
            }

            async fn changes_since(
                &self,
                version: u64,
            ) -> Result<$crate::store::Changes, $crate::store::StoreError> {
                state::changes_since(self, version).await
            }

            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                state::ping(self).await
            }

            async fn items_in_order(
                &self,
                sources: &[String],
                after: Option<&$crate::store::ArchiveKey>,
                before: ::chrono::DateTime<::chrono::Utc>,
                limit: usize,
            ) -> Result<
                Vec<($crate::store::ArchiveKey, $crate::model::Item)>,
                $crate::store::StoreError,
            > {
                archive::items_in_order(self, sources, after, before, limit).await
            }

            async fn archive_head(
                &self,
                feed: &str,
            ) -> Result<Option<(u64, $crate::store::ArchiveKey)>, $crate::store::StoreError> {
                archive::archive_head(self, feed).await
            }

            async fn put_archive_page(
                &self,
                page: $crate::store::ArchivePage,
            ) -> Result<bool, $crate::store::StoreError> {
                archive::put_archive_page(self, page).await
            }

            async fn archive_page(
                &self,
                feed: &str,
                page: u64,
            ) -> Result<Option<$crate::store::ArchivePage>, $crate::store::StoreError> {
                archive::archive_page(self, feed, page).await
            }

            async fn polls(
                &self,
                source: &str,
                limit: u32,
            ) -> Result<Vec<$crate::store::Polled>, $crate::store::StoreError> {
                state::polls(self, source, limit).await
            }

            async fn record_push(
                &self,
                source: &str,
                at: ::chrono::DateTime<::chrono::Utc>,
                items: Vec<$crate::model::Item>,
                max_items: u32,
            ) -> Result<$crate::store::SaveSummary, $crate::store::StoreError> {
                fetches::record_push(self, source, at, items, max_items).await
            }

            async fn subscription(
                &self,
                source: &str,
            ) -> Result<Option<$crate::store::Subscription>, $crate::store::StoreError> {
                websub::subscription(self, source).await
            }

            async fn subscriptions(
                &self,
            ) -> Result<Vec<$crate::store::Subscription>, $crate::store::StoreError> {
                websub::subscriptions(self).await
            }

            async fn put_subscription(
                &self,
                sub: &$crate::store::Subscription,
            ) -> Result<bool, $crate::store::StoreError> {
                websub::put_subscription(self, sub).await
            }

            async fn hold_subscription(
                &self,
                source: &str,
                now: ::chrono::DateTime<::chrono::Utc>,
                until: ::chrono::DateTime<::chrono::Utc>,
                instance: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                websub::hold_subscription(self, source, now, until, instance).await
            }

            async fn release_subscriptions(
                &self,
                instance: &str,
            ) -> Result<(), $crate::store::StoreError> {
                websub::release_subscriptions(self, instance).await
            }

            async fn verify_subscription(
                &self,
                source: &str,
                topic: &str,
                verification: $crate::store::Verification,
                now: ::chrono::DateTime<::chrono::Utc>,
            ) -> Result<bool, $crate::store::StoreError> {
                websub::verify_subscription(self, source, topic, verification, now).await
            }

            async fn remove_subscription(
                &self,
                source: &str,
            ) -> Result<(), $crate::store::StoreError> {
                websub::remove_subscription(self, source).await
            }
        }
    };
}
pub(crate) use backend_store;
