//! Rows read by column name: what `#[derive(sqlx::FromRow)]` writes, without sqlx's proc-macro
//! crate — which, to run at compile time, builds a second copy of sqlx, both drivers, SQLite's
//! C library and tokio for the host: about a minute of a fresh build on two cores, for 18 structs.

/// Declares a row struct and its `FromRow` for every database whose rows are indexed by column
/// name and decode each field's type: every field is read from the column of its own name.
macro_rules! row {
    ($(#[$meta:meta])* pub struct $name:ident $(<$t:ident>)? {
        $($(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$meta])*
        pub struct $name $(<$t>)? {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        impl<'r, R: sqlx::Row $(, $t)?> sqlx::FromRow<'r, R> for $name $(<$t>)?
        where
            &'r str: sqlx::ColumnIndex<R>,
            $($ty: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,)*
        {
            fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
                Ok(Self {
                    $($field: sqlx::Row::try_get(row, stringify!($field))?),*
                })
            }
        }
    };
}
pub(crate) use row;
