use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rounds::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Rounds::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Rounds::EventId).uuid().not_null())
                    .col(ColumnDef::new(Rounds::Ordinal).integer().not_null())
                    .col(ColumnDef::new(Rounds::DurationSecs).integer().not_null())
                    .col(ColumnDef::new(Rounds::BreakSecs).integer().not_null())
                    .col(ColumnDef::new(Rounds::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Rounds::StartedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Rounds::EndsAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Rounds::BreakEndsAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Rounds::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Rounds::Table, Rounds::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rounds_event_ordinal")
                    .table(Rounds::Table)
                    .col(Rounds::EventId)
                    .col(Rounds::Ordinal)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rounds_status")
                    .table(Rounds::Table)
                    .col(Rounds::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Rounds::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Rounds {
    Table,
    Id,
    EventId,
    Ordinal,
    DurationSecs,
    BreakSecs,
    Status,
    StartedAt,
    EndsAt,
    BreakEndsAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}
