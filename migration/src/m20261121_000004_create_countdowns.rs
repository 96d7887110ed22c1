use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Countdowns::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(Countdowns::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Countdowns::EventId).uuid().not_null())
                    .col(ColumnDef::new(Countdowns::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Countdowns::Message).string_len(500).not_null())
                    .col(ColumnDef::new(Countdowns::TotalSecs).integer().not_null())
                    .col(
                        ColumnDef::new(Countdowns::StartedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Countdowns::EndsAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Countdowns::Table, Countdowns::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_countdowns_event_status")
                    .table(Countdowns::Table)
                    .col(Countdowns::EventId)
                    .col(Countdowns::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Countdowns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Countdowns {
    Table,
    Id,
    EventId,
    Status,
    Message,
    TotalSecs,
    StartedAt,
    EndsAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}
