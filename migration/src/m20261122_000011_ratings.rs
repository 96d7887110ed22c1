//! Rating sessions (seed 004): sessions of an event, the items rated in
//! them, one rating per user and item; and a version on purchases so their
//! status frames can be ordered.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RatingSessions::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(RatingSessions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RatingSessions::EventId).uuid().not_null())
                    .col(ColumnDef::new(RatingSessions::Title).string_len(200).not_null())
                    .col(ColumnDef::new(RatingSessions::Status).string_len(16).not_null())
                    .col(ColumnDef::new(RatingSessions::CreatedBy).uuid().not_null())
                    .col(
                        ColumnDef::new(RatingSessions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RatingSessions::StartedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RatingSessions::FinishedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RatingSessions::Table, RatingSessions::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rating_sessions_event")
                    .table(RatingSessions::Table)
                    .col(RatingSessions::EventId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RatingItems::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(RatingItems::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RatingItems::SessionId).uuid().not_null())
                    .col(ColumnDef::new(RatingItems::Position).integer().not_null())
                    .col(ColumnDef::new(RatingItems::Title).string_len(200).not_null())
                    .col(ColumnDef::new(RatingItems::ImageUrl).string_len(2000).null())
                    .col(
                        ColumnDef::new(RatingItems::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RatingItems::Table, RatingItems::SessionId)
                            .to(RatingSessions::Table, RatingSessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rating_items_session")
                    .table(RatingItems::Table)
                    .col(RatingItems::SessionId)
                    .col(RatingItems::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Ratings::ItemId).uuid().not_null())
                    .col(ColumnDef::new(Ratings::UserId).uuid().not_null())
                    .col(ColumnDef::new(Ratings::SessionId).uuid().not_null())
                    .col(ColumnDef::new(Ratings::Value).integer().not_null())
                    .col(ColumnDef::new(Ratings::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Ratings::UpdatedAt).timestamp_with_time_zone().not_null())
                    // One rating per user and item: rating again updates it.
                    .primary_key(Index::create().col(Ratings::ItemId).col(Ratings::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::ItemId)
                            .to(RatingItems::Table, RatingItems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::SessionId)
                            .to(RatingSessions::Table, RatingSessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_session_user")
                    .table(Ratings::Table)
                    .col(Ratings::SessionId)
                    .col(Ratings::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Purchases::Table)
                    .add_column(ColumnDef::new(Purchases::Version).big_integer().not_null().default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_purchases_event")
                    .table(Purchases::Table)
                    .col(Purchases::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_purchases_event")
                    .table(Purchases::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Purchases::Table)
                    .drop_column(Purchases::Version)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Ratings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RatingItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RatingSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RatingSessions {
    Table,
    Id,
    EventId,
    Title,
    Status,
    CreatedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum RatingItems {
    Table,
    Id,
    SessionId,
    Position,
    Title,
    ImageUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    ItemId,
    UserId,
    SessionId,
    Value,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Purchases {
    Table,
    EventId,
    Version,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
