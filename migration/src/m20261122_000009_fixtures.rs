//! Fixtures (a match between two teams of an event, its schedule, status
//! and result) and each event's league settings (points per win, draw,
//! loss). No settings row means the defaults 3/1/0.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Fixtures::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Fixtures::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Fixtures::EventId).uuid().not_null())
                    .col(ColumnDef::new(Fixtures::HomeTeamId).uuid().not_null())
                    .col(ColumnDef::new(Fixtures::AwayTeamId).uuid().not_null())
                    .col(ColumnDef::new(Fixtures::StartsAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Fixtures::Venue).string_len(200).null())
                    .col(ColumnDef::new(Fixtures::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Fixtures::HomeScore).integer().null())
                    .col(ColumnDef::new(Fixtures::AwayScore).integer().null())
                    .col(
                        ColumnDef::new(Fixtures::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Fixtures::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Fixtures::Table, Fixtures::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Fixtures::Table, Fixtures::HomeTeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Fixtures::Table, Fixtures::AwayTeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_fixtures_event_starts")
                    .table(Fixtures::Table)
                    .col(Fixtures::EventId)
                    .col(Fixtures::StartsAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LeagueSettings::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(LeagueSettings::EventId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(LeagueSettings::PointsWin).integer().not_null())
                    .col(ColumnDef::new(LeagueSettings::PointsDraw).integer().not_null())
                    .col(ColumnDef::new(LeagueSettings::PointsLoss).integer().not_null())
                    .col(
                        ColumnDef::new(LeagueSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LeagueSettings::Table, LeagueSettings::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LeagueSettings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Fixtures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Fixtures {
    Table,
    Id,
    EventId,
    HomeTeamId,
    AwayTeamId,
    StartsAt,
    Venue,
    Status,
    HomeScore,
    AwayScore,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LeagueSettings {
    Table,
    EventId,
    PointsWin,
    PointsDraw,
    PointsLoss,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
