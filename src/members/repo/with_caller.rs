//! The hottest read: the caller check of a user's token with one member, in one statement
//! whose text is written once ([`Fixed`]).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{CARD_SQL, CardColumns, card};
use crate::{
    auth::model::UserPrincipal,
    db::prebuilt::{Fixed, FixedSql, FixedText, Prebuilt},
    domain::{MemberId, UserId},
    members::model::MemberCard,
};

/// The statement of [`find_with_user_principal`] for the ids `[member, user, jti]`.
macro_rules! card_with_principal {
    ($ids:expr) => {{
        use crate::schema::{member_cards as c, users};
        let [member, user, jti]: [uuid::Uuid; 3] = $ids;
        users::table
            .left_join(c::table.on(c::id.eq(member)))
            .filter(users::id.eq(user))
            .select((
                crate::auth::repo::user_principal_columns!(jti),
                Prebuilt::new(member_card_columns!(), &CARD_SQL).nullable(),
            ))
    }};
}

/// The text of [`card_with_principal`], written once: the hottest read, so no part of it is
/// walked on each call ([`Fixed`]).
static CARD_WITH_PRINCIPAL_SQL: FixedText =
    FixedText::new(|| FixedSql::of(|ids| card_with_principal!(ids)));

/// The caller check of a user's token and one member, in one prepared statement: the user
/// behind the token and whether the token was revoked (what
/// [`crate::auth::repo::load_user_principal`] reads), with the member (what
/// [`super::find`] reads) left-joined to it. `None` when the user does not exist; `Some((user, None))` when the
/// member does not. Half the statements of a check followed by a read, and one round trip.
/// At most one row (the user's key, and the member's), so no LIMIT.
pub async fn find_with_user_principal(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    jti: uuid::Uuid,
    id: MemberId,
) -> QueryResult<Option<(UserPrincipal, Option<MemberCard>)>> {
    Fixed::new(
        |ids| card_with_principal!(ids),
        &CARD_WITH_PRINCIPAL_SQL,
        [id.into(), user_id.into(), jti],
    )
    .get_result::<(UserPrincipal, Option<CardColumns>)>(conn)
    .await
    .optional()
    .map(|found| found.map(|(user, member)| (user, member.map(card))))
}

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;

    use super::*;

    #[test]
    fn the_member_with_the_caller_check_is_the_statement_its_dsl_writes() {
        let ids = [
            uuid::Uuid::now_v7(),
            uuid::Uuid::now_v7(),
            uuid::Uuid::new_v4(),
        ];
        let fixed = Fixed::new(
            |ids| card_with_principal!(ids),
            &CARD_WITH_PRINCIPAL_SQL,
            ids,
        );
        let text = diesel::debug_query::<Pg, _>(&fixed).to_string();
        assert_eq!(
            text,
            diesel::debug_query::<Pg, _>(&card_with_principal!(ids)).to_string()
        );
        assert!(text.contains(r#"LEFT OUTER JOIN "member_cards""#), "{text}");
        assert!(!text.contains("LIMIT $"), "{text}");
    }
}
