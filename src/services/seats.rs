//! The seat rule, in one place: accepting an invitation, reactivating a person and
//! provisioning an active one each take a free seat; with none free the write is
//! refused with [`Error::NoFreeSeat`], which says how many seats are used of how many.
//!
//! Every path that makes a membership active goes through [`take`] inside its write
//! transaction (the organization's row is locked, so two writers cannot both take the
//! last seat), except the SCIM create of a new person: that is one statement
//! (`scim_users::insert_new`) whose trigger checks the same rule atomically and
//! refuses with `StoreError::NoFreeSeat`; [`refusal`] turns that into the same error.

use super::{Error, Result};
use crate::store::orgs::{self, Org};
use crate::store::{Db, StoreError};
use serde::Serialize;
use uuid::Uuid;

/// Seat use of an organization (the usage meter).
#[derive(Debug, Clone, Serialize)]
pub struct Seats {
    pub used: i64,
    pub limit: Option<i64>,
}

impl Seats {
    pub fn of(org: &Org) -> Seats {
        Seats {
            used: org.seats_used,
            limit: org.seat_limit,
        }
    }

    /// Whether one more active member fits.
    pub fn free(&self) -> bool {
        self.limit.is_none_or(|l| self.used < l)
    }
}

/// The refusal when `org` has no seat free for one more active member.
pub fn check(org: &Org) -> Result<()> {
    let seats = Seats::of(org);
    match seats.limit {
        Some(limit) if !seats.free() => Err(Error::NoFreeSeat {
            org: org.name.clone(),
            used: seats.used,
            limit,
        }),
        _ => Ok(()),
    }
}

/// Takes a seat for a membership about to become active, inside the caller's write
/// transaction: locks the organization (serializing every seat-taking write of it) and
/// refuses when none is free. The seat counter moves when the membership is written.
pub async fn take(db: &mut dyn Db, org_id: Uuid) -> Result<()> {
    check(&orgs::lock(db, org_id).await?)
}

/// The refusal for a write the store refused with `StoreError::NoFreeSeat` (the seat
/// rule checked in SQL): reads how many seats are used of how many. Any other store
/// error passes through.
pub async fn refusal(db: &mut dyn Db, org_id: Uuid, e: StoreError) -> Error {
    if !matches!(e, StoreError::NoFreeSeat) {
        return e.into();
    }
    match orgs::get(db, org_id).await {
        Ok(org) => {
            // Seats may have been freed since the refusal: it stands as it was then.
            let limit = org.seat_limit.unwrap_or(org.seats_used);
            Error::NoFreeSeat {
                used: org.seats_used.max(limit),
                org: org.name,
                limit,
            }
        }
        Err(e) => e.into(),
    }
}

pub async fn seats(ctx: &super::Ctx, org_id: Uuid) -> Result<Seats> {
    let mut db = ctx.store.read().await?;
    seats_in(&mut db, org_id).await
}

pub(crate) async fn seats_in(db: &mut dyn Db, org_id: Uuid) -> Result<Seats> {
    Ok(Seats::of(&orgs::get(db, org_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn org(used: i64, limit: Option<i64>) -> Org {
        let now = Timestamp(time::OffsetDateTime::UNIX_EPOCH);
        Org {
            id: Uuid::nil(),
            name: "Acme".into(),
            seat_limit: limit,
            seats_used: used,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn one_more_fits_below_the_limit_or_without_one() {
        assert!(check(&org(1, Some(2))).is_ok());
        assert!(check(&org(100, None)).is_ok());
        let refused = check(&org(2, Some(2))).unwrap_err();
        assert!(matches!(
            refused,
            Error::NoFreeSeat {
                used: 2,
                limit: 2,
                ..
            }
        ));
        assert_eq!(
            refused.to_string(),
            "No free seat: Acme uses 2 of 2 seats. An organization admin can add seats on the Billing page or remove someone."
        );
    }
}
