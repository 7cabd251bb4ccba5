//! WebSub subscriptions on PostgreSQL: their rows, the holder's lease and
//! verification. Uses the pool and helpers of `super`.

use super::{PostgresStore, count, q, to_i32};
use crate::store::{StoreError, Subscription, SubscriptionState, Verification};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

const SUBSCRIPTION_COLUMNS: &str =
    "source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until";

fn subscription_row(r: &Row) -> Result<Subscription, tokio_postgres::Error> {
    Ok(Subscription {
        source: r.try_get(0)?,
        hub: r.try_get(1)?,
        topic: r.try_get(2)?,
        secret: r.try_get(3)?,
        state: SubscriptionState::parse(r.try_get(4)?),
        requested: r.try_get(5)?,
        lease_seconds: r.try_get::<_, Option<i32>>(6)?.map(count),
        expires: r.try_get(7)?,
        holder: r.try_get(8)?,
        held_until: r.try_get(9)?,
    })
}

pub(super) async fn subscription(
    db: &PostgresStore,
    source: &str,
) -> Result<Option<Subscription>, StoreError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions WHERE source = $1"),
            &[&source],
        )
        .await
        .map_err(q)?;
    row.map(|r| subscription_row(&r)).transpose().map_err(q)
}

pub(super) async fn subscriptions(db: &PostgresStore) -> Result<Vec<Subscription>, StoreError> {
    let client = db.client().await?;
    let rows = client
        .query(
            &format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM websub_subscriptions ORDER BY source COLLATE \"C\""
            ),
            &[],
        )
        .await
        .map_err(q)?;
    rows.iter()
        .map(subscription_row)
        .collect::<Result<_, _>>()
        .map_err(q)
}

pub(super) async fn put_subscription(
    db: &PostgresStore,
    sub: &Subscription,
) -> Result<bool, StoreError> {
    let client = db.client().await?;
    let n = client
        .execute(
            "INSERT INTO websub_subscriptions (source, hub, topic, secret, state, requested, lease_seconds, expires, holder, held_until)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (source) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
               state = excluded.state, requested = excluded.requested, lease_seconds = excluded.lease_seconds,
               expires = excluded.expires, holder = excluded.holder, held_until = excluded.held_until
             WHERE websub_subscriptions.holder IS NULL OR websub_subscriptions.held_until <= excluded.requested
               OR websub_subscriptions.holder = excluded.holder",
            &[
                &sub.source,
                &sub.hub,
                &sub.topic,
                &sub.secret,
                &sub.state.as_str(),
                &sub.requested,
                &sub.lease_seconds.map(to_i32),
                &sub.expires,
                &sub.holder,
                &sub.held_until,
            ],
        )
        .await
        .map_err(q)?;
    Ok(n == 1)
}

pub(super) async fn hold_subscription(
    db: &PostgresStore,
    source: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    instance: &str,
) -> Result<bool, StoreError> {
    let client = db.client().await?;
    let n = client
        .execute(
            "UPDATE websub_subscriptions SET holder = $3, held_until = $4
             WHERE source = $1 AND (holder IS NULL OR held_until <= $2 OR holder = $3)",
            &[&source, &now, &instance, &until],
        )
        .await
        .map_err(q)?;
    Ok(n == 1)
}

pub(super) async fn release_subscriptions(
    db: &PostgresStore,
    instance: &str,
) -> Result<(), StoreError> {
    let client = db.client().await?;
    client
        .execute(
            "UPDATE websub_subscriptions SET holder = NULL, held_until = NULL WHERE holder = $1",
            &[&instance],
        )
        .await
        .map_err(q)?;
    Ok(())
}

pub(super) async fn verify_subscription(
    db: &PostgresStore,
    source: &str,
    topic: &str,
    verification: Verification,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let states: Vec<&str> = crate::store::verifiable(verification)
        .iter()
        .map(|s| s.as_str())
        .collect();
    let client = db.client().await?;
    let matching = "source = $1 AND topic = $2 AND state = ANY($3::text[])";
    let n = match verification {
        Verification::Subscribe { lease_seconds } => {
            let expires = now + chrono::Duration::seconds(i64::from(lease_seconds));
            client
                .execute(
                    &format!(
                        "UPDATE websub_subscriptions SET state = 'active', lease_seconds = $4, expires = $5 WHERE {matching}"
                    ),
                    &[&source, &topic, &states, &to_i32(lease_seconds), &expires],
                )
                .await
        }
        Verification::Unsubscribe => {
            client
                .execute(
                    &format!("DELETE FROM websub_subscriptions WHERE {matching}"),
                    &[&source, &topic, &states],
                )
                .await
        }
        Verification::Denied => {
            client
                .execute(
                    &format!("UPDATE websub_subscriptions SET state = 'denied' WHERE {matching}"),
                    &[&source, &topic, &states],
                )
                .await
        }
    }
    .map_err(q)?;
    Ok(n == 1)
}

pub(super) async fn remove_subscription(
    db: &PostgresStore,
    source: &str,
) -> Result<(), StoreError> {
    let client = db.client().await?;
    client
        .execute(
            "DELETE FROM websub_subscriptions WHERE source = $1",
            &[&source],
        )
        .await
        .map_err(q)?;
    Ok(())
}
